#!/usr/bin/env bash
# Pin the scheduler image's base (ARG NODE_IMAGE in apps/scheduler/Dockerfile) to the newest Node.js LTS release,
# by tag and digest:
#
#   deploy/update-base-image.sh            # rewrite the ARG line, e.g. node:26.15.0-trixie-slim@sha256:…
#   deploy/update-base-image.sh --check    # only say whether it is current (exit 3 when it is not)
#
# The newest LTS version comes from nodejs.org/dist/index.json; the digest of the multi-platform image index from
# `docker buildx imagetools inspect`, or else from Docker Hub's registry API with curl. Nothing is written unless
# both answer: a digest is never guessed. The Debian variant (trixie-slim) is kept from the current line.
# Needs curl and node (the repository's toolchain); SLUICE_DOCKERFILE names another Dockerfile (tests).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO
readonly DOCKERFILE="${SLUICE_DOCKERFILE:-${REPO}/apps/scheduler/Dockerfile}"
readonly NODE_INDEX_URL="https://nodejs.org/dist/index.json"

log() { printf '[update-base-image] %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# The version of the newest release marked LTS in Node's release index, without the leading v (empty: unknown).
newest_lts() {
  curl -fsSL --retry 3 "${NODE_INDEX_URL}" 2>/dev/null |
    node -e '
      let text = "";
      process.stdin.on("data", (chunk) => (text += chunk)).on("end", () => {
        const release = JSON.parse(text).find((r) => r.lts);
        if (!release) process.exit(1);
        process.stdout.write(release.version.replace(/^v/, ""));
      });' 2>/dev/null || true
}

# The digest of an image tag's index: buildx first, then the registry API (empty: unknown).
digest_of() {
  local tag="$1" digest="" token
  if docker buildx version >/dev/null 2>&1; then
    digest="$(docker buildx imagetools inspect "node:${tag}" --format '{{json .Manifest}}' 2>/dev/null |
      node -e 'let t="";process.stdin.on("data",(c)=>(t+=c)).on("end",()=>process.stdout.write(JSON.parse(t).digest??""))' 2>/dev/null ||
      true)"
  fi
  if [[ -z "${digest}" ]]; then
    token="$(curl -fsSL --retry 3 "https://auth.docker.io/token?service=registry.docker.io&scope=repository:library/node:pull" |
      node -e 'let t="";process.stdin.on("data",(c)=>(t+=c)).on("end",()=>process.stdout.write(JSON.parse(t).token??""))' 2>/dev/null ||
      true)"
    if [[ -n "${token}" ]]; then
      digest="$(curl -fsSI --retry 3 -H "Authorization: Bearer ${token}" \
        -H 'Accept: application/vnd.oci.image.index.v1+json' \
        -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
        "https://registry-1.docker.io/v2/library/node/manifests/${tag}" |
        tr -d '\r' | awk 'tolower($1) == "docker-content-digest:" { print $2 }' || true)"
    fi
  fi
  if [[ "${digest}" =~ ^sha256:[0-9a-f]{64}$ ]]; then
    echo "${digest}"
  fi
}

main() {
  local check=0
  case "${1:-}" in
    --check) check=1 ;;
    "") ;;
    *) die "usage: update-base-image.sh [--check]" ;;
  esac
  [[ -f "${DOCKERFILE}" ]] || die "${DOCKERFILE} is missing"
  local current variant version tag digest wanted
  current="$(sed -n 's/^ARG NODE_IMAGE=//p' "${DOCKERFILE}")"
  [[ -n "${current}" ]] || die "${DOCKERFILE} has no ARG NODE_IMAGE= line"
  # node:26.14.0-trixie-slim[@sha256:…] -> trixie-slim
  variant="$(sed -E 's/^node:[0-9.]+-([a-z0-9-]+)(@.*)?$/\1/' <<<"${current}")"
  [[ "${variant}" != "${current}" ]] || die "cannot read the variant of ${current} (expected node:<version>-<variant>)"

  version="$(newest_lts)"
  [[ "${version}" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "cannot read the newest LTS release from ${NODE_INDEX_URL}: nothing changed"
  tag="${version}-${variant}"
  digest="$(digest_of "${tag}")"
  [[ -n "${digest}" ]] ||
    die "cannot resolve the digest of node:${tag} (no registry reachable, or the tag is not published yet): nothing changed"
  wanted="node:${tag}@${digest}"

  if [[ "${current}" == "${wanted}" ]]; then
    log "${DOCKERFILE}: ${current} is current"
    exit 0
  fi
  if [[ "${check}" == "1" ]]; then
    log "${DOCKERFILE}: ${current} -> ${wanted} (run without --check to write it)"
    exit 3
  fi
  local tmp
  tmp="$(mktemp "${DOCKERFILE}.XXXXXX")"
  sed "s|^ARG NODE_IMAGE=.*$|ARG NODE_IMAGE=${wanted}|" "${DOCKERFILE}" >"${tmp}"
  mv "${tmp}" "${DOCKERFILE}"
  log "${DOCKERFILE}: ${current} -> ${wanted}"
}

main "$@"
