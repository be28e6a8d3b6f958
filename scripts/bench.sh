#!/usr/bin/env bash
# Benchmarks: our code and the Python references in the same run, with the ratios.
#
#   bash scripts/bench.sh [all|fits|db-sqlite|db-postgres|runner|cannon|end-to-end] [-- extra bench-fits args]
#
# The references are the Python programs in ../shared/reference/ (astropy, python fitsio,
# sqlite3, SQLAlchemy, peewee, psycopg); their requirements go into .venv/ as for the
# tests (scripts/setup.sh). `fits` writes the nine-HDU astraSource product with our writer,
# astropy, python fitsio and raw bytes (N = 1 files/s for APOGEE and BOSS, N = 1000 seconds
# with and without fsync); `db-*` writes 100,000 result rows and times single and bulk
# `exists`. For PostgreSQL a throwaway cluster is started with the references' own
# pg_start.sh (port 54329) and stopped at the end.
#
# `runner` runs 2,000 tasks of a plugin that analyses nothing (one row and one small
# astraSource file each, one worker) against luigi's local scheduler (bench_luigi.py, in
# its own venv .venv-luigi/ from requirements-luigi.txt), first run and re-run, and decides
# the completeness of 100,000 finished tasks. `cannon` trains and fits The Cannon against
# the-cannon 0.2.6 (cannon_ref.py, in its own venv .venv-cannon/ from
# requirements-cannon.txt) on the same arrays, one thread. `end-to-end` runs
# `astra run thecannon` on 1,000 synthetic APOGEE inputs with 2 workers beside the
# astraSource writer alone. Every benchmark prints its goals beside its ratios; none
# asserts a speed. Times drift on a shared machine: compare the ratios of one run.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$repo/scripts/setup.sh"

ref=$(cd "$repo/.." && pwd)/shared/reference
[ -f "$ref/db_bench.py" ] || fail "the Python references are not at $ref (the shared/ folder beside the repository)" /dev/null
export ASTRA_TEST_PYTHON=$venv/bin/python
export ASTRA_REF_DIR=$ref

what=${1:-all}
shift || true
[ "${1:-}" = "--" ] && shift

cd "$repo"
bin=${CARGO_TARGET_DIR:-$repo/target}/release
build() {
  say "building $* (release)"
  cargo build -q --release "$@"
}

run_fits() {
  build -p astra-targets-tests --bin bench-fits
  "$bin/bench-fits" --reference "$ref" "$@"
}
run_sqlite() {
  build -p astra-targets-tests --bin bench-db
  "$bin/bench-db" sqlite
}
run_postgres() {
  local dir
  build -p astra-targets-tests --bin bench-db
  dir=$(mktemp -d "${TMPDIR:-/tmp}/astra-bench-pg.XXXXXX")
  trap 'REF_PG_DIR='"$dir"' bash "$ref/pg_stop.sh" >/dev/null 2>&1 || true; rm -rf "'"$dir"'"' EXIT
  REF_PG_DIR=$dir bash "$ref/pg_start.sh" >"$logs/bench-pg.log" 2>&1 \
    || fail "starting the reference PostgreSQL cluster" "$logs/bench-pg.log"
  REF_PG_DIR=$dir "$bin/bench-db" postgres
}
run_runner() {
  make_venv "$repo/.venv-luigi" "$ref/requirements-luigi.txt" "luigi"
  build -p astra-targets-tests --bin bench-runner
  "$bin/bench-runner" --luigi-python "$repo/.venv-luigi/bin/python" --reference "$ref"
}
run_cannon() {
  # the-cannon 0.2.6 imports only with its aliases for Python >= 3.10 (cannon_ref.py
  # installs them), so the check imports its dependencies.
  make_venv "$repo/.venv-cannon" "$ref/requirements-cannon.txt" "numpy, scipy, astropy, sharedmem, six"
  build -p astra-thecannon --bin bench-cannon
  "$bin/bench-cannon" --python "$repo/.venv-cannon/bin/python" --reference "$ref/cannon_ref.py"
}
run_end_to_end() {
  build -p astra-cli -p astra-targets-tests --bin astra --bin bench-end-to-end
  "$bin/bench-end-to-end" --astra "$bin/astra"
}

case $what in
  fits) run_fits "$@" ;;
  db-sqlite) run_sqlite ;;
  db-postgres) run_postgres ;;
  runner) run_runner ;;
  cannon) run_cannon ;;
  end-to-end) run_end_to_end ;;
  all) run_fits "$@"; run_sqlite; run_postgres; run_runner; run_cannon; run_end_to_end ;;
  *) fail "unknown benchmark '$what' (all, fits, db-sqlite, db-postgres, runner, cannon, end-to-end)" /dev/null ;;
esac
