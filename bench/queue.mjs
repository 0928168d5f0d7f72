// Scheduling overhead of the queue: 200 trivial runs of one sweep on 2 agents (each with
// its own REPRISE_HOME, as two machines would be), their environment already built.
// Prints runs per second from submit to the last run's end, and per run the time from
// its claim to its first stage's start (target: under 500 ms with a warm environment).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BIN, median, scratch, waitFor } from './lib.mjs';

const RUNS = Number(process.env.BENCH_QUEUE_RUNS ?? 200);
const s = scratch('queue');

function start(args, home, cwd) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...s.env, REPRISE_HOME: home, REPRISE_SYSTEM_METRICS_INTERVAL: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err = (err + c).slice(-20_000)));
  const closed = new Promise((r) => child.once('close', r));
  return { child, closed, out: () => out, err: () => err };
}

/** SIGTERM, then SIGKILL if it has not ended within `ms`. */
async function stop(p, ms) {
  p.child.kill('SIGTERM');
  const t = setTimeout(() => p.child.kill('SIGKILL'), ms);
  await p.closed;
  clearTimeout(t);
}


const server = start(['server', '--port', '0'], join(s.root, 'server-home'), s.root);
const agents = [];
try {
  const url = await waitFor('the server', () => /listening on (http:\/\/\S+)/.exec(server.out())?.[1], 30_000);
  const env = { REPRISE_SERVER: url, REPRISE_HOME: join(s.root, 'user') };
  const dir = s.project('proj', {
    'reprise.yaml': 'name: queue-bench\nparams: input.json\nseed: 1\nenv: { requirements: requirements.txt }\nstages:\n  - { name: noop, cmd: python -c "pass" }\n',
    'input.json': '{"x": 0}\n',
    'requirements.txt': '# nothing to install: the environment is a bare venv\n',
  });
  for (const name of ['a', 'b']) agents.push(start(['agent', '--server', url, '--name', `bench-${name}`, '--quiet'], join(s.root, `machine-${name}`), s.root));

  const json = (args) => JSON.parse(s.timed('node', [BIN, ...args, '--json'], dir, env).stdout);
  const runsOf = (sweep) => json(['ls', '--sweep', sweep, '-n', '10000']);
  const finished = (runs) => runs.every((r) => ['succeeded', 'failed', 'canceled', 'lost'].includes(r.status));

  // Warm-up: each agent builds its environment once.
  json(['sweep', '--grid', 'x=1,2,3,4', '--name', 'warmup']);
  await waitFor('the warm-up', () => finished(runsOf('warmup')), 300_000);
  const warm = runsOf('warmup');
  if (new Set(warm.map((r) => r.submission.worker.name)).size < 2) console.log('note: one agent took every warm-up run; the other builds its environment during the measurement');

  const xs = Array.from({ length: RUNS }, (_, i) => i + 1).join(',');
  const t0 = Date.now();
  json(['sweep', '--grid', `x=${xs}`, '--name', 'measured']);
  const submitMs = Date.now() - t0;
  await waitFor('the measured sweep', () => finished(runsOf('measured')), 1_800_000);
  const totalMs = Date.now() - t0;
  const runs = runsOf('measured');
  const failed = runs.filter((r) => r.status !== 'succeeded');
  if (failed.length) throw new Error(`${failed.length} run(s) did not succeed: ${failed[0].status}`);

  const overheads = [];
  for (const r of runs) {
    const m = json(['show', r.id]).manifest;
    overheads.push(m.execution.stages[0].startedAt - m.execution.worker.claimedAt);
  }
  overheads.sort((a, b) => a - b);
  const p95 = overheads[Math.floor(overheads.length * 0.95) - 1];
  const byAgent = {};
  for (const r of runs) byAgent[r.submission.worker.name] = (byAgent[r.submission.worker.name] ?? 0) + 1;
  console.log(`queue: ${RUNS} runs on 2 agents in ${(totalMs / 1000).toFixed(1)} s (submit ${submitMs} ms): ${(RUNS / (totalMs / 1000)).toFixed(2)} runs/s; per agent ${JSON.stringify(byAgent)}`);
  console.log(`queue: claim to first stage start: median ${median(overheads).toFixed(0)} ms, p95 ${p95.toFixed(0)} ms, max ${overheads.at(-1).toFixed(0)} ms (target: under 500 ms)`);
  if (median(overheads) >= 500) process.exitCode = 1;
} finally {
  // The agents first: they say goodbye to the server before it goes.
  await Promise.all(agents.map((a) => stop(a, 20_000)));
  await stop(server, 20_000);
  s.cleanup();
}
