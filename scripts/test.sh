#!/usr/bin/env bash
# The one command that runs every test of the workspace, on a fresh machine too.
#
#   bash scripts/test.sh [extra cargo test args...]
#
# 1. Installs what is missing, quietly (logs in target/test-setup/): the Debian packages
#    `fitsverify` and `pkg-config`, and a Python venv at .venv/ with the reference
#    requirements (../shared/reference/requirements.txt, else scripts/requirements.txt);
#    pip runs only when the requirements changed since the last install.
# 2. Starts a throwaway PostgreSQL 15 cluster in a temporary folder (scripts/pg.sh),
#    stopped and removed on exit, error or Ctrl-C.
# 3. Exports ASTRA_TEST_PYTHON, ASTRA_TEST_PG_URL (and ASTRA_TEST_PG_SOCKET) and runs
#    `cargo test --workspace --all-targets "$@"`, then the doc tests when no extra
#    arguments were given. Exits with cargo's status.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
logs=$repo/target/test-setup
mkdir -p "$logs"
if [ -d "${HOME:-/nonexistent}/.cargo/bin" ]; then PATH=$HOME/.cargo/bin:$PATH; fi

say() { echo "test.sh: $*" >&2; }
fail() { say "FAILED: $1 (log: $2)"; exit 1; }

# --- Debian packages -------------------------------------------------------------------
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n "$@"
  else return 1
  fi
}

missing=()
command -v fitsverify >/dev/null || missing+=(fitsverify)
command -v pkg-config >/dev/null || missing+=(pkg-config)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} (apt-get)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >"$logs/apt-update.log" 2>&1 \
    || fail "apt-get update (needed for: ${missing[*]}; root or passwordless sudo required)" "$logs/apt-update.log"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
    >"$logs/apt-install.log" 2>&1 \
    || fail "apt-get install ${missing[*]}" "$logs/apt-install.log"
fi
command -v fitsverify >/dev/null || fail "fitsverify is still not on PATH after installing Debian package fitsverify" "$logs/apt-install.log"

# --- Python venv -------------------------------------------------------------------------
requirements=$repo/../shared/reference/requirements.txt
[ -f "$requirements" ] || requirements=$repo/scripts/requirements.txt
venv=$repo/.venv
if [ -e "$venv" ] && ! "$venv/bin/python" -c '' >/dev/null 2>&1; then
  say "the venv .venv is broken (its python does not run): recreating it"
  rm -rf "$venv"
fi
if [ ! -x "$venv/bin/python" ]; then
  say "creating the Python venv .venv"
  python=$(command -v python3.11 || command -v python3) || fail "no python3 found" /dev/null
  if ! "$python" -m venv "$venv" >"$logs/venv.log" 2>&1; then
    # Debian's python3 needs its venv package for ensurepip.
    rm -rf "$venv"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >>"$logs/venv.log" 2>&1 \
      && "$python" -m venv "$venv" >>"$logs/venv.log" 2>&1 \
      || fail "creating the Python venv at .venv" "$logs/venv.log"
  fi
fi
stamp=$venv/.requirements-$(sha256sum "$requirements" | cut -c1-16)
if [ ! -f "$stamp" ]; then
  say "installing the Python requirements into .venv (pip, $(basename "$(dirname "$requirements")")/requirements.txt)"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements" >"$logs/pip.log" 2>&1 \
    || fail "pip install -r $requirements" "$logs/pip.log"
  "$venv/bin/python" -c 'import astropy, fitsio, numpy, peewee, psycopg, sqlalchemy' >>"$logs/pip.log" 2>&1 \
    || fail "importing the Python requirements after pip install" "$logs/pip.log"
  rm -f "$venv"/.requirements-*
  touch "$stamp"
fi

# --- PostgreSQL --------------------------------------------------------------------------
bash "$repo/scripts/pg.sh" reap
pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/astra-test-pg.XXXXXX")
echo $$ >"$pg_dir/owner.pid"
cargo_pid=
cleanup() {
  local status=$?
  trap - EXIT INT TERM HUP
  if [ -n "$cargo_pid" ] && kill -0 "$cargo_pid" 2>/dev/null; then
    kill -TERM -- "-$cargo_pid" 2>/dev/null || true
    wait "$cargo_pid" 2>/dev/null || true
  fi
  # The cluster's logs outlive its folder when something went wrong.
  if [ "$status" -ne 0 ]; then
    for f in initdb pg_ctl server; do cp "$pg_dir/$f.log" "$logs/pg-$f.log" 2>/dev/null || true; done
  fi
  bash "$repo/scripts/pg.sh" stop "$pg_dir" || say "could not stop the PostgreSQL cluster in $pg_dir"
  exit "$status"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM HUP

port=$(bash "$repo/scripts/pg.sh" start "$pg_dir") || fail "starting PostgreSQL 15" "$logs/pg-server.log, $logs/pg-initdb.log"
say "PostgreSQL 15 on 127.0.0.1:$port and $pg_dir"

export ASTRA_TEST_PG_URL="postgres://astra@127.0.0.1:$port/postgres"
export ASTRA_TEST_PG_SOCKET="$pg_dir"
export ASTRA_TEST_PYTHON="$venv/bin/python"

# --- cargo test --------------------------------------------------------------------------
# cargo runs in a process group of its own (setsid), so that an interrupt stops it and its
# test binaries before the cluster goes away; `wait` lets the traps run at once.
run_cargo() {
  setsid cargo "$@" &
  cargo_pid=$!
  local status=0
  wait "$cargo_pid" || status=$?
  cargo_pid=
  return "$status"
}

cd "$repo"
status=0
run_cargo test --workspace --all-targets "$@" || status=$?
if [ $# -eq 0 ]; then
  run_cargo test --workspace --doc || { s=$?; [ "$status" -ne 0 ] || status=$s; }
fi
exit "$status"
