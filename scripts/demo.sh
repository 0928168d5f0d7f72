#!/usr/bin/env bash
# The main job on the embedded default (SQLite + blobs under REPRISE_HOME, no server):
# the example pipeline four times in parallel with different params, one of them
# reproduced from its id and verified, then the listing.
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
# Reproduce one of them from its manifest alone: the verdict, and exit 1 unless the results match.
run=$(node "$reprise" ls --project iris --filter "params.optim.lr = 0.1" -n 1 --json | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8"))[0].id)')
node "$reprise" reproduce "$run" | grep -v '^\[' || status=1

echo
node "$reprise" ls --project iris -n 8
echo
echo "See them in the web UI: bin/reprise.js server, then open http://127.0.0.1:7878/projects/iris"
exit $status
