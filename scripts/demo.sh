#!/usr/bin/env bash
# What astra-targets does so far, on SQLite and a local folder (no server):
#   1. lists the tasks linked into the `astra` program, with parameters, path rules and
#      result columns;
#   2. resolves a task's id and astraSource path from its parameters;
#   3. runs the tour (examples/tour.rs): a synthetic APOGEE spectrum, one result row per
#      spectrum written to a SQLite database and read back, an astraSource FITS file
#      written atomically with checksums and verified.
# Outputs go to ./astra-demo/ (or the folder given as the first argument).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$(mkdir -p "${1:-$repo/astra-demo}" && cd "${1:-$repo/astra-demo}" && pwd)
cd "$repo"
if [ -d "${HOME:-/nonexistent}/.cargo/bin" ]; then PATH=$HOME/.cargo/bin:$PATH; fi

echo "== building (release)"
cargo build -q --release -p astra-cli --bin astra -p astra-targets-examples --example tour
astra=$repo/target/release/astra

echo; echo "== astra tasks"
"$astra" tasks

echo; echo "== astra path LineStrength ..."
"$astra" --output-dir "$out/astra-output" path LineStrength release=dr19 telescope=apo25m \
  healpix=24316 obj=2M00001023-0000126 continuum_order=3 n_threads=8

echo; echo "== the tour: database rows and an astraSource file in $out"
"$repo/target/release/examples/tour" "$out"
