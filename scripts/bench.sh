#!/usr/bin/env bash
# Benchmarks: the launch overhead of `reprise run`, the environment cache's cold build and
# warm hit, and the SDK's cost per log() call; then the server and the store: bulk metric
# ingestion, the latency of a single-point log request (and what --auth adds to it), a downsampled history of a million
# points, run search over 100,000 runs, MLflow's REST API against the real MLflow server
# (scripts/ensure-venv.sh installs it in .venv-mlflow/), TensorBoard event files, reproduction and bundles,
# PostgreSQL beside SQLite and S3 (moto) beside the blob folder,
# garbage collection, the queue's scheduling overhead, what a merge costs before its run is queued, the lake's appends and as-of queries, drift scoring of a
# production window against a reference profile, what `reprise serve` adds to a model's own prediction time, and the web UI.
#
# BENCH_SCALE=0.1 scales the data of the server and store benchmarks down for a quick check
# (their figures then say so). BENCH_TMP=<folder> puts their scratch homes elsewhere than the
# OS temp folder; BENCH_SEARCH_HOME=<folder> keeps the 100,000-run store the search
# benchmark generates (about 2 minutes, 760 MiB) and reuses it on later runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
status=0
node bench/run-overhead.mjs || status=1
node bench/env-cache.mjs || status=1
python3 bench/sdk_log.py || status=1
echo "== metric ingestion through the bulk endpoint (target: at least 500,000 points/s into SQLite) =="
node bench/server-ingest.mjs || status=1
echo "== a single-point log request on loopback (target: p50 under 1 ms) =="
node bench/server-latency.mjs || status=1
echo "== what --auth adds to a request: a log request and a page of runs with a token, basic auth and a web sign-in (no target) =="
node bench/auth.mjs || status=1
echo "== history of 1,000,000 points downsampled to 1,000 (target: under 50 ms) =="
node bench/history.mjs || status=1
echo "== search over 100,000 runs, filtered and sorted (target: under 100 ms) =="
node bench/search.mjs || status=1
echo "== the MLflow REST API, reprise against the real MLflow server (targets: at least 10x on log-batch ingestion and search, never slower) =="
bash scripts/ensure-venv.sh .venv-mlflow test/mlflow/requirements.txt && node bench/mlflow.mjs || status=1
echo "== TensorBoard event files: read a 1,000,000-scalar file with its checksums (target: over 1,000,000 points/s), import it, write it back =="
node bench/tensorboard.mjs || status=1
echo "== the PostgreSQL metadata store beside SQLite: ingestion, in-process appends, a 1,000,000-point history, search over 100,000 runs (no target; the test server runs without fsync) =="
bash scripts/ensure-postgres.sh >/dev/null && node bench/postgres.mjs || status=1
echo "== the S3 blob store against moto beside the local blob store: put, put again, copyTo of 64 and 256 MiB files (MB/s) =="
bash scripts/ensure-s3.sh >/dev/null && node bench/s3.mjs || status=1
echo "== reproduction: reprise reproduce and verify; export and import of a large run =="
node bench/reproduce.mjs || status=1
echo "== garbage collection over 10,000 runs (90,000 blobs): dry run, gc, and gc again =="
node bench/gc.mjs || status=1
echo "== the queue: 200 trivial runs of a sweep on 2 agents (target: claim to first stage under 500 ms, warm environment) =="
node bench/queue.mjs || status=1
echo "== merges: a signed push event answered (run queued), a push through the repository hook, delivery to the run's first stage =="
node bench/merges.mjs || status=1
echo "== the lake: append 1,000,000 rows; an as-of aggregate over 10,000,000 rows in 100 appends =="
node bench/lake.mjs || status=1
echo "== drift: 1,000,000 request rows x 50 numeric features scored against a reference profile, one thread (target: under 10 s) =="
node bench/drift.mjs || status=1
echo "== serving: what reprise serve adds to the iris model's own prediction time, sequential and under 4 concurrent loops, with and without sampling (no target) =="
node bench/serving.mjs || status=1
echo "== the web UI: a runs page of 10,000 runs and a metrics tab of 20 x 100,000 points in Chromium (target: median under 1000 ms each) =="
node bench/ui.mjs || status=1
exit $status
