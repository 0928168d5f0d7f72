#!/usr/bin/env bash
# Installs the Node dependencies (when the lockfile changed) and builds the CLI.
# Idempotent: safe on a fresh clone and on a used checkout.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v node >/dev/null || { echo "reprise needs Node.js 20 or newer" >&2; exit 1; }
command -v git >/dev/null || { echo "reprise needs git" >&2; exit 1; }
command -v python3 >/dev/null || { echo "the example pipelines need python3" >&2; exit 1; }

if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.reprise-installed-lock; then
  # onnxruntime-node's install script fetches its CUDA libraries from NuGet, which fails
  # offline; the CPU libraries Reprise uses ship inside the package, so the fetch is skipped.
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.reprise-installed-lock
fi
npm run --silent build
