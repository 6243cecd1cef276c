#!/usr/bin/env bash
# Back up, or restore, the scheduler's state (the Postgres state schema) and its DuckDB warehouse, consistently.
#
#   deploy/backup.sh backup [DIR]     # default deploy/backups/<UTC time>; writes state.dump and warehouse.duckdb
#   deploy/backup.sh restore DIR      # stops the scheduler, restores both, starts it again
#
# Consistent: the backup holds the run lock (the Postgres advisory lock every `sluice run` and every daemon takes
# before a run) while it dumps the state and copies the DuckDB file, so no run writes either meanwhile, and the
# watermarks in the dump match the warehouse copy. A run in progress is waited for (SLUICE_BACKUP_LOCK_TIMEOUT,
# default 2h); a scheduled slot that comes while the backup holds the lock waits for it, like for any run.
# Run it from the host, beside deploy/.env (it reads COMPOSE_FILE, SLUICE_STATE_URL, SLUICE_STATE_SCHEMA from it).
# With the bundled state-db the Postgres tools run in that container; with an external state store, in a
# throwaway postgres:16-bookworm container on the host network. A Snowflake warehouse is not copied (use
# Snowflake's Time Travel / zero-copy clones); set SLUICE_BACKUP_DUCKDB= (empty) to skip the warehouse.
#
# Environment: SLUICE_BACKUP_DUCKDB (default /var/lib/sluice/warehouse.duckdb, the example project's file inside
# the scheduler container), SLUICE_BACKUP_LOCK_TIMEOUT (a Postgres interval, default 2h).
set -euo pipefail

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly DEPLOY_DIR
readonly ENV_FILE="${DEPLOY_DIR}/.env"
readonly PG_IMAGE="postgres:16-bookworm"

