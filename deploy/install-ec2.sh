#!/usr/bin/env bash
# Install Docker on an EC2 instance and start the Sluice scheduler stack (deploy/docker-compose*.yml).
#
#   Amazon Linux 2023 (no git on a fresh instance):  sudo dnf install -y git
#   then:  git clone <this repository> sluice && sudo sluice/deploy/install-ec2.sh
#
# Idempotent: run it again after `git pull` to rebuild the image and restart what changed. Supports Amazon Linux
# 2023 (dnf's docker, plus the Compose and Buildx plugins from their GitHub releases, checked against the
# checksums.txt each release publishes) and Ubuntu 24.04 / Debian 12-13 (Docker's apt repository), x86_64 and
# arm64. It refuses to mix Docker packages: with the distribution's own Docker (docker.io, podman-docker…)
# installed it stops and says what to do. The first run writes deploy/.env (mode 600) with generated secrets and
# stops until SLUICE_SOURCE_URL in it is set.
#
# Environment: SLUICE_SKIP_START=1 installs Docker and prepares deploy/.env without starting the stack. For tests:
# SLUICE_OS_RELEASE reads another os-release file; SLUICE_INSTALL_ROOT prefixes the paths written outside deploy/.
set -euo pipefail

readonly COMPOSE_VERSION="v2.29.7"
readonly BUILDX_VERSION="v0.17.1"
readonly PROJECT_NAME="sluice"
readonly ROOT="${SLUICE_INSTALL_ROOT:-}"
readonly PLUGIN_DIR="${ROOT}/usr/local/lib/docker/cli-plugins"
# Docker's own list of distribution packages that conflict with docker-ce (docs.docker.com, "Install on Ubuntu").
readonly DEBIAN_CONFLICTS="docker.io docker-doc docker-compose docker-compose-v2 podman-docker containerd runc"
readonly DNF_CONFLICTS="podman-docker moby-engine"

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly DEPLOY_DIR
readonly ENV_FILE="${DEPLOY_DIR}/.env"
readonly ENV_EXAMPLE="${DEPLOY_DIR}/.env.example"

log() { printf '[sluice-install] %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

require_root() {
  local uid
  uid="$(id -u)"
  if [[ "${uid}" -ne 0 ]]; then
    log "re-running with sudo"
    exec sudo --preserve-env=SLUICE_SKIP_START,SLUICE_OS_RELEASE,SLUICE_INSTALL_ROOT bash "${BASH_SOURCE[0]}" "$@"
  fi
}

# Sets DOCKER_READY=1 when docker and its compose plugin answer.
check_docker() {
  DOCKER_READY=0
  if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    DOCKER_READY=1
  fi
}

machine_arch() {
  local machine
  machine="$(uname -m)"
  case "${machine}" in
    x86_64 | amd64) echo "x86_64" ;;
    aarch64 | arm64) echo "aarch64" ;;
    *) die "unsupported CPU architecture ${machine}" ;;
  esac
}

# Reads ID, VERSION_ID and VERSION_CODENAME of this distribution into OS_ID, OS_VERSION and OS_CODENAME.
read_os_release() {
  OS_ID=""
  OS_VERSION=""
  OS_CODENAME=""
  local file="${SLUICE_OS_RELEASE:-/etc/os-release}" key value
  [[ -r "${file}" ]] || die "${file} is missing: cannot tell which distribution this is"
  while IFS='=' read -r key value; do
    value="${value%\"}"
    value="${value#\"}"
    case "${key}" in
      ID) OS_ID="${value}" ;;
      VERSION_ID) OS_VERSION="${value}" ;;
      VERSION_CODENAME) OS_CODENAME="${value}" ;;
      *) ;;
    esac
  done <"${file}"
}

# Download a release binary and check it against the release's checksums.txt, the one file in which Docker's
# Compose and Buildx releases publish the SHA-256 of every asset ("<sha256> *<asset>" or "<sha256>  <asset>").
fetch_verified() {
  local base="$1" asset="$2" dest="$3" tmp expected actual
  tmp="$(mktemp -d)"
  curl -fsSL --retry 3 -o "${tmp}/${asset}" "${base}/${asset}"
  curl -fsSL --retry 3 -o "${tmp}/checksums.txt" "${base}/checksums.txt"
  expected="$(awk -v name="${asset}" '{ file = $2; sub(/^\*/, "", file) } file == name { print $1; exit }' "${tmp}/checksums.txt")"
  [[ -n "${expected}" ]] || die "${base}/checksums.txt lists no ${asset}"
  actual="$(sha256sum "${tmp}/${asset}" | cut -d' ' -f1)"
  [[ "${expected}" == "${actual}" ]] || die "checksum mismatch for ${base}/${asset}: expected ${expected}, got ${actual}"
  install -m 0755 "${tmp}/${asset}" "${dest}"
  rm -rf "${tmp}"
}

