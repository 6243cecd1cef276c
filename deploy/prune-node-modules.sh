#!/usr/bin/env bash
# Remove from a production install (what `pnpm deploy --prod` writes) the files Node never reads at run time, and
# print the size before and after. The image's build stage runs it on /out; test/install-size.int.test.ts runs it
# on the same install and then starts the daemon from what is left.
#
#   deploy/prune-node-modules.sh /out
#
# Removed, under <dir>/node_modules only (the app's own dist/ is kept whole):
# - TypeScript declarations and sources (*.d.ts, *.ts, *.mts, *.cts): Node refuses to strip types under node_modules;
# - source maps (*.map): read only with --enable-source-maps, which the image does not set;
# - Markdown documentation other than licence and notice files (README, CHANGELOG…);
# - native addons built for another platform (darwin, win32, musl, the other CPU): the image is glibc Linux on the
#   architecture this script runs on, and each package loads only the file for its own platform.
set -euo pipefail

log() { printf '[sluice-prune] %s\n' "$*" >&2; }

kib() { du -sk "$1" | cut -f1; }

main() {
  local dir="${1:-}"
  [[ -n "${dir}" && -d "${dir}/node_modules" ]] || {
    log "usage: prune-node-modules.sh <dir with node_modules>"
    exit 2
  }
  local modules="${dir}/node_modules" before after arch other
  before="$(kib "${dir}")"
  case "$(uname -m)" in
    x86_64 | amd64) arch="x64" other="arm64" ;;
    aarch64 | arm64) arch="arm64" other="x64" ;;
    *)
      arch="$(uname -m)"
      other=""
      ;;
  esac

  find "${modules}" -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' \) -delete
  find "${modules}" -type f \( -iname '*.md' -o -iname '*.markdown' \) \
    ! -iname 'licen[cs]e*' ! -iname 'notice*' ! -iname 'copying*' -delete
  find "${modules}" -type f -name '*.node' \
    \( -name '*darwin-*' -o -name '*win32-*' -o -name '*-musl*' \) -delete
  if [[ -n "${other}" ]]; then
    find "${modules}" -type f -name "*linux-${other}*.node" -delete
  fi
  # Directories left empty by the above (types/, docs/ folders).
  find "${modules}" -mindepth 1 -type d -empty -delete

  after="$(kib "${dir}")"
  log "kept native addons for linux-${arch} (glibc)"
  log "$(printf '%s: %d KiB before, %d KiB after (%d KiB removed)' "${dir}" "${before}" "${after}" "$((before - after))")"
}

main "$@"
