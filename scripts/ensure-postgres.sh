#!/usr/bin/env bash
# Makes sure a throwaway PostgreSQL server for the tests (the PostgreSQL data source's)
# runs on 127.0.0.1:54329, its files under .cache/postgres, with a superuser role
# "reprise" and a database "reprise_test". Trust auth and no fsync: it holds nothing of
# value. Installs PostgreSQL when it is missing. Idempotent and quick when it runs.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=54329
BASE="$PWD/.cache/postgres"
DATA="$BASE/data"
LOG="$BASE/log"

fail() { echo "postgres: $*" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null; then
  as_root=(sudo)
else
  as_root=(false)
fi

# The server's binaries: from PATH, else the newest of Debian's versioned folders.
find_bin() {
  local found
  found=$(command -v pg_ctl 2>/dev/null || true)
  if [ -n "$found" ]; then dirname "$(readlink -f "$found")"; return; fi
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  [ -n "$found" ] && [ -x "$found/pg_ctl" ] && echo "$found"
}

BIN=$(find_bin || true)
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  command -v apt-get >/dev/null || fail "PostgreSQL (pg_ctl, initdb) is missing and there is no apt-get to install it; install PostgreSQL by hand"
  [ "${as_root[0]:-}" != false ] || fail "PostgreSQL is missing; installing it needs root (run as root or install sudo): apt-get install postgresql"
  install() {
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >/dev/null
  }
  # The package lists may be stale or absent on a fresh machine: refresh them only when needed.
  if ! install; then
    "${as_root[@]}" apt-get update -qq >/dev/null && install || fail "apt-get could not install postgresql"
  fi
  BIN=$(find_bin || true)
  [ -n "$BIN" ] && [ -x "$BIN/initdb" ] || fail "installed, but pg_ctl and initdb are still not found"
fi

PSQL=("$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA)

# PostgreSQL refuses to run as root: root runs the server as the postgres user.
if [ "$(id -u)" -eq 0 ]; then
  id -u postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  as_server=(runuser -u postgres --)
else
  as_server=()
fi

if ! "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
  mkdir -p "$BASE"
  [ ${#as_server[@]} -eq 0 ] || chown postgres: "$BASE"
  "${as_server[@]}" test -w "$BASE" || fail "$BASE is not writable by the user the server runs as (every folder above it must be searchable by it)"
  if [ ! -s "$DATA/PG_VERSION" ]; then
    rm -rf "$DATA"
    "${as_server[@]}" "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C >"$BASE/initdb.log" 2>&1 ||
      fail "initdb failed; see $BASE/initdb.log: $(tail -n 3 "$BASE/initdb.log")"
    echo "include_if_exists = 'reprise.conf'" | "${as_server[@]}" tee -a "$DATA/postgresql.conf" >/dev/null
  fi
  # A server that died with its machine leaves its lock files, whose pid another process may hold now.
  pid=$(head -n1 "$DATA/postmaster.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" != postgres ]; then
    rm -f "$DATA/postmaster.pid" "$BASE/.s.PGSQL.$PORT.lock"
  fi
  # Written at every start, so a moved checkout's socket folder follows it.
  "${as_server[@]}" tee "$DATA/reprise.conf" >/dev/null <<EOF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$BASE'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  "${as_server[@]}" "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null 2>&1 ||
    fail "the server did not start; see $LOG: $(tail -n 3 "$LOG" 2>/dev/null)"
fi

if [ -z "$("${PSQL[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = 'reprise'")" ]; then
  "${PSQL[@]}" -c 'CREATE ROLE reprise SUPERUSER LOGIN' >/dev/null
fi
if [ -z "$("${PSQL[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'reprise_test'")" ]; then
  "${PSQL[@]}" -c 'CREATE DATABASE reprise_test OWNER reprise' >/dev/null
fi

echo "postgres: running on 127.0.0.1:$PORT ($("${PSQL[@]}" -c 'SHOW server_version'))"
