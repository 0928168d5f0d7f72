#!/usr/bin/env node
// What `reprise serve` adds to a prediction: the iris example trained (epochs=30) and
// promoted, then one row predicted at a time
//   - by the model alone: its serve.py started by hand in the fetched version, JSON lines
//     on its stdin and stdout, timed from the request written to the answer line read;
//   - through `reprise serve --workers 1`: POST /api/v1/models/iris-classifier/candidate/predict,
//     sequential over one keep-alive connection on loopback, and under a steady load of
//     4 concurrent loops on 4 keep-alive connections (latency and requests/s).
// The overhead is the difference of the percentiles. Reprise is timed twice: with every
// request sampled for drift scoring (the default sample rate, 1) and with
// `reprise models monitor --sample-rate 0`, serve restarted in between so the setting is
// read at start rather than within the 5 s the settings are remembered.
// No target: the figures say what serving costs.
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { BIN, REPO, scratch } from './lib.mjs';
import { httpClient, int, ms, now, percentile, scaled, SCALE, timeSequential } from './server-lib.mjs';

const WARMUP = scaled(200, 20);
const REQUESTS = scaled(2000, 100);
const CONCURRENCY = 4;
const LOAD_REQUESTS = scaled(3000, 200);
const MODEL = 'iris-classifier';
const ROW = [5.1, 3.5, 1.4, 0.2];
const BODY = JSON.stringify({ inputs: [ROW] });

const s = scratch('serving');
const cli = (args, cwd) => s.timed(process.execPath, [BIN, ...args], cwd).stdout;

/** A child's stdout as lines, each handed to the oldest waiter; rejects them all when it exits. */
function lineReader(child, what) {
  const waiting = [];
  let buf = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      waiting.shift()?.resolve(line);
    }
  });
  child.once('exit', (code, signal) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`${what} exited (${code ?? signal}):\n${stderr}`));
  });
  return () => new Promise((resolve, reject) => waiting.push({ resolve, reject }));
}

/** Ends a child started here and waits for it to be gone. */
function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

/** The model's own time: its serve.py answering JSON lines, with nothing in between. */
async function modelAlone(modelDir) {
  const child = spawn('python3', ['serve.py'], { cwd: modelDir, env: { ...s.env, REPRISE_MODEL_DIR: modelDir }, stdio: ['pipe', 'pipe', 'pipe'] });
  const nextLine = lineReader(child, 'python3 serve.py');
  try {
    const send = async (i) => {
      const answer = nextLine();
      child.stdin.write(`${JSON.stringify({ id: String(i), inputs: [ROW] })}\n`);
      const a = JSON.parse(await answer);
      if (a.id !== String(i) || a.outputs?.length !== 1) throw new Error(`serve.py answered ${JSON.stringify(a)} to request ${i}`);
    };
    return await timeSequential(send, WARMUP, REQUESTS);
  } finally {
    child.stdin.end();
    await stop(child);
  }
}

/** `reprise serve NAME@candidate --port 0 --workers 1` in the project's clone (it restores the version's code from there), once it prints its URL. */
async function startServe(dir) {
  const child = spawn(process.execPath, [BIN, 'serve', `${MODEL}@candidate`, '--port', '0', '--workers', '1'], { cwd: dir, env: s.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const nextLine = lineReader(child, 'reprise serve');
  try {
    for (;;) {
      const m = /listening on (http:\/\/\S+)/.exec(await nextLine());
      if (m) {
        child.stdout.resume();
        return { child, predict: `${m[1]}/api/v1/models/${MODEL}/candidate/predict` };
      }
    }
  } catch (e) {
    await stop(child);
    throw e;
  }
}

/** `loops` loops sending requests one after another until `total` are answered: each request's ms, and requests/s. */
async function steadyLoad(send, loops, total) {
  let next = 0;
  const times = new Float64Array(total);
  const t0 = now();
  await Promise.all(
    Array.from({ length: loops }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t = now();
        await send();
        times[i] = now() - t;
      }
    }),
  );
  return { times, perSecond: total / ((now() - t0) / 1000) };
}

/** Sequential and concurrent predictions through a fresh `reprise serve`. */
async function throughReprise(dir) {
  const serve = await startServe(dir);
  const one = httpClient({ maxSockets: 1 });
  const many = httpClient({ maxSockets: CONCURRENCY });
  try {
    const send = (client) => async () => {
      const a = (await client.request('POST', serve.predict, BODY)).json();
      if (a.outputs?.length !== 1) throw new Error(`reprise serve answered ${JSON.stringify(a)}`);
    };
    const sequential = await timeSequential(send(one), WARMUP, REQUESTS);
    await steadyLoad(send(many), CONCURRENCY, WARMUP);
    const load = await steadyLoad(send(many), CONCURRENCY, LOAD_REQUESTS);
    return { sequential, load };
  } finally {
    one.close();
    many.close();
    await stop(serve.child);
  }
}

const figures = (times) => `p50 ${ms(percentile(times, 50))} ms, p99 ${ms(percentile(times, 99))} ms`;
const line = (label, text) => console.log(`${label.padEnd(54)} ${text}`);

try {
  const dir = join(s.root, 'iris');
  cpSync(join(REPO, 'examples', 'iris'), dir, { recursive: true });
  for (const args of [['init', '-q'], ['add', '-A'], ['commit', '-q', '-m', 'bench']]) s.timed('git', args, dir);
  const run = JSON.parse(cli(['run', '-p', 'epochs=30', '--json'], dir));
  cli(['promote', run.id ?? run.run.id], dir);
  const modelDir = join(s.root, 'model');
  cli(['models', 'get', `${MODEL}@candidate`, '-o', modelDir], dir);
  for (const f of ['serve.py', 'predict.py']) copyFileSync(join(dir, f), join(modelDir, f));

  console.log(
    `prediction of 1 row by the iris model (no target): ${int(REQUESTS)} sequential after ${int(WARMUP)} of warm-up; ` +
      `${CONCURRENCY} concurrent loops for ${int(LOAD_REQUESTS)}${SCALE !== 1 ? `, BENCH_SCALE=${SCALE}` : ''} (load average ${loadavg()[0].toFixed(2)})`,
  );
  const own = await modelAlone(modelDir);
  line('model alone (python3 serve.py, JSON lines):', `${figures(own)}, ${int(REQUESTS / (own.reduce((a, b) => a + b, 0) / 1000))} requests/s sequential`);

  for (const rate of [1, 0]) {
    if (rate === 0) cli(['models', 'monitor', MODEL, '--sample-rate', '0'], dir);
    const { sequential, load } = await throughReprise(dir);
    const how = `sample rate ${rate}`;
    line(`through reprise serve, 1 worker (${how}):`, figures(sequential));
    line(`  overhead over the model alone (${how}):`, `p50 ${ms(percentile(sequential, 50) - percentile(own, 50))} ms, p99 ${ms(percentile(sequential, 99) - percentile(own, 99))} ms`);
    line(`  ${CONCURRENCY} concurrent loops (${how}):`, `${figures(load.times)}, ${int(load.perSecond)} requests/s`);
  }
} finally {
  s.cleanup();
}
