#!/usr/bin/env bash
# Runs `pnpm test` several times in a row (3 unless ROUNDS says otherwise) while stress-ng keeps every core busy,
# to show the suite does not depend on the machine's speed. Prints one line per round (pass or fail, and how long
# it took) and a last line with the verdict; exits 1 when any round failed. Each round's output goes to a log file
# under $LOG_DIR (default: a fresh temporary folder), named in its line.
#
#   scripts/test-under-load.sh            # three rounds under `stress-ng --cpu <cores>`
#   ROUNDS=5 scripts/test-under-load.sh
#
# stress-ng comes from Debian (apt-get install stress-ng); it is installed when missing and we are root.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1

rounds="${ROUNDS:-3}"
cores="$(nproc)"
log_dir="${LOG_DIR:-$(mktemp -d -t sluice-under-load-XXXXXX)}"
mkdir -p "${log_dir}"

if ! command -v stress-ng >/dev/null 2>&1; then
  uid="$(id -u)"
  if [[ "${uid}" -ne 0 ]]; then
    echo "stress-ng is missing: install it with \`sudo apt-get install stress-ng\`" >&2
    exit 2
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq stress-ng >/dev/null
fi

stress-ng --cpu "${cores}" --quiet &
stress_pid=$!
stop_stress() {
  kill "${stress_pid}" 2>/dev/null || true
  wait "${stress_pid}" 2>/dev/null || true
}
trap stop_stress EXIT
echo "stress-ng --cpu ${cores} (pid ${stress_pid}) keeps ${cores} cores busy; ${rounds} rounds of pnpm test; logs in ${log_dir}"

failed=0
for round in $(seq 1 "${rounds}"); do
  log="${log_dir}/round-${round}.log"
  started=${SECONDS}
  if pnpm test >"${log}" 2>&1; then verdict=pass; else verdict=FAIL; failed=$((failed + 1)); fi
  took=$((SECONDS - started))
  summary="$(grep -E '^[0-9]+ passed, [0-9]+ failed' "${log}" | tail -n 1 || true)"
  printf 'round %d/%d: %s in %dm%02ds (%s) %s\n' "${round}" "${rounds}" "${verdict}" $((took / 60)) $((took % 60)) \
    "${summary:-no summary line}" "${log}"
done

stop_stress
trap - EXIT
if [[ "${failed}" -eq 0 ]]; then
  echo "all ${rounds} rounds passed under load"
else
  echo "${failed} of ${rounds} rounds failed under load"
  exit 1
fi