# Packages of $2 (space-separated) that rpm or dpkg ($1) says are installed, space-separated.
installed_of() {
  local manager="$1" found="" package
  for package in $2; do
    if [[ "${manager}" == "rpm" ]]; then
      rpm -q "${package}" >/dev/null 2>&1 && found="${found} ${package}"
    else
      [[ "$(dpkg-query -W -f='${Status}' "${package}" 2>/dev/null || true)" == "install ok installed" ]] &&
        found="${found} ${package}"
    fi
  done
  echo "${found# }"
}

install_amazon_linux() {
  [[ "${OS_VERSION}" == "2023" ]] || die "Amazon Linux ${OS_VERSION} is not supported: use Amazon Linux 2023"
  local conflicts
  conflicts="$(installed_of rpm "${DNF_CONFLICTS}")"
  [[ -z "${conflicts}" ]] ||
    die "installed packages conflict with Amazon Linux's docker: ${conflicts}. Remove them (sudo dnf remove ${conflicts}) and run this script again"
  # curl-minimal is already there (installing curl would conflict with it); git is not, on a fresh instance.
  dnf install -y docker git openssl >/dev/null
  local arch buildx_arch
  arch="$(machine_arch)"
  buildx_arch="amd64"
  [[ "${arch}" == "aarch64" ]] && buildx_arch="arm64"
  mkdir -p "${PLUGIN_DIR}"
  if [[ ! -x "${PLUGIN_DIR}/docker-compose" ]]; then
    log "installing the Docker Compose plugin ${COMPOSE_VERSION}"
    fetch_verified "https://github.com/docker/compose/releases/download/${COMPOSE_VERSION}" \
      "docker-compose-linux-${arch}" "${PLUGIN_DIR}/docker-compose"
  fi
  if [[ ! -x "${PLUGIN_DIR}/docker-buildx" ]]; then
    log "installing the Docker Buildx plugin ${BUILDX_VERSION}"
    fetch_verified "https://github.com/docker/buildx/releases/download/${BUILDX_VERSION}" \
      "buildx-${BUILDX_VERSION}.linux-${buildx_arch}" "${PLUGIN_DIR}/docker-buildx"
  fi
}

install_debian_family() {
  local keyring="${ROOT}/etc/apt/keyrings/docker.asc" arch conflicts
  [[ -n "${OS_CODENAME}" ]] || die "no VERSION_CODENAME in os-release: cannot pick Docker's apt repository"
  conflicts="$(installed_of dpkg "${DEBIAN_CONFLICTS}")"
  if [[ -n "${conflicts}" ]]; then
    die "the distribution's Docker packages are installed (${conflicts}) and conflict with Docker's docker-ce. Either remove them: sudo apt-get remove ${conflicts} (images and volumes in /var/lib/docker stay), then run this script again; or keep them and add Ubuntu's Compose and Buildx plugins: sudo apt-get install docker-compose-v2 docker-buildx, then run this script again (it installs no Docker once \`docker compose\` answers)"
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq ca-certificates curl openssl git >/dev/null
  install -m 0755 -d "${ROOT}/etc/apt/keyrings" "${ROOT}/etc/apt/sources.list.d"
  if [[ ! -s "${keyring}" ]]; then
    curl -fsSL "https://download.docker.com/linux/${OS_ID}/gpg" -o "${keyring}"
    chmod a+r "${keyring}"
  fi
  arch="$(dpkg --print-architecture)"
  printf 'deb [arch=%s signed-by=%s] https://download.docker.com/linux/%s %s stable\n' \
    "${arch}" "${keyring}" "${OS_ID}" "${OS_CODENAME}" >"${ROOT}/etc/apt/sources.list.d/docker.list"
  apt-get update -qq
  apt-get install -y -qq docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin >/dev/null
}

