#!/usr/bin/env bash
# Benchmarks: the launch overhead of `reprise run`, the environment cache's cold build and
# warm hit, and the SDK's cost per log() call.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
status=0
node bench/run-overhead.mjs || status=1
node bench/env-cache.mjs || status=1
python3 bench/sdk_log.py || status=1
exit $status
