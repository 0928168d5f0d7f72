#!/usr/bin/env bash
# Makes sure a throwaway S3-compatible server for the tests and the benchmark (the S3 blob
# store's) runs on 127.0.0.1:54330: moto in server mode, from the venv .venv-s3 (pinned in
# test/s3/requirements.txt), its pid file and log under .cache/s3. It keeps everything in
# memory and checks no credentials: it holds nothing of value, and a restart empties it.
# Idempotent and quick when it runs; a pid file left by a server that is gone is replaced.
set -euo pipefail
cd "$(dirname "$0")/.."

HOST=127.0.0.1
PORT=54330
VENV=.venv-s3
BASE="$PWD/.cache/s3"
PIDFILE="$BASE/moto.pid"
LOG="$BASE/moto.log"
URL="http://$HOST:$PORT"

fail() { echo "s3: $*" >&2; exit 1; }

# Any S3 answer counts (moto lists its buckets at /), not only a 200.
answers() { curl -s -o /dev/null --max-time 2 "$URL/"; }

command -v curl >/dev/null || fail "curl is needed to see whether the server answers"

if ! answers; then
  bash scripts/ensure-venv.sh "$VENV" test/s3/requirements.txt
  mkdir -p "$BASE"
  # The tests and the benchmark may both call this at once: one starts the server, the other waits.
  exec 8>"$BASE/start.lock"
  if command -v flock >/dev/null; then flock 8; fi
  if ! answers; then
    pid=$(cat "$PIDFILE" 2>/dev/null || true)
    # A pid file whose process is still moto but does not answer: stopped and started again.
    if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q moto_server; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$PIDFILE"
    # Detached (own session, no terminal), so it outlives this script and the test run.
    if command -v setsid >/dev/null; then detach=(setsid); else detach=(nohup); fi
    "${detach[@]}" "$VENV/bin/moto_server" -H "$HOST" -p "$PORT" </dev/null >"$LOG" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 150); do
      answers && break
      kill -0 "$(cat "$PIDFILE")" 2>/dev/null || fail "moto_server exited at start; see $LOG: $(tail -n 3 "$LOG")"
      sleep 0.1
    done
    answers || fail "moto_server did not answer on $URL within 15 s; see $LOG: $(tail -n 3 "$LOG")"
  fi
fi

echo "s3: moto running on $URL (pid $(cat "$PIDFILE" 2>/dev/null || echo '?'), log $LOG); tests read REPRISE_TEST_S3_ENDPOINT, default $URL"