log() { printf '[sluice-backup] %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# The value of KEY in deploy/.env (last one wins, as in Compose).
setting() {
  sed -n "s/^$1=//p" "${ENV_FILE}" | tail -n 1
}

compose() {
  (cd "${DEPLOY_DIR}" && docker compose "$@")
}

# Run a Postgres client tool against the state store: `state_tool psql -qAt …`.
state_tool() {
  local tool="$1"
  shift
  if [[ "${BUNDLED}" == "1" ]]; then
    compose exec -T state-db "${tool}" -U sluice -d sluice "$@"
  else
    # The URL travels in the environment, never on a command line.
    docker run --rm -i --network host -e SLUICE_STATE_URL "${PG_IMAGE}" \
      sh -c 'tool="$1"; shift; exec "${tool}" -d "${SLUICE_STATE_URL}" "$@"' sh "${tool}" "$@"
  fi
}

# The advisory lock key of the run lock: the first 8 bytes of sha256("sluice-state:<schema>:lock:pipeline") as a
# signed 64-bit integer (advisoryLockKey in @sluice/watermark).
run_lock_key() {
  local hex
  hex="$(printf 'sluice-state:%s:lock:pipeline' "$1" | sha256sum | cut -c1-16)"
  echo "$((16#${hex}))"
}

# Take the run lock on a psql session of its own (a coprocess), waiting for a run in progress to end.
take_run_lock() {
  local key="$1" line
  coproc LOCKER { state_tool psql -qAtX -v ON_ERROR_STOP=1 2>&1; }
  LOCKER_PROCESS=$!
  printf "set lock_timeout = '%s';\nselect pg_advisory_lock(%s);\nselect 'locked';\n" \
    "${SLUICE_BACKUP_LOCK_TIMEOUT:-2h}" "${key}" >&"${LOCKER[1]}"
  log "waiting for the run lock (a run in progress ends first)"
  while IFS= read -r line <&"${LOCKER[0]}"; do
    [[ "${line}" == "locked" ]] && return 0
    [[ -n "${line}" ]] && log "psql: ${line}"
  done
  die "could not take the run lock (see above): nothing was backed up"
}

release_run_lock() {
  local key="$1"
  printf 'select pg_advisory_unlock(%s);\n\\q\n' "${key}" >&"${LOCKER[1]}"
  wait "${LOCKER_PROCESS}" || true
}

backup() {
  local dir="${1:-${DEPLOY_DIR}/backups/$(date -u +%Y%m%dT%H%M%SZ)}" key
  mkdir -p "${dir}"
  chmod 700 "${dir}"
  key="$(run_lock_key "${SCHEMA}")"
  take_run_lock "${key}"
  log "run lock held: dumping the state schema ${SCHEMA}"
  state_tool pg_dump --format=custom --schema="${SCHEMA}" >"${dir}/state.dump"
  if [[ -n "${DUCKDB}" ]]; then
    log "copying ${DUCKDB} from the scheduler's volume"
    compose cp "scheduler:${DUCKDB}" "${dir}/warehouse.duckdb"
    # A write-ahead log left by a process that did not close the file belongs with it.
    if (cd "${DEPLOY_DIR}" && docker compose exec -T scheduler test -f "${DUCKDB}.wal"); then
      compose cp "scheduler:${DUCKDB}.wal" "${dir}/warehouse.duckdb.wal"
    fi
  fi
  release_run_lock "${key}"
  chmod 600 "${dir}"/*
  local files
  files="$(ls "${dir}")"
  log "backed up to ${dir}: ${files//$'\n'/ }"
}

restore() {
  local dir="${1:-}"
  [[ -n "${dir}" && -f "${dir}/state.dump" ]] || die "usage: backup.sh restore DIR (a folder with state.dump)"
  dir="$(cd "${dir}" && pwd)"
  log "stopping the scheduler (a run in progress gets its grace period)"
  compose stop scheduler
  log "restoring the state schema ${SCHEMA}"
  state_tool pg_restore --clean --if-exists --no-owner --single-transaction <"${dir}/state.dump"
  if [[ -n "${DUCKDB}" && -f "${dir}/warehouse.duckdb" ]]; then
    log "restoring ${DUCKDB}"
    # As the image's node user, so the daemon can write the file afterwards. $0 is the in-container path.
    # shellcheck disable=SC2016
    compose run --rm --no-deps -T -v "${dir}:/backup:ro" --entrypoint sh scheduler -c \
      'cp /backup/warehouse.duckdb "$0" && rm -f "$0.wal" && if [ -f /backup/warehouse.duckdb.wal ]; then cp /backup/warehouse.duckdb.wal "$0.wal"; fi' \
      "${DUCKDB}"
  fi
  compose start scheduler
  log "restored from ${dir}"
}

main() {
  [[ -f "${ENV_FILE}" ]] || die "${ENV_FILE} is missing: this script backs up the stack deploy/.env describes"
  local compose_files
  compose_files="$(setting COMPOSE_FILE)"
  BUNDLED=0
  [[ "${compose_files}" == *docker-compose.state-db.yml* ]] && BUNDLED=1
  SCHEMA="$(setting SLUICE_STATE_SCHEMA)"
  SCHEMA="${SCHEMA:-sluice_state}"
  [[ "${SCHEMA}" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "SLUICE_STATE_SCHEMA=${SCHEMA} is not a plain identifier"
  DUCKDB="${SLUICE_BACKUP_DUCKDB-/var/lib/sluice/warehouse.duckdb}"
  if [[ "${BUNDLED}" == "0" ]]; then
    SLUICE_STATE_URL="$(setting SLUICE_STATE_URL)"
    [[ -n "${SLUICE_STATE_URL}" ]] || die "SLUICE_STATE_URL is not set in ${ENV_FILE}"
    export SLUICE_STATE_URL
  fi
  case "${1:-}" in
    backup) backup "${2:-}" ;;
    restore) restore "${2:-}" ;;
    *) die "usage: backup.sh backup [DIR] | backup.sh restore DIR" ;;
  esac
}

main "$@"
