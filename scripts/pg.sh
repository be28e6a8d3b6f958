#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests.
#
#   scripts/pg.sh start DIR   initdb a cluster in DIR/data (trust auth, superuser `astra`),
#                             start it on a unix socket in DIR and on 127.0.0.1 at the first
#                             free port from 54400, and print that port
#   scripts/pg.sh stop DIR    stop the cluster in DIR (fast shutdown) and remove DIR
#   scripts/pg.sh reap        stop and remove the clusters of earlier runs whose owning
#                             process is gone (a run killed with SIGKILL leaves one behind)
#
# DIR is a folder of its own (mktemp -d). Run as root, the server runs as the `postgres`
# OS user (initdb refuses root); otherwise as the current user. Logs stay in DIR.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PREFIX=${TMPDIR:-/tmp}/astra-test-pg.

# Runs a command as the server's OS user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  local dir=$1
  [ -d "$dir" ] || { echo "pg.sh: no folder $dir" >&2; exit 1; }
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
  if ! as_pg "$PG_BIN/initdb" -D "$dir/data" -U astra --auth=trust --no-locale -E UTF8 \
      >"$dir/initdb.log" 2>&1; then
    echo "pg.sh: initdb failed (log: $dir/initdb.log)" >&2
    exit 1
  fi
  local port
  for port in $(seq 54400 54499); do
    # A port some other process listens on makes the start fail: try the next one.
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
    if as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off \
            -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
        start >>"$dir/pg_ctl.log" 2>&1; then
      echo "$port"
      return 0
    fi
  done
  echo "pg.sh: PostgreSQL did not start on any port 54400-54499 (log: $dir/server.log)" >&2
  exit 1
}

stop() {
  local dir=$1
  [ -d "$dir" ] || return 0
  if [ -f "$dir/data/postmaster.pid" ]; then
    if ! as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >>"$dir/pg_ctl.log" 2>&1; then
      # Still running after the fast shutdown: stop the postmaster by its pid.
      local pid
      pid=$(head -1 "$dir/data/postmaster.pid" 2>/dev/null || true)
      if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -QUIT "$pid" 2>/dev/null || true
        sleep 1
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
  fi
  rm -rf "$dir"
}

reap() {
  local dir owner
  for dir in "$PREFIX"*; do
    [ -d "$dir" ] || continue
    owner=$(cat "$dir/owner.pid" 2>/dev/null || true)
    if [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null; then continue; fi
    # A folder just made by a run that has not yet written its owner: leave it.
    if [ -z "$owner" ] && [ -n "$(find "$dir" -maxdepth 0 -mmin -1)" ]; then continue; fi
    stop "$dir"
  done
}

case "${1:-}" in
  start) start "${2:?usage: pg.sh start DIR}" ;;
  stop) stop "${2:?usage: pg.sh stop DIR}" ;;
  reap) reap ;;
  *) echo "usage: pg.sh start DIR | stop DIR | reap" >&2; exit 2 ;;
esac