# openssl (for the generated secrets) even where Docker was already installed.
install_prerequisites() {
  command -v openssl >/dev/null 2>&1 && return 0
  log "installing openssl"
  case "${OS_ID}" in
    amzn) dnf install -y openssl >/dev/null ;;
    ubuntu | debian) apt-get install -y -qq openssl >/dev/null ;;
    *) die "openssl is missing: install it, then run this script again" ;;
  esac
}

install_docker() {
  read_os_release
  check_docker
  if [[ "${DOCKER_READY}" == "1" ]]; then
    log "Docker and the Compose plugin are installed"
  else
    log "installing Docker on ${OS_ID} ${OS_VERSION}"
    case "${OS_ID}" in
      amzn) install_amazon_linux ;;
      ubuntu | debian) install_debian_family ;;
      *) die "unsupported distribution '${OS_ID}': install Docker and the Compose plugin, then run this script again" ;;
    esac
  fi
  install_prerequisites
  systemctl enable --now docker >/dev/null
  check_docker
  [[ "${DOCKER_READY}" == "1" ]] || die "docker compose does not answer after the install"
}

random_hex() {
  openssl rand -hex "$1"
}

# Write deploy/.env from the example once, with generated secrets; never overwrite an existing one.
# Sets ENV_READY=1 when the file has every setting the stack needs.
prepare_env_file() {
  ENV_READY=0
  if [[ -f "${ENV_FILE}" ]]; then
    log "keeping the existing ${ENV_FILE}"
  else
    [[ -f "${ENV_EXAMPLE}" ]] || die "${ENV_EXAMPLE} is missing"
    log "writing ${ENV_FILE} with generated secrets"
    local tmp db_password token
    tmp="$(mktemp "${DEPLOY_DIR}/.env.XXXXXX")"
    chmod 600 "${tmp}"
    db_password="$(random_hex 24)"
    token="$(random_hex 32)"
    sed -e "s/^STATE_DB_PASSWORD=GENERATED$/STATE_DB_PASSWORD=${db_password}/" \
      -e "s#^SLUICE_STATE_URL=postgres://sluice:GENERATED@#SLUICE_STATE_URL=postgres://sluice:${db_password}@#" \
      -e "s/^SLUICE_SCHEDULER_TOKEN=GENERATED$/SLUICE_SCHEDULER_TOKEN=${token}/" \
      "${ENV_EXAMPLE}" >"${tmp}"
    mv "${tmp}" "${ENV_FILE}"
  fi
  chmod 600 "${ENV_FILE}"
  if grep -Eq '^SLUICE_SOURCE_URL=.*CHANGE_ME' "${ENV_FILE}"; then
    log "set SLUICE_SOURCE_URL (and the other settings) in ${ENV_FILE}, then run this script again"
    return 0
  fi
  if grep -Eq '^[A-Z_]+=.*GENERATED' "${ENV_FILE}"; then
    die "${ENV_FILE} still has GENERATED placeholders: remove the file and run this script again"
  fi
  ENV_READY=1
}

# Compose reads deploy/.env, and the files it names in COMPOSE_FILE, from the folder it runs in.
compose() {
  (cd "${DEPLOY_DIR}" && docker compose --project-name "${PROJECT_NAME}" "$@")
}

start_stack() {
  log "building the image and starting the stack"
  compose config --quiet
  compose up -d --build --remove-orphans
  local container status="starting"
  container="$(compose ps -q scheduler)"
  for _ in $(seq 1 60); do
    status="$(docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "${container}")"
    [[ "${status}" == "healthy" ]] && break
    sleep 5
  done
  if [[ "${status}" != "healthy" ]]; then
    docker logs --tail 50 "${container}" >&2 || true
    die "the scheduler is ${status}, not healthy (ready): see the log above"
  fi
  local port
  port="$(sed -n 's/^SLUICE_HTTP_PORT=//p' "${ENV_FILE}")"
  log "the scheduler is healthy. Status page: ssh -L ${port:-8080}:127.0.0.1:${port:-8080} <user>@<this host>, then open http://localhost:${port:-8080}/"
}

main() {
  require_root "$@"
  install_docker
  prepare_env_file
  if [[ "${ENV_READY}" != "1" ]]; then
    exit 0
  fi
  if [[ "${SLUICE_SKIP_START:-0}" == "1" ]]; then
    log "SLUICE_SKIP_START=1: not starting the stack"
    exit 0
  fi
  start_stack
}

main "$@"
