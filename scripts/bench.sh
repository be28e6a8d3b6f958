#!/usr/bin/env bash
# Benchmarks: our writers and the Python references in the same run, with the ratios.
#
#   bash scripts/bench.sh [all|fits|db-sqlite|db-postgres] [-- extra bench-fits args]
#
# The references are the Python programs in ../shared/reference/ (astropy, python fitsio,
# sqlite3, SQLAlchemy, peewee, psycopg); their requirements go into .venv/ as for the
# tests (scripts/setup.sh). `fits` writes the nine-HDU astraSource product with our writer,
# astropy, python fitsio and raw bytes (N = 1 files/s for APOGEE and BOSS, N = 1000 seconds
# with and without fsync); `db-*` writes 100,000 result rows and times single and bulk
# `exists`. For PostgreSQL a throwaway cluster is started with the references' own
# pg_start.sh (port 54329) and stopped at the end. Times drift on a shared machine:
# compare the ratios of one run.
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
say "building the benchmarks (release)"
cargo build -q --release -p astra-targets-tests --bin bench-fits --bin bench-db
bin=$repo/target/release

run_fits() { "$bin/bench-fits" --reference "$ref" "$@"; }
run_sqlite() { "$bin/bench-db" sqlite; }
run_postgres() {
  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/astra-bench-pg.XXXXXX")
  trap 'REF_PG_DIR='"$dir"' bash "$ref/pg_stop.sh" >/dev/null 2>&1 || true; rm -rf "'"$dir"'"' EXIT
  REF_PG_DIR=$dir bash "$ref/pg_start.sh" >"$logs/bench-pg.log" 2>&1 \
    || fail "starting the reference PostgreSQL cluster" "$logs/bench-pg.log"
  REF_PG_DIR=$dir "$bin/bench-db" postgres
}

case $what in
  fits) run_fits "$@" ;;
  db-sqlite) run_sqlite ;;
  db-postgres) run_postgres ;;
  all) run_fits "$@"; run_sqlite; run_postgres ;;
  *) fail "unknown benchmark '$what' (all, fits, db-sqlite, db-postgres)" /dev/null ;;
esac
