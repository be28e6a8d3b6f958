#!/usr/bin/env bash
# The main job: `astra demo`, on SQLite and a local folder (no server).
#
# Builds the `astra` program (release) and runs its demo: synthetic APOGEE and BOSS
# spectrum files of stars with known labels, The Cannon, The Payne's network and the
# classifier trained on a labelled subset, `thecannon` and `thepayne` run on the other
# spectra and `classifier` on all of them, then both methods' recovered labels side by
# side against the true ones. Everything goes to ./astra-demo/ (or the
# folder given as the first argument); running it again finds the work done.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:-astra-demo}
if [ -d "${HOME:-/nonexistent}/.cargo/bin" ]; then PATH=$HOME/.cargo/bin:$PATH; fi

echo "== building the astra program (release)"
cargo build -q --release --manifest-path "$repo/Cargo.toml" -p astra-cli --bin astra
astra=$repo/target/release/astra

echo "== astra demo --dir $dir"
"$astra" demo --dir "$dir"
