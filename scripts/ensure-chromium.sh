#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed: the browser tests (test/ui) and the UI
# benchmark drive it through playwright-core. Idempotent and quick when it is there.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  echo "chromium: $CHROMIUM is installed"
  exit 0
fi

command -v apt-get >/dev/null || { echo "chromium: $CHROMIUM is missing and there is no apt-get to install it; install Chromium there by hand" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null; then
  as_root=(sudo)
else
  echo "chromium: $CHROMIUM is missing; installing it needs root (run as root or install sudo): apt-get install chromium" >&2
  exit 1
fi

install() {
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null
}

# The package lists may be stale or absent on a fresh machine: refresh them only when needed.
if ! install; then
  "${as_root[@]}" apt-get update -qq >/dev/null && install || { echo "chromium: apt-get could not install chromium" >&2; exit 1; }
fi

[ -x "$CHROMIUM" ] || { echo "chromium: installed, but $CHROMIUM is still missing" >&2; exit 1; }
echo "chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
