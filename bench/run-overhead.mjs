#!/usr/bin/env node
// Launch overhead of `reprise run`: the median wall time of a one-stage run minus the
// median wall time of the same stage command run directly. Target: under 300 ms.
import { BIN, median, scratch } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const TARGET_MS = 300;
const STAGE = 'python3 -c "import json; print(json.load(open(\'input.json\')))"';

const s = scratch('overhead');
try {
  const dir = s.project('project', {
    'reprise.yaml': `name: bench\nparams: input.json\nseed: 1\nstages:\n  - name: stage\n    cmd: ${JSON.stringify(STAGE)}\n`,
    'input.json': '{"epochs": 1}\n',
  });
  // Warm-up: the first run creates the store and fills the OS caches.
  s.timed(process.execPath, [BIN, 'run'], dir);
  s.timed('/bin/sh', ['-c', STAGE], dir);
  const direct = [];
  const viaReprise = [];
  for (let i = 0; i < ROUNDS; i++) {
    direct.push(s.timed('/bin/sh', ['-c', STAGE], dir).ms);
    viaReprise.push(s.timed(process.execPath, [BIN, 'run', '-p', `epochs=${i}`], dir).ms);
  }
  const d = median(direct);
  const r = median(viaReprise);
  const overhead = r - d;
  console.log(`stage run directly:     ${d.toFixed(0)} ms (median of ${ROUNDS})`);
  console.log(`stage via reprise run:  ${r.toFixed(0)} ms (median of ${ROUNDS})`);
  console.log(`reprise run overhead:   ${overhead.toFixed(0)} ms (target < ${TARGET_MS} ms) ${overhead < TARGET_MS ? 'OK' : 'OVER TARGET'}`);
  process.exitCode = overhead < TARGET_MS ? 0 : 1;
} finally {
  s.cleanup();
}
