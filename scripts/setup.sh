#!/usr/bin/env bash
# Installs what the tests and benchmarks need and is missing, quietly (logs in
# target/test-setup/): the Debian packages `fitsverify`, `pkg-config` and `chromium` (and PostgreSQL 15
# if absent), and a Python venv at .venv/ with the reference requirements
# (../shared/reference/requirements.txt, else scripts/requirements.txt); pip runs only when
# the requirements changed since the last install.
#
# Sourced by scripts/test.sh and scripts/bench.sh, with `repo` set to the repository root.
# Leaves `venv` naming the venv folder, and `make_venv` for the venvs of other references.

logs=$repo/target/test-setup
mkdir -p "$logs"
if [ -d "${HOME:-/nonexistent}/.cargo/bin" ]; then PATH=$HOME/.cargo/bin:$PATH; fi

say() { echo "$(basename "$0"): $*" >&2; }
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
# Headless Chromium opens the generated HTML documentation (tests/tests/docs_browser.rs).
command -v chromium >/dev/null || missing+=(chromium)
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
command -v chromium >/dev/null || fail "chromium is still not on PATH after installing Debian package chromium" "$logs/apt-install.log"

# --- Python venvs ------------------------------------------------------------------------
# make_venv DIR REQUIREMENTS MODULES: a venv at DIR (created, or recreated when its python
# does not run) with REQUIREMENTS installed and MODULES (comma-separated) importable; pip
# runs only when the requirements file changed since the last install. Used for .venv
# below and by scripts/bench.sh for the references that need venvs of their own.
make_venv() {
  local dir=$1 requirements=$2 modules=$3 name python stamp
  name=$(basename "$dir")
  if [ -e "$dir" ] && ! "$dir/bin/python" -c '' >/dev/null 2>&1; then
    say "the venv $name is broken (its python does not run): recreating it"
    rm -rf "$dir"
  fi
  if [ ! -x "$dir/bin/python" ]; then
    say "creating the Python venv $name"
    python=$(command -v python3.11 || command -v python3) || fail "no python3 found" /dev/null
    if ! "$python" -m venv "$dir" >"$logs/$name.log" 2>&1; then
      # Debian's python3 needs its venv package for ensurepip.
      rm -rf "$dir"
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >>"$logs/$name.log" 2>&1 \
        && "$python" -m venv "$dir" >>"$logs/$name.log" 2>&1 \
        || fail "creating the Python venv at $name" "$logs/$name.log"
    fi
  fi
  stamp=$dir/.requirements-$(sha256sum "$requirements" | cut -c1-16)
  if [ ! -f "$stamp" ]; then
    say "installing the Python requirements into $name (pip, $(basename "$(dirname "$requirements")")/$(basename "$requirements"))"
    "$dir/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements" >"$logs/pip-$name.log" 2>&1 \
      || fail "pip install -r $requirements" "$logs/pip-$name.log"
    "$dir/bin/python" -c "import $modules" >>"$logs/pip-$name.log" 2>&1 \
      || fail "importing the Python requirements ($modules) after pip install" "$logs/pip-$name.log"
    rm -f "$dir"/.requirements-*
    touch "$stamp"
  fi
}

requirements=$repo/../shared/reference/requirements.txt
[ -f "$requirements" ] || requirements=$repo/scripts/requirements.txt
venv=$repo/.venv
make_venv "$venv" "$requirements" "astropy, fitsio, numpy, peewee, psycopg, sqlalchemy"
