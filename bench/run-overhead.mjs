#!/usr/bin/env node
// Launch overhead of `reprise run`: the median wall time of a one-stage run minus the
// median wall time of the same stage command run directly. Target: under 300 ms.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const TARGET_MS = 300;
const STAGE = 'python3 -c "import json; print(json.load(open(\'input.json\')))"';
const bin = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'reprise.js');

const root = mkdtempSync(join(tmpdir(), 'reprise-bench-'));
const project = join(root, 'project');
const env = {
  ...process.env,
  REPRISE_HOME: join(root, 'home'),
  GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@reprise.invalid',
  GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@reprise.invalid',
};

function sh(cmd, args, cwd) {
  const t0 = process.hrtime.bigint();
  const res = spawnSync(cmd, args, { cwd, env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${res.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

try {
  spawnSync('mkdir', ['-p', project]);
  writeFileSync(join(project, 'reprise.yaml'), `name: bench\nparams: input.json\nseed: 1\nstages:\n  - name: stage\n    cmd: ${JSON.stringify(STAGE)}\n`);
  writeFileSync(join(project, 'input.json'), '{"epochs": 1}\n');
  sh('git', ['init', '-q'], project);
  sh('git', ['add', '-A'], project);
  sh('git', ['commit', '-q', '-m', 'bench'], project);
  // Warm-up: the first run creates the store and fills the OS caches.
  sh(process.execPath, [bin, 'run'], project);
  sh('/bin/sh', ['-c', STAGE], project);

  const direct = [];
  const viaReprise = [];
  for (let i = 0; i < ROUNDS; i++) {
    direct.push(sh('/bin/sh', ['-c', STAGE], project));
    viaReprise.push(sh(process.execPath, [bin, 'run', '-p', `epochs=${i}`], project));
  }
  const d = median(direct);
  const r = median(viaReprise);
  const overhead = r - d;
  console.log(`stage run directly:     ${d.toFixed(0)} ms (median of ${ROUNDS})`);
  console.log(`stage via reprise run:  ${r.toFixed(0)} ms (median of ${ROUNDS})`);
  console.log(`reprise run overhead:   ${overhead.toFixed(0)} ms (target < ${TARGET_MS} ms) ${overhead < TARGET_MS ? 'OK' : 'OVER TARGET'}`);
  process.exitCode = overhead < TARGET_MS ? 0 : 1;
} finally {
  rmSync(root, { recursive: true, force: true });
}
