#!/usr/bin/env bash
# Install Docker on an EC2 instance and start the Sluice scheduler stack (deploy/docker-compose.yml).
#
#   git clone <this repository> sluice && sudo sluice/deploy/install-ec2.sh
#
# Idempotent: run it again after `git pull` to rebuild the image and restart what changed. Supports Amazon Linux
# 2023, Ubuntu and Debian (x86_64 and arm64). The first run writes deploy/.env (mode 600) with generated secrets
# and stops until SLUICE_SOURCE_URL in it is set.
#
# Environment: SLUICE_SKIP_START=1 installs Docker and prepares deploy/.env without starting the stack.
set -euo pipefail

readonly COMPOSE_VERSION="v2.29.7"
readonly BUILDX_VERSION="v0.17.1"
readonly PROJECT_NAME="sluice"

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly DEPLOY_DIR
readonly COMPOSE_FILE="${DEPLOY_DIR}/docker-compose.yml"
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
    exec sudo --preserve-env=SLUICE_SKIP_START bash "${BASH_SOURCE[0]}" "$@"
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

# Reads ID and VERSION_CODENAME of this distribution into OS_ID and OS_CODENAME.
read_os_release() {
  OS_ID=""
  OS_CODENAME=""
  local key value
  while IFS='=' read -r key value; do
    value="${value%\"}"
    value="${value#\"}"
    case "${key}" in
      ID) OS_ID="${value}" ;;
      VERSION_CODENAME) OS_CODENAME="${value}" ;;
      *) ;;
    esac
  done </etc/os-release
}

# Download a file and check it against the checksum published beside it.
fetch_verified() {
  local url="$1" dest="$2" tmp expected actual
  tmp="$(mktemp -d)"
  curl -fsSL --retry 3 -o "${tmp}/file" "${url}"
  curl -fsSL --retry 3 -o "${tmp}/file.sha256" "${url}.sha256"
  expected="$(cut -d' ' -f1 "${tmp}/file.sha256")"
  actual="$(sha256sum "${tmp}/file" | cut -d' ' -f1)"
  [[ -n "${expected}" && "${expected}" == "${actual}" ]] || die "checksum mismatch for ${url}"
  install -m 0755 "${tmp}/file" "${dest}"
  rm -rf "${tmp}"
}

install_docker_amazon_linux() {
  dnf install -y docker curl-minimal >/dev/null
  local plugins=/usr/local/lib/docker/cli-plugins arch
  arch="$(machine_arch)"
  mkdir -p "${plugins}"
  if [[ ! -x "${plugins}/docker-compose" ]]; then
    log "installing the Docker Compose plugin ${COMPOSE_VERSION}"
    fetch_verified "https://github.com/docker/compose/releases/download/${COMPOSE_VERSION}/docker-compose-linux-${arch}" "${plugins}/docker-compose"
  fi
  if [[ ! -x "${plugins}/docker-buildx" ]]; then
    local buildx_arch="amd64"
    [[ "${arch}" == "aarch64" ]] && buildx_arch="arm64"
    log "installing the Docker Buildx plugin ${BUILDX_VERSION}"
    fetch_verified "https://github.com/docker/buildx/releases/download/${BUILDX_VERSION}/buildx-${BUILDX_VERSION}.linux-${buildx_arch}" "${plugins}/docker-buildx"
  fi
}

install_docker_debian_family() {
  local distro="$1" codename="$2" keyring=/etc/apt/keyrings/docker.asc arch
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq ca-certificates curl openssl >/dev/null
  install -m 0755 -d /etc/apt/keyrings
  if [[ ! -s "${keyring}" ]]; then
    curl -fsSL "https://download.docker.com/linux/${distro}/gpg" -o "${keyring}"
    chmod a+r "${keyring}"
  fi
  arch="$(dpkg --print-architecture)"
  printf 'deb [arch=%s signed-by=%s] https://download.docker.com/linux/%s %s stable\n' \
    "${arch}" "${keyring}" "${distro}" "${codename}" >/etc/apt/sources.list.d/docker.list
  apt-get update -qq
  apt-get install -y -qq docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin >/dev/null
}

install_docker() {
  check_docker
  if [[ "${DOCKER_READY}" == "1" ]]; then
    log "Docker and the Compose plugin are installed"
  else
    read_os_release
    log "installing Docker on ${OS_ID}"
    case "${OS_ID}" in
      amzn) install_docker_amazon_linux ;;
      ubuntu | debian) install_docker_debian_family "${OS_ID}" "${OS_CODENAME}" ;;
      *) die "unsupported distribution '${OS_ID}': install Docker and the Compose plugin, then run this script again" ;;
    esac
  fi
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
      -e "s/^SLUICE_SCHEDULER_TOKEN=GENERATED$/SLUICE_SCHEDULER_TOKEN=${token}/" \
      "${ENV_EXAMPLE}" >"${tmp}"
    mv "${tmp}" "${ENV_FILE}"
  fi
  chmod 600 "${ENV_FILE}"
  if grep -Eq '^SLUICE_SOURCE_URL=.*CHANGE_ME' "${ENV_FILE}"; then
    log "set SLUICE_SOURCE_URL (and the other settings) in ${ENV_FILE}, then run this script again"
    return 0
  fi
  if grep -Eq '=GENERATED$' "${ENV_FILE}"; then
    die "${ENV_FILE} still has GENERATED placeholders: remove the file and run this script again"
  fi
  ENV_READY=1
}

compose() {
  docker compose --project-name "${PROJECT_NAME}" --project-directory "${DEPLOY_DIR}" -f "${COMPOSE_FILE}" "$@"
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
    die "the scheduler is ${status}, not healthy: see the log above"
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
