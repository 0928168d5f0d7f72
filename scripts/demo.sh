#!/usr/bin/env bash
# The main job on the embedded default (SQLite + blobs under REPRISE_HOME, no server):
# the example pipeline four times in parallel with different params, then the listing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
reprise="$PWD/bin/reprise.js"
cd examples/iris

pids=()
for lr in 0.03 0.1 0.3 1.0; do
  node "$reprise" run -p optim.lr="$lr" -p epochs=30 &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done

echo
node "$reprise" ls --project iris -n 8
echo
echo "See them in the web UI: bin/reprise.js server, then open http://127.0.0.1:7878/projects/iris"
exit $status
