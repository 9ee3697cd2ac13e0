#!/usr/bin/env bash
# A throwaway PostgreSQL 15 on loopback, for the tests and benchmarks of the
# database backend (Debian's `postgresql` package; initdb takes seconds).
#   scripts/postgres.sh start DIR PORT   # prints postgres://postgres@127.0.0.1:PORT/gradscope
#   scripts/postgres.sh stop DIR
# PostgreSQL refuses to run as root: as root, the server runs as the
# `postgres` user, in DIR, which is made theirs.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-}" dir="${2:-}" port="${3:-55432}"
[ -n "$dir" ] || { echo "usage: scripts/postgres.sh start|stop DIR [PORT]" >&2; exit 2; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

case "$what" in
start)
  scripts/install-deps.sh postgresql >&2
  bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  as_owner "$bin/initdb -D '$dir/db' --auth=trust -U postgres >'$dir/initdb.log'"
  as_owner "$bin/pg_ctl -D '$dir/db' -l '$dir/log' -w -o '-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=on' start >/dev/null"
  as_owner "$bin/createdb -h 127.0.0.1 -p $port -U postgres gradscope"
  echo "postgres://postgres@127.0.0.1:$port/gradscope"
  ;;
stop)
  bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  [ -d "$dir/db" ] && as_owner "$bin/pg_ctl -D '$dir/db' -m immediate stop >/dev/null" || true
  ;;
*) echo "usage: scripts/postgres.sh start|stop DIR [PORT]" >&2; exit 2;;
esac
