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
