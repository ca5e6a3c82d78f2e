# Shared by scripts/start and scripts/test: find or install what the project needs.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# uv manages Python and the locked dependencies. Use the one on PATH, else a private copy in
# .tools/ installed from PyPI with the machine's own Python (3.11 or newer).
ensure_uv() {
  if command -v uv >/dev/null 2>&1; then UV=uv; return; fi
  UV="$ROOT/.tools/bin/uv"
  if [ ! -x "$UV" ]; then
    say "installing uv into .tools/"
    python3 -m venv "$ROOT/.tools"
    "$ROOT/.tools/bin/pip" install --quiet --disable-pip-version-check uv
  fi
}

# Install exactly the locked dependencies (and the dev group when $1 is "dev").
sync_deps() {
  ensure_uv
  if [ "${1:-}" = dev ]; then
    "$UV" sync --frozen --quiet
  else
    "$UV" sync --frozen --quiet --no-dev
  fi
}

# Debian's Chromium, for the end-to-end tests (Playwright drives it; it downloads no browser).
ensure_chromium() {
  if command -v chromium >/dev/null 2>&1; then return; fi
  say "installing Chromium (Debian package) for the browser tests"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo -n"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
}

apt_install() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo -n"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

wait_for() {  # wait_for SECONDS COMMAND...: poll until the command succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}

# PostgreSQL on 127.0.0.1:5432 with trust for local connections, started if it is not running.
ensure_postgres() {
  if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; then return; fi
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    say "installing PostgreSQL (Debian package) for the scaled-mode tests"
    apt_install postgresql
    local hba
    hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -n 1)
    # Test databases only, on loopback: trust local connections, as the dev machines do.
    printf 'host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n' | cat - "$hba" >"$hba.new"
    mv "$hba.new" "$hba"
  fi
  say "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  wait_for 30 pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL did not start" >&2; return 1; }
}

# Redis on 127.0.0.1:6379, keeping nothing on disk, started if it is not running.
ensure_redis() {
  if command -v redis-cli >/dev/null 2>&1 && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    return
  fi
  command -v redis-server >/dev/null 2>&1 || { say "installing Redis (Debian package)"; apt_install redis-server; }
  say "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/ttportal-redis.log
  wait_for 15 redis-cli -h 127.0.0.1 -p 6379 ping || { echo "Redis did not start" >&2; return 1; }
}
