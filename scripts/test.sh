#!/usr/bin/env bash
# Every test: installs what they need (idempotently), builds, then runs the TypeScript
# suites (unit, contract, CLI end to end) and the Python SDK's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/ensure-chromium.sh
bash scripts/ensure-postgres.sh
bash scripts/ensure-s3.sh
bash scripts/ensure-venv.sh .venv-mlflow test/mlflow/requirements.txt
bash scripts/ensure-venv.sh .venv-tensorboard test/tensorboard/requirements.txt --system-site-packages
bash scripts/ensure-venv.sh .venv-ray test/ray/requirements.txt
export REPRISE_TEST_PG_URL="${REPRISE_TEST_PG_URL:-postgres://reprise@127.0.0.1:54329/reprise_test}"

# Tests commit into temporary repositories; a machine without a git identity still must pass.
export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-Reprise Tests}" GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-tests@reprise.invalid}"
export GIT_COMMITTER_NAME="${GIT_COMMITTER_NAME:-Reprise Tests}" GIT_COMMITTER_EMAIL="${GIT_COMMITTER_EMAIL:-tests@reprise.invalid}"

npm run --silent typecheck
python3 -m unittest discover -s sdk/python/tests -t sdk/python
npx vitest run
