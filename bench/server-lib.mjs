// Helpers for the server and store benchmarks: sizes scaled by BENCH_SCALE, scratch homes,
// a real `reprise server` process, keep-alive HTTP, valid run records, figures.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN, median, REPO } from './lib.mjs';

export { median };

/** Every size in these benchmarks is multiplied by this (BENCH_SCALE=0.1 for a quick check). */
export const SCALE = (() => {
  const s = Number(process.env.BENCH_SCALE ?? 1);
  if (!(s > 0)) throw new Error(`BENCH_SCALE=${process.env.BENCH_SCALE}: expected a positive number`);
  return s;
})();

export const scaled = (n, min = 1) => Math.max(min, Math.round(n * SCALE));

/** A compiled module of the CLI's sources (`npm run build` writes them to dist/). */
export const dist = (rel) => import(pathToFileURL(join(REPO, 'dist', rel)).href);

/** A folder in RAM when the machine has one (a commit there costs no fsync), else undefined. */
export function ramDir() {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return undefined;
  }
}

/** Where scratch homes go: BENCH_TMP, else the OS temp folder. */
export const BENCH_TMP = process.env.BENCH_TMP || tmpdir();

/** A scratch REPRISE_HOME under `base` (BENCH_TMP by default). */
export function tempHome(name, base = BENCH_TMP) {
  const root = mkdtempSync(join(base, `reprise-bench-${name}-`));
  return { home: root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** What /proc/<pid>/status says of a process's memory, in MiB: rss now, hwm (peak rss). */
export function memoryOf(pid) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 };
}

/**
 * `reprise server --port 0` over `home`; resolves once it prints its URL. Node flags for the
 * server from BENCH_SERVER_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it);
 * BENCH_SERVER_BIN replaces bin/reprise.js (e.g. a script running the unbundled dist/, whose
 * profiles keep their function names).
 */
export async function startServer(home, extraArgs = [], nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)) {
  const env = { ...process.env, REPRISE_HOME: home };
  delete env.REPRISE_SERVER;
  const child = spawn(process.execPath, [...nodeArgs, process.env.BENCH_SERVER_BIN || BIN, 'server', '--port', '0', ...extraArgs], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const onData = (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    void exited.then(({ code, signal }) => reject(new Error(`reprise server exited (${code ?? signal}) before listening:\n${stderr}`)));
  });
  return {
    url,
    api: `${url}/api/v1`,
    pid: child.pid,
    memory: () => memoryOf(child.pid),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** One keep-alive agent per benchmark; requests take prepared bodies (Buffer or string). */
/** `headers`: sent with every request (an Authorization header for a server with --auth). */
export function httpClient({ maxSockets = 4, headers: always = {} } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const request = (method, url, body) =>
    new Promise((resolve, reject) => {
      const u = new URL(url);
      const headers = { ...always, ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }) };
      const req = http.request({ agent, method, hostname: u.hostname, port: u.port, path: u.pathname + u.search, headers }, (res) => {
        const parts = [];
        res.on('data', (d) => parts.push(d));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          if (res.statusCode >= 300) reject(new Error(`${method} ${u.pathname}: ${res.statusCode} ${text.slice(0, 500)}`));
          else resolve({ status: res.statusCode, text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      if (body === undefined) req.end();
      else req.end(body);
    });
  return { request, close: () => agent.destroy() };
}

/**
 * A complete run record as the runner writes it: the store's fixture
 * (src/ports/metadata-store.fixtures.ts) made now on this host; `params` replaces the
 * params file's values, `metrics` the final metrics in the manifest. Checked against the
 * real manifest schema when `check` is true (it costs about as much as the insert).
 */
export async function recordFactory() {
  const { makeRunRecord } = await dist('ports/metadata-store.fixtures.js');
  return function runRecord(over = {}, { params, metrics, check = true } = {}) {
    const createdAt = over.createdAt ?? Date.now();
    return makeRunRecord({
      host: 'bench-host',
      createdAt,
      startedAt: createdAt + 10,
      heartbeatAt: createdAt + 20,
      ...over,
      ...(params ? { params } : {}),
      ...(metrics ? { metrics } : {}),
      check,
    });
  };
}

/** Nearest-rank percentile of a sample. */
export function percentile(xs, p) {
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const ms = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
export const int = (n) => Math.round(n).toLocaleString('en-US');
export const mib = (bytes) => (bytes / 2 ** 20).toFixed(1);
export const now = () => performance.now();
export const verdict = (ok) => (ok ? 'OK' : 'MISSED');

/** `fn` run `rounds` times after `warmup` more: the median, fastest and slowest in ms, and the last answer. */
export async function timed(rounds, fn, warmup = 2) {
  for (let i = 0; i < warmup; i++) await fn();
  const times = [];
  let last;
  for (let i = 0; i < rounds; i++) {
    const t = now();
    last = await fn();
    times.push(now() - t);
  }
  return { median: median(times), min: percentile(times, 0), max: percentile(times, 100), last };
}

/** The ingestion benchmarks' metric values: a decaying loss, a rising accuracy, a learning rate, noise. */
export function metricValue(key, step) {
  const decay = Math.exp(-step / 500_000);
  const noise = Math.random() * 0.01;
  switch (key) {
    case 'loss': return 2 * decay + noise;
    case 'accuracy': return 1 - 0.9 * decay - noise;
    case 'lr': return 0.001 * decay;
    default: return 0.5 + noise * 10;
  }
}

/** Request `r` of a run's ingestion, as columns: steps [r*perKey, (r+1)*perKey) of every key, a point every 10 ms from `t0`. */
export function columnsBody(r, keys, perKey, t0) {
  const series = keys.map((key) => {
    const steps = new Array(perKey);
    const values = new Array(perKey);
    const ts = new Array(perKey);
    for (let j = 0; j < perKey; j++) {
      const step = r * perKey + j;
      steps[j] = step;
      values[j] = metricValue(key, step);
      ts[j] = t0 + step * 10;
    }
    return { key, steps, values, ts };
  });
  return Buffer.from(JSON.stringify({ series }));
}

/** `send(i)` awaited `warmup` times, then `count` times timed one by one: each request's milliseconds. */
export async function timeSequential(send, warmup, count) {
  for (let i = 0; i < warmup; i++) await send(i);
  const times = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const t = now();
    await send(warmup + i);
    times[i] = now() - t;
  }
  return times;
}

/** `count` running runs recorded through the server's API, one per ingesting client; their ids. */
export async function openRuns(http, server, runRecord, count) {
  const ids = [];
  for (let c = 0; c < count; c++) {
    const rec = runRecord({ status: 'running', heartbeatAt: Date.now() + 3_600_000 });
    await http.request('POST', `${server.api}/runs`, JSON.stringify(rec));
    ids.push(rec.id);
  }
  return ids;
}
