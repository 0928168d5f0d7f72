#!/usr/bin/env bash
# The main job on the embedded default (SQLite + blobs under REPRISE_HOME, no server):
# the example pipeline four times in parallel with different params (and a one-epoch
# try that fails its gates), one of them
# reproduced from its id and verified, the best run that passed its gates promoted into
# the model store and served for a prediction, the listing, and the iris data in the lake queried as of a time.
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
# A quick local try with one epoch: it succeeds but fails its gates, so its artifacts are flagged for deletion.
node "$reprise" run -p optim.lr=0.001 -p epochs=1 --dev &
pids+=($!)
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done

echo
# Reproduce one of them from its manifest alone: the verdict, and exit 1 unless the results match.
run=$(node "$reprise" ls --project iris --filter "params.optim.lr = 0.1" -n 1 --json | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8"))[0].id)')
node "$reprise" reproduce "$run" | grep -v '^\[' || status=1

echo
# Promote the best run that passed its gates: its model becomes the next version of iris-classifier.
best=$(node "$reprise" ls --project iris --filter "gate = 'passed'" --order "metrics.val_accuracy desc" -n 1 --json 2>/dev/null | node -e 'const r = JSON.parse(require("fs").readFileSync(0, "utf8"))[0]; process.stdout.write(r ? r.id : "")')
if [ -n "$best" ]; then
  node "$reprise" promote "$best" --note "best val_accuracy of the demo" || status=1
  node "$reprise" models ls
  echo
  # Serve that version the way downstream systems call it (its own serve.py, in its recorded
  # code and environment), and ask it about two flowers.
  served=$(mktemp -d)
  node "$reprise" serve iris-classifier@candidate --port 0 > "$served/out" 2> "$served/err" &
  serve_pid=$!
  url=""
  for _ in $(seq 1 240); do
    url=$(sed -n 's/^reprise serve .* listening on //p' "$served/out")
    [ -n "$url" ] || ! kill -0 "$serve_pid" 2>/dev/null && break
    sleep 0.5
  done
  if [ -n "$url" ]; then
    sed -n 's/^serving /reprise serve: serving /p' "$served/out"
    node -e '
      fetch(process.argv[1] + "/api/v1/models/iris-classifier/candidate/predict", {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ inputs: [[5.1, 3.5, 1.4, 0.2], [6.3, 2.9, 5.6, 1.8]] }),
      }).then((r) => r.json()).then((a) => {
        if (!a.outputs) { console.error(JSON.stringify(a)); process.exit(1); }
        console.log(`version ${a.version} answered: ${a.outputs.map((o) => o.label).join(", ")}`);
      });' "$url" || status=1
  else
    cat "$served/err" >&2
    status=1
  fi
  kill "$serve_pid" 2>/dev/null || true
  wait "$serve_pid" 2>/dev/null || true
  rm -rf "$served"
else
  echo "no run passed its gates, so none was promoted"
  status=1
fi

echo
node "$reprise" ls --project iris -n 8
echo
node "$reprise" show "$(node "$reprise" ls --project iris --filter "gate = 'failed'" -n 1 --json 2>/dev/null | node -e 'const r = JSON.parse(require("fs").readFileSync(0, "utf8"))[0]; process.stdout.write(r ? r.id : "")')" | sed -n '/^gates/,$p'
echo
# The lake: the iris data appended as a table, then queried as of that commit; a later
# append changes nothing that query returns.
commit=$(node "$reprise" data append iris data/iris.csv --json | node -e 'process.stdout.write(new Date(JSON.parse(require("fs").readFileSync(0, "utf8")).commit.committedAt).toISOString())')
node "$reprise" data append iris data/iris.csv > /dev/null
node "$reprise" data query "SELECT species, count(*) AS n, round(avg(petal_length), 2) AS petal_length FROM iris GROUP BY species ORDER BY species" --as-of "$commit" || status=1
node "$reprise" data tables
echo
# What gc would free: the artifacts of runs flagged for deletion (none is due yet: failed runs keep theirs for 7 days).
node "$reprise" gc --dry-run
echo
echo "See them in the web UI: bin/reprise.js server, then open http://127.0.0.1:7878/projects/iris"
exit $status
