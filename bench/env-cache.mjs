#!/usr/bin/env node
// Environments: the cold build of the scikit-learn example's requirements (pip's own
// download cache as this machine has it), and what a cache hit adds to a run's start:
// the time the run spends preparing its environment (finding the venv, checking every
// file of it against its record, recording the lock), as the run's manifest records it.
// Target for the hit: under 200 ms.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, REPO, median, scratch } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 11);
const TARGET_MS = 200;
const requirements = readFileSync(join(REPO, 'examples', 'iris-sklearn', 'requirements.txt'), 'utf8');
const STAGE = 'python -c "pass"';

const s = scratch('env');
try {
  const withEnv = s.project('with-env', {
    'reprise.yaml': `name: env-bench\nenv:\n  requirements: requirements.txt\nstages:\n  - name: stage\n    cmd: ${JSON.stringify(STAGE)}\n`,
    'requirements.txt': requirements,
  });
  const cold = s.timed(process.execPath, [BIN, 'run', '--json'], withEnv);
  const built = JSON.parse(cold.stdout).manifest.environment.resolved;
  console.log(`cold build (numpy, scipy, scikit-learn): ${(built.buildMs / 1000).toFixed(1)} s of a ${(cold.ms / 1000).toFixed(1)} s run`);

  const runs = [];
  const prepare = [];
  for (let i = 0; i < ROUNDS; i++) {
    const h = s.timed(process.execPath, [BIN, 'run', '--json'], withEnv);
    const env = JSON.parse(h.stdout).manifest.environment.resolved;
    if (!env.cacheHit) throw new Error('a warm run rebuilt the environment');
    runs.push(h.ms);
    prepare.push(env.prepareMs);
  }
  const added = median(prepare);
  console.log(`warm run (whole command):          ${median(runs).toFixed(0)} ms (median of ${ROUNDS})`);
  console.log(`a cache hit adds to the run start: ${added.toFixed(0)} ms (median of ${ROUNDS}; target < ${TARGET_MS} ms) ${added < TARGET_MS ? 'OK' : 'OVER TARGET'}`);
  process.exitCode = added < TARGET_MS ? 0 : 1;
} finally {
  s.cleanup();
}
