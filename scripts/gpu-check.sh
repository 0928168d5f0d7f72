#!/usr/bin/env bash
# The GPU check of the queue, for a machine with an NVIDIA GPU (not part of the tests):
# a server and an agent with --gpus 0 on this machine, one queued run of a tiny CUDA job
# (a PyTorch matmul when torch imports, else nvidia-smi in a loop), then the run's
# CUDA_VISIBLE_DEVICES and the GPU system metrics it recorded.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nvidia-smi >/dev/null || { echo "no nvidia-smi here: this check needs an NVIDIA GPU" >&2; exit 2; }
R="node $PWD/bin/reprise.js"
W=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$W"' EXIT
export REPRISE_SYSTEM_METRICS_INTERVAL=1s GIT_AUTHOR_NAME=gpu GIT_AUTHOR_EMAIL=gpu@reprise.invalid GIT_COMMITTER_NAME=gpu GIT_COMMITTER_EMAIL=gpu@reprise.invalid
REPRISE_HOME="$W/server" $R server --port 7979 > "$W/server.log" 2>&1 &
sleep 3
REPRISE_HOME="$W/agent" $R agent --server http://127.0.0.1:7979 --gpus 0 --name gpu-agent > "$W/agent.log" 2>&1 &
mkdir -p "$W/proj" && cd "$W/proj"
cat > reprise.yaml <<'YAML'
name: gpu-check
env: { system: true }
stages:
  - { name: cuda, cmd: python3 job.py }
YAML
cat > job.py <<'PY'
import json, os, subprocess, time
print("CUDA_VISIBLE_DEVICES =", os.environ.get("CUDA_VISIBLE_DEVICES"))
end = time.time() + 20
try:
    import torch
    a = torch.randn(8192, 8192, device="cuda")
    n = 0
    while time.time() < end:
        a = (a @ a).clamp_(-1, 1)
        torch.cuda.synchronize()
        n += 1
    print("torch matmuls:", n, "on", torch.cuda.get_device_name(0))
except ImportError:
    while time.time() < end:
        subprocess.run(["nvidia-smi", "--query-gpu=index,utilization.gpu,memory.used", "--format=csv,noheader"], check=True)
        time.sleep(1)
with open(os.environ["REPRISE_METRICS"], "a") as f:
    f.write(json.dumps({"step": 0, "done": 1}) + "\n")
PY
git init -q && git add -A && git commit -qm gpu
export REPRISE_SERVER=http://127.0.0.1:7979 REPRISE_HOME="$W/user"
ID=$($R submit --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["runs"][0]["id"])')
for _ in $(seq 1 120); do
  S=$($R show "$ID" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
  case "$S" in succeeded|failed|canceled|lost) break ;; esac
  sleep 1
done
echo "run $ID: $S"
$R logs "$ID" | head -5
$R show "$ID" --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
print("worker:", r["manifest"]["execution"]["worker"])
for k, v in sorted(r["metrics"].items()):
    if k.startswith("system/gpu"):
        print(k, "last", v["last"], "max", v["max"], "samples", v["count"])
'
[ "$S" = succeeded ]
