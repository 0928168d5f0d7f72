#!/usr/bin/env node
// Reproduction and bundles: what `reprise reproduce` adds to a run of the same stages
// (restoring the code, the environment from the lock reused, the comparison), the cost
// of `reprise verify`, and export and import of a run with 1,000,000 metric points and a
// 50 MiB artifact. No target: figures to watch.
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, median, scratch } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const POINTS = Math.round(100_000 * SCALE);
const ARTIFACT_MIB = Math.max(1, Math.round(50 * SCALE));

const s = scratch('reproduce');
const idOf = (stdout) => JSON.parse(stdout).id ?? JSON.parse(stdout).run.id;
try {
  const dir = s.project('project', {
    'reprise.yaml': 'name: bench\nparams: input.json\nseed: 1\nenv:\n  requirements: requirements.txt\nstages:\n  - { name: train, cmd: python train.py }\n',
    'input.json': '{"epochs": 3}\n',
    'requirements.txt': '# nothing to install\n',
    'train.py': 'import json, os\nwith open(os.environ["REPRISE_METRICS"], "a") as f:\n    for e in range(3):\n        f.write(json.dumps({"step": e, "loss": 1 / (e + 1)}) + "\\n")\n',
  });
  const original = idOf(s.timed(process.execPath, [BIN, 'run', '--json'], dir).stdout);
  // Warm-up: builds the environment from the lock once; later reproductions reuse it.
  s.timed(process.execPath, [BIN, 'reproduce', original, '--json'], dir);
  const runs = [];
  const reproductions = [];
  const verifies = [];
  let last = original;
  for (let i = 0; i < ROUNDS; i++) {
    runs.push(s.timed(process.execPath, [BIN, 'run', '--json'], dir).ms);
    const r = s.timed(process.execPath, [BIN, 'reproduce', original, '--json'], dir);
    reproductions.push(r.ms);
    last = idOf(r.stdout);
    verifies.push(s.timed(process.execPath, [BIN, 'verify', original, last, '--json'], dir).ms);
  }
  const [run, repro] = [median(runs), median(reproductions)];
  console.log(`reprise run of the project:        ${run.toFixed(0)} ms (median of ${ROUNDS}, environment reused)`);
  console.log(`reprise reproduce of one of them:  ${repro.toFixed(0)} ms (median of ${ROUNDS}, lock environment reused, comparison included): ${repro >= run ? '+' : '-'}${Math.abs(repro - run).toFixed(0)} ms against a run`);
  console.log(`reprise verify of two runs:        ${median(verifies).toFixed(0)} ms (median of ${ROUNDS})`);

  const big = s.project('big', {
    'reprise.yaml': 'name: big\nstages:\n  - { name: log, cmd: python log.py }\n',
    'log.py': [
      'import json, os',
      'with open(os.environ["REPRISE_METRICS"], "a") as f:',
      `    for step in range(${POINTS}):`,
      '        f.write(json.dumps({"step": step, **{f"m{k}": step * 0.001 + k for k in range(10)}}) + "\\n")',
      'with open(os.path.join(os.environ["REPRISE_OUTPUT_DIR"], "weights.bin"), "wb") as f:',
      `    f.write(os.urandom(${ARTIFACT_MIB} * 1024 * 1024))`,
      '',
    ].join('\n'),
  });
  const bigId = idOf(s.timed(process.execPath, [BIN, 'run', '--json'], big).stdout);
  const bundle = join(s.root, 'big.tar.gz');
  const exported = s.timed(process.execPath, [BIN, 'export', bigId, '-o', bundle], big);
  const other = join(s.root, 'other-home');
  mkdirSync(other);
  const imported = s.timed(process.execPath, [BIN, 'import', bundle], big, { REPRISE_HOME: other });
  const size = statSync(bundle).size;
  console.log(`export of a run with ${(POINTS * 10).toLocaleString('en-US')} metric points and a ${ARTIFACT_MIB} MiB artifact: ${exported.ms.toFixed(0)} ms, bundle ${(size / 2 ** 20).toFixed(1)} MiB`);
  console.log(`import of that bundle into an empty store (every hash checked first): ${imported.ms.toFixed(0)} ms`);
} finally {
  s.cleanup();
}
