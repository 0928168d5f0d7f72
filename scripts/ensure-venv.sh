#!/usr/bin/env bash
# Usage: scripts/ensure-venv.sh VENV REQS [--system-site-packages]
# Makes sure the virtual environment VENV (e.g. .venv-mlflow, .venv-tensorboard) holds
# the pinned packages of the requirements file REQS (paths relative to the repository).
# With --system-site-packages the venv also sees the machine's own packages (what is
# pinned in REQS still wins): how tests find a package too large to install for them,
# such as torch, where the machine already has it.
# Idempotent: the venv keeps a copy of the requirements (and options) it was installed
# from, so an unchanged pin costs nothing and a change reinstalls. Silent when all is in place.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "ensure-venv: $*" >&2; exit 1; }

[ $# -eq 2 ] || { [ $# -eq 3 ] && [ "$3" = --system-site-packages ]; } || fail "usage: scripts/ensure-venv.sh VENV REQS [--system-site-packages]"
VENV=${1%/}
REQS=$2
OPTS=${3:-}
MARKER="$VENV/.reprise-requirements"

[ -f "$REQS" ] || fail "$REQS is missing"
# What the marker holds once the venv is installed: the pins, then the options.
wanted() { cat "$REQS"; echo "# ensure-venv options: $OPTS"; }
installed() { [ -x "$VENV/bin/python" ] && wanted | cmp -s - "$MARKER"; }
# The fast path, before any lock: nothing to do when the venv was installed from these pins.
if installed; then exit 0; fi

command -v python3 >/dev/null || fail "python3 is needed to make $VENV"

# The tests and the benchmarks may both call this at once: one installs, the other waits.
# One lock per venv, so different venvs install side by side.
mkdir -p .cache
LOCK_NAME=$(basename "$VENV")
exec 9>".cache/${LOCK_NAME#.}.lock"
if command -v flock >/dev/null; then flock 9; fi
if installed; then exit 0; fi

# A venv whose interpreter is gone (python3 upgraded or removed) cannot be repaired in
# place, nor one made with other options: both are made again.
if [ -d "$VENV" ] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then rm -rf "$VENV"; fi
if [ -f "$MARKER" ]; then
  made_with=$(sed -n 's/^# ensure-venv options: //p' "$MARKER")
  [ "$made_with" = "$OPTS" ] || rm -rf "$VENV"
fi
if [ ! -d "$VENV" ]; then
  # shellcheck disable=SC2086 # OPTS is one option or none
  python3 -m venv $OPTS "$VENV" || fail "python3 -m venv failed (on Debian or Ubuntu: apt-get install python3-venv)"
fi
rm -f "$MARKER"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQS" \
  || fail "pip could not install $REQS into $VENV"
# Written last, so an interrupted install is retried next time.
wanted > "$MARKER"
