#!/usr/bin/env bash
# The one command that runs every test of the workspace, on a fresh machine too.
#
#   bash scripts/test.sh [extra cargo test args...]
#
# 1. Installs what is missing, quietly (logs in target/test-setup/): the Debian packages
#    `fitsverify`, `pkg-config` and `chromium`, and a Python venv at .venv/ with the reference
#    requirements (../shared/reference/requirements.txt, else scripts/requirements.txt);
#    pip runs only when the requirements changed since the last install.
# 2. Starts a throwaway PostgreSQL 15 cluster in a temporary folder (scripts/pg.sh),
#    stopped and removed on exit, error or Ctrl-C.
# 3. Exports ASTRA_TEST_PYTHON, ASTRA_TEST_PG_URL (and ASTRA_TEST_PG_SOCKET) and runs
#    `cargo test --workspace --all-targets --no-fail-fast` and then the doc tests; with
#    arguments, `cargo test --workspace --no-fail-fast ARGS` alone (`--test db_contract`
#    runs one test file). Exits with cargo's status.
# 4. Ends on one line summing every test binary: `tests: N passed, M failed`.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# --- What the tests need: Debian packages and the Python venv --------------------------
source "$repo/scripts/setup.sh"

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
  setsid bash -c 'cargo "${@:2}" | tee -a "$1"; exit "${PIPESTATUS[0]}"' run_cargo "$results" "$@" &
  cargo_pid=$!
  local status=0
  wait "$cargo_pid" || status=$?
  cargo_pid=
  return "$status"
}

# Every test binary's "test result:" line is summed into one closing line.
results=$logs/test-output.log
: >"$results"
summarize() {
  awk '/^test result: / {
         for (i = 1; i <= NF; i++) {
           if ($(i + 1) ~ /^passed/) passed += $i
           if ($(i + 1) ~ /^failed/) failed += $i
         }
       }
       END { printf "tests: %d passed, %d failed\n", passed, failed }' "$results"
}

cd "$repo"
status=0
if [ $# -eq 0 ]; then
  run_cargo test --workspace --all-targets --no-fail-fast || status=$?
else
  run_cargo test --workspace --no-fail-fast "$@" || status=$?
fi
if [ $# -eq 0 ]; then
  run_cargo test --workspace --doc --no-fail-fast || { s=$?; [ "$status" -ne 0 ] || status=$s; }
fi
[ "$status" -eq 0 ] || say "cargo test exited with status $status"
summarize
exit "$status"
