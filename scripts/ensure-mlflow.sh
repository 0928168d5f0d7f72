#!/usr/bin/env bash
# Makes sure .venv-mlflow/ holds the pinned MLflow, scikit-learn and matplotlib of
# test/mlflow/requirements.txt (the compatibility tests and bench/mlflow.mjs use them).
# Idempotent: the venv keeps a copy of the requirements it was installed from, so an
# unchanged pin costs nothing and a changed one reinstalls. Silent when all is in place.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv-mlflow
REQS=test/mlflow/requirements.txt
MARKER="$VENV/.reprise-requirements"

fail() { echo "ensure-mlflow: $*" >&2; exit 1; }

[ -f "$REQS" ] || fail "$REQS is missing"
# The fast path, before any lock: nothing to do when the venv was installed from these pins.
if [ -x "$VENV/bin/python" ] && cmp -s "$REQS" "$MARKER"; then exit 0; fi

command -v python3 >/dev/null || fail "python3 is needed to make $VENV"

# The tests and the benchmarks may both call this at once: one installs, the other waits.
mkdir -p .cache
exec 9>.cache/ensure-mlflow.lock
if command -v flock >/dev/null; then flock 9; fi
if [ -x "$VENV/bin/python" ] && cmp -s "$REQS" "$MARKER"; then exit 0; fi

# A venv whose interpreter is gone (python3 upgraded or removed) cannot be repaired in place.
if [ -d "$VENV" ] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then rm -rf "$VENV"; fi
if [ ! -d "$VENV" ]; then
  python3 -m venv "$VENV" || fail "python3 -m venv failed (on Debian or Ubuntu: apt-get install python3-venv)"
fi
rm -f "$MARKER"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQS" \
  || fail "pip could not install $REQS into $VENV"
# Written last, so an interrupted install is retried next time.
cp "$REQS" "$MARKER"
