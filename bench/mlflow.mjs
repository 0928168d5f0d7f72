#!/usr/bin/env node
// The MLflow REST API side by side: `reprise server` against the real MLflow server
// (.venv-mlflow/, from scripts/ensure-venv.sh; SQLite backend, proxied artifacts, its
// default 4 workers, no job runner), the same workload sent to each over loopback, one
// server at a time.
// Only MLflow's wire protocol is spoken here (/api/2.0/mlflow and /api/2.0/mlflow-artifacts),
// as the mlflow client sends it; no mlflow package is imported.
//
// Figures: runs/create from 8 concurrent clients (runs/s); log-batch ingestion at the documented
// maximum of 1000 metrics a request (10 keys x 100 steps) from 1 client and from 8
// concurrent clients (points/s); single runs/log-metric requests (p50, p95); a 100,000-point
// history read with get-history paged by 25,000 as the client pages it; runs/search over
// 1,000 runs (a filter on a metric and a param, ordered by a metric, 100 a page) and the
// full listing mlflow.search_runs makes (10,000 a page); a 64 MiB artifact PUT and GET.
// The search runs are the ones the first figure creates (tags with them), given params and
// metrics by log-batch. Every answer is checked against what was sent, outside the clock.
// Requests go over kept-alive connections, as the mlflow client sends them (a pooled
// session): on such a connection MLflow's server answered a small request about 40 ms
// later than on a fresh one on a 2-core Linux machine, and the mlflow client pays that too.
//
// Targets: Reprise at least 10x MLflow on log-batch ingestion and on search, and never
// slower on any figure; a miss prints MISSED, and only an error exits non-zero.
// BENCH_SCALE scales the counts and the artifact's size; BENCH_TMP holds both servers'
// files; BENCH_MLFLOW_SIDES=reprise or =mlflow measures one side alone (no ratios).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { REPO, waitFor } from './lib.mjs';
import { BENCH_TMP, int, median, ms, now, percentile, scaled, SCALE, startServer, tempHome } from './server-lib.mjs';

const TARGET_RATIO = 10;
const SEARCH_RUNS = scaled(1000, 20);
const INGEST_1 = scaled(20, 2); // requests of 1000 points from one client
const INGEST_8_EACH = scaled(5, 1); // requests of 1000 points from each of 8 clients
const CLIENTS = 8;
const LATENCY_WARMUP = scaled(20, 5);
const LATENCY_REQUESTS = scaled(200, 30);
const HISTORY_POINTS = scaled(100_000, 1000);
const HISTORY_PAGE = 25_000;
const ARTIFACT_BYTES = Math.max(1 << 20, Math.round((64 << 20) * SCALE));
const READS = 5; // a search's figure: the median of this many, after warm-up calls (a server answers warm)
const WARMUPS = 5;
/** A filtered search is quick: more calls warm it up, as a server answering searches all day is. */
const SEARCH_WARMUPS = 20;
const T0 = 1_760_000_000_000;
const MLFLOW = join(REPO, '.venv-mlflow', 'bin', 'mlflow');
const SIDES = (process.env.BENCH_MLFLOW_SIDES ?? 'reprise,mlflow').split(',').map((s) => s.trim());
for (const s of SIDES) if (s !== 'reprise' && s !== 'mlflow') throw new Error(`BENCH_MLFLOW_SIDES=${process.env.BENCH_MLFLOW_SIDES}: expected reprise, mlflow or both`);
if (SIDES.includes('mlflow') && !existsSync(MLFLOW)) throw new Error(`${MLFLOW} is missing: run bash scripts/ensure-venv.sh .venv-mlflow test/mlflow/requirements.txt first`);

// A deterministic stream of numbers, so both servers get the very same values.
function generator(seed) {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

// ---- HTTP: one keep-alive agent per side; errors carry the status and the body ----

function client(base, maxSockets = CLIENTS) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const u0 = new URL(base);
  /** A raw request: `body` a Buffer or string; resolves to { status, body (Buffer) }. */
  const raw = (method, path, body, contentType = 'application/json', retried = false) =>
    new Promise((resolve, reject) => {
      const headers = body === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(body) };
      const req = http.request({ agent, method, hostname: u0.hostname, port: u0.port, path, headers }, (res) => {
        const parts = [];
        res.on('data', (d) => parts.push(d));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(parts) }));
        res.on('error', reject);
      });
      req.on('error', (e) => {
        // A kept-alive socket the server closed while idle fails at once: sent again on a fresh one, as HTTP clients do.
        if (!retried && req.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) resolve(raw(method, path, body, contentType, true));
        else reject(e);
      });
      req.end(body);
    });
  /** An MLflow RPC: anything but 200 with a JSON object is an error naming the call. */
  const rpc = async (method, path, payload) => {
    let url = `/api/2.0/mlflow/${path}`;
    let body;
    if (method === 'GET' && payload) url += `?${new URLSearchParams(payload)}`;
    else if (payload !== undefined) body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
    const res = await raw(method, url, body);
    const text = res.body.toString('utf8');
    if (res.status !== 200) throw new Error(`${method} ${url.split('?')[0]}: HTTP ${res.status} ${text.slice(0, 500)}`);
    let json;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new Error(`${method} ${url.split('?')[0]}: answered 200 with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${method} ${url.split('?')[0]}: answered ${text.slice(0, 200)}, not a JSON object`);
    return json;
  };
  return { raw, rpc, close: () => agent.destroy() };
}

/** Runs `fn(item)` over `items` with at most `n` at a time. */
async function pool(n, items, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

// ---- the two servers ----

async function freePort() {
  const srv = createServer();
  await new Promise((resolve, reject) => srv.listen(0, '127.0.0.1', resolve).once('error', reject));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

async function startReprise() {
  const { home, cleanup } = tempHome('mlflow-reprise');
  let server;
  try {
    server = await startServer(home);
  } catch (e) {
    cleanup();
    throw e;
  }
  return {
    url: server.url,
    async stop() {
      await server.stop();
      cleanup();
    },
  };
}

/** The MLflow server in its own process group (it forks uvicorn workers), logging to a file. */
async function startMlflow() {
  const { home: dir, cleanup } = tempHome('mlflow-server');
  const port = await freePort();
  const logPath = join(dir, 'server.log');
  const log = openSync(logPath, 'w');
  const child = spawn(
    MLFLOW,
    ['server', '--backend-store-uri', `sqlite:///${dir}/mlflow.db`, '--artifacts-destination', join(dir, 'mlartifacts'), '--serve-artifacts', '--host', '127.0.0.1', '--port', String(port)],
    // Without its job runner: it serves GenAI jobs this workload never starts, and its eight
    // polling consumers would take CPU from the server being measured (and seconds to start).
    { cwd: dir, detached: true, stdio: ['ignore', log, log], env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true', MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false' } },
  );
  closeSync(log);
  let exited = null;
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve((exited = { code, signal }))));
  const tail = () => readFileSync(logPath, 'utf8').split('\n').slice(-30).join('\n');
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exited === null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
      // Its job consumers linger after SIGTERM, and the server holds nothing worth a clean stop.
      const killer = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {}
      }, 3_000);
      await exit;
      clearTimeout(killer);
    }
    // Workers may outlive the parent for a moment; the group goes with them.
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
    cleanup();
  };
  const t0 = now();
  try {
    await waitFor(
      'the MLflow server to answer GET /health',
      async () => {
        if (exited) throw new Error(`mlflow server exited (${exited.code ?? exited.signal}) before answering:\n${tail()}`);
        try {
          const res = await fetch(`${url}/health`);
          return res.status === 200;
        } catch {
          return false;
        }
      },
      180_000,
      250,
    );
  } catch (e) {
    const text = exited ? '' : `\n${tail()}`;
    await stop();
    throw new Error(`${e.message}${text}`);
  }
  return { url, startedInMs: now() - t0, stop };
}

// ---- the workload ----

const OPTIMIZERS = ['adam', 'sgd', 'adamw', 'rmsprop'];

/** The search runs' values, the same for both servers. */
function searchData() {
  const rand = generator(7);
  return Array.from({ length: SEARCH_RUNS }, (_, i) => ({
    name: `search-${i}`,
    params: { lr: String(Number((10 ** (-5 + rand() * 4)).toPrecision(3))), optimizer: OPTIMIZERS[Math.floor(rand() * 4)], batch: String(2 ** (4 + Math.floor(rand() * 5))) },
    metrics: { accuracy: Number(rand().toFixed(6)), loss: Number((rand() * 3).toFixed(6)), f1: Number(rand().toFixed(6)) },
    tags: { team: ['vision', 'nlp', 'speech'][i % 3], stage: i % 5 === 0 ? 'candidate' : 'dev' },
  }));
}
const SEARCH = searchData();
const FILTER = "metrics.accuracy > 0.3 and params.optimizer = 'adam'";
const ORDER = 'metrics.loss ASC';
const PAGE = 100;
const EXPECTED = SEARCH.filter((r) => r.metrics.accuracy > 0.3 && r.params.optimizer === 'adam')
  .sort((a, b) => a.metrics.loss - b.metrics.loss)
  .slice(0, PAGE)
  .map((r) => r.name);

/** A log-batch body of 1000 metrics: `keys` keys x 1000/keys steps from `step0`. */
function batchBody(runId, keys, step0, rand) {
  const per = 1000 / keys.length;
  const metrics = [];
  for (const key of keys) for (let j = 0; j < per; j++) metrics.push({ key, value: rand(), timestamp: T0 + (step0 + j) * 10, step: step0 + j });
  return JSON.stringify({ run_id: runId, metrics });
}
const KEYS10 = Array.from({ length: 10 }, (_, k) => `m${k}`);

async function workload(c) {
  const figures = {};
  // Where the side's time goes, setup included, in seconds per step.
  const steps = {};
  let mark = now();
  const step = (name) => {
    steps[name] = (now() - mark) / 1000;
    mark = now();
  };
  const rand = generator(11);
  const createRun = (experimentId, name, i, tags = []) =>
    c.rpc('POST', 'runs/create', { experiment_id: experimentId, run_name: name, start_time: T0 + i, tags: [{ key: 'mlflow.user', value: 'bench' }, { key: 'mlflow.source.type', value: 'LOCAL' }, ...tags] });
  const runIdOf = (res) => {
    const id = res?.run?.info?.run_id;
    if (typeof id !== 'string' || !id) throw new Error(`runs/create answered no run.info.run_id: ${JSON.stringify(res).slice(0, 300)}`);
    return id;
  };
  const searchExp = (await c.rpc('POST', 'experiments/create', { name: 'bench-search' })).experiment_id;
  const otherExp = (await c.rpc('POST', 'experiments/create', { name: 'bench-other' })).experiment_id;

  // The search store's runs, with their tags, created by 8 clients.
  const ids = new Array(SEARCH_RUNS);
  let t = now();
  await pool(CLIENTS, SEARCH, async (r, i) => {
    ids[i] = runIdOf(await createRun(searchExp, r.name, i, Object.entries(r.tags).map(([key, value]) => ({ key, value }))));
  });
  figures.create = SEARCH_RUNS / ((now() - t) / 1000);
  if (new Set(ids).size !== ids.length) throw new Error('runs/create answered the same run_id twice');

  // Their params and metrics, one log-batch each (8 at a time, untimed).
  const populate = SEARCH.map((r, i) =>
    JSON.stringify({
      run_id: ids[i],
      params: Object.entries(r.params).map(([key, value]) => ({ key, value })),
      metrics: Object.entries(r.metrics).map(([key, value]) => ({ key, value, timestamp: T0 + i, step: 0 })),
    }),
  );
  await pool(CLIENTS, populate, (body) => c.rpc('POST', 'runs/log-batch', body));
  step('search store');

  // Ingestion from 1 client, then from 8 (each into its own run); bodies made before the clock.
  const ingest = async (clients, perClient) => {
    const runs = [];
    for (let k = 0; k < clients; k++) runs.push(runIdOf(await createRun(otherExp, `ingest-${clients}-${k}`, k)));
    const bodies = runs.map((id) => Array.from({ length: perClient }, (_, r) => batchBody(id, KEYS10, r * 100, rand)));
    const t0 = now();
    await Promise.all(runs.map(async (_, k) => { for (const b of bodies[k]) await c.rpc('POST', 'runs/log-batch', b); }));
    const rate = (clients * perClient * 1000) / ((now() - t0) / 1000);
    // What was sent is there: each key's history holds every step.
    const got = await history(c, runs[clients - 1], 'm9');
    if (got.length !== perClient * 100) throw new Error(`log-batch: ${got.length} points of m9 read back, ${perClient * 100} sent`);
    return rate;
  };
  figures.ingest1 = await ingest(1, INGEST_1);
  figures.ingest8 = await ingest(CLIENTS, INGEST_8_EACH);
  step('ingestion');

  // Single log-metric requests, one after another.
  const lat = runIdOf(await createRun(otherExp, 'latency', 0));
  const logMetric = (step) => c.rpc('POST', 'runs/log-metric', { run_uuid: lat, run_id: lat, key: 'loss', value: 1 / (step + 1), timestamp: T0 + step, step });
  for (let i = 0; i < LATENCY_WARMUP; i++) await logMetric(i);
  const times = new Float64Array(LATENCY_REQUESTS);
  for (let i = 0; i < LATENCY_REQUESTS; i++) {
    t = now();
    await logMetric(LATENCY_WARMUP + i);
    times[i] = now() - t;
  }
  figures.p50 = percentile(times, 50);
  figures.p95 = percentile(times, 95);
  const latCount = (await history(c, lat, 'loss')).length;
  if (latCount !== LATENCY_WARMUP + LATENCY_REQUESTS) throw new Error(`log-metric: ${latCount} points read back, ${LATENCY_WARMUP + LATENCY_REQUESTS} sent`);
  step('latency');

  // A long history: filled 1000 steps a request by 8 clients (untimed), read as the client pages it.
  const hist = runIdOf(await createRun(otherExp, 'history', 0));
  const fills = Array.from({ length: Math.ceil(HISTORY_POINTS / 1000) }, (_, r) => r);
  await pool(CLIENTS, fills, (r) => c.rpc('POST', 'runs/log-batch', batchBody(hist, ['loss'], r * 1000, rand)));
  step('history filled');
  // One read of MLflow's takes seconds: the median of 3 reads, no warm-up.
  figures.history = await timedReads(async () => {
    const pts = await history(c, hist, 'loss', HISTORY_PAGE);
    if (pts.length !== fills.length * 1000) throw new Error(`get-history: ${pts.length} points of ${fills.length * 1000}`);
    for (let i = 1; i < pts.length; i++) if (!(Number(pts[i].step) > Number(pts[i - 1].step))) throw new Error(`get-history: step ${pts[i].step} after ${pts[i - 1].step} at ${i}`);
  }, 3, 0);

  step('history read');

  // Search: filtered and ordered, one page of 100; the full listing as mlflow.search_runs pages it.
  const byId = new Map(ids.map((id, i) => [id, SEARCH[i].name]));
  figures.search = await timedReads(async () => {
    const res = await c.rpc('POST', 'runs/search', { experiment_ids: [searchExp], filter: FILTER, run_view_type: 'ACTIVE_ONLY', max_results: PAGE, order_by: [ORDER] });
    const names = (res.runs ?? []).map((r) => byId.get(r.info.run_id));
    if (names.join() !== EXPECTED.join()) throw new Error(`runs/search "${FILTER}" by ${ORDER}: ${names.length} runs answered, ${EXPECTED.length} expected, first ${names.slice(0, 3)} (expected ${EXPECTED.slice(0, 3)})`);
  }, READS, SEARCH_WARMUPS);
  figures.listing = await timedReads(async () => {
    const seen = new Set();
    let token;
    do {
      const res = await c.rpc('POST', 'runs/search', { experiment_ids: [searchExp], filter: '', run_view_type: 'ACTIVE_ONLY', max_results: 10_000, ...(token ? { page_token: token } : {}) });
      for (const r of res.runs ?? []) {
        if (!byId.has(r.info.run_id)) throw new Error(`runs/search listed run ${r.info.run_id}, not one of this experiment's`);
        if ((r.data?.params ?? []).length !== 3) throw new Error(`runs/search: run ${r.info.run_id} came with ${(r.data?.params ?? []).length} params of 3`);
        seen.add(r.info.run_id);
      }
      token = res.next_page_token;
    } while (token);
    if (seen.size !== SEARCH_RUNS) throw new Error(`runs/search listed ${seen.size} runs of ${SEARCH_RUNS}`);
  }, 3);

  step('search');

  // An artifact through the proxy, where the run's artifact_uri says (as the client resolves it).
  const art = await createRun(otherExp, 'artifact', 0);
  const uri = art.run.info.artifact_uri;
  if (typeof uri !== 'string' || !uri.startsWith('mlflow-artifacts:')) throw new Error(`runs/create: artifact_uri ${JSON.stringify(uri)} is not an mlflow-artifacts: URI`);
  const path = `/api/2.0/mlflow-artifacts/artifacts/${uri.slice('mlflow-artifacts:'.length).replace(/^\/+/, '')}/data/blob.bin`.replace(/\/+/g, '/');
  const puts = [];
  const gets = [];
  for (let i = 0; i < 3; i++) {
    t = now();
    const put = await c.raw('PUT', path, ARTIFACT, 'application/octet-stream');
    puts.push(now() - t);
    if (put.status !== 200) throw new Error(`PUT ${path}: HTTP ${put.status} ${put.body.toString('utf8').slice(0, 500)}`);
    t = now();
    const got = await c.raw('GET', path);
    gets.push(now() - t);
    if (got.status !== 200) throw new Error(`GET ${path}: HTTP ${got.status} ${got.body.toString('utf8').slice(0, 500)}`);
    if (got.body.length !== ARTIFACT.length || createHash('sha256').update(got.body).digest('hex') !== ARTIFACT_SHA) throw new Error(`GET ${path}: ${got.body.length} bytes that differ from the ${ARTIFACT.length} uploaded`);
  }
  figures.put = ARTIFACT.length / 1e6 / (median(puts) / 1000);
  figures.get = ARTIFACT.length / 1e6 / (median(gets) / 1000);
  step('artifacts');
  return { figures, steps };
}

const ARTIFACT = randomBytes(ARTIFACT_BYTES);
const ARTIFACT_SHA = createHash('sha256').update(ARTIFACT).digest('hex');

/** A metric's whole history, paged as the client pages it. */
async function history(c, runId, key, pageSize = HISTORY_PAGE) {
  const points = [];
  let token;
  do {
    const res = await c.rpc('GET', 'metrics/get-history', { run_uuid: runId, run_id: runId, metric_key: key, max_results: String(pageSize), ...(token ? { page_token: token } : {}) });
    points.push(...(res.metrics ?? []));
    token = res.next_page_token;
  } while (token);
  return points;
}

/** The median time of `rounds` calls of `fn`, after `warmups` untimed calls, as a server that has been answering for a while. */
async function timedReads(fn, rounds = READS, warmups = WARMUPS) {
  for (let i = 0; i < warmups; i++) await fn();
  const times = [];
  for (let i = 0; i < rounds; i++) {
    const t = now();
    await fn();
    times.push(now() - t);
  }
  return median(times);
}

// ---- report ----

const FIGURES = [
  { key: 'create', label: `runs/create, ${int(SEARCH_RUNS)} runs by ${CLIENTS} clients`, unit: 'runs/s', higher: true, fmt: int },
  { key: 'ingest1', label: `log-batch ingestion, 1 client (${int(INGEST_1)} x 1000 points)`, unit: 'points/s', higher: true, fmt: int, target: true },
  { key: 'ingest8', label: `log-batch ingestion, ${CLIENTS} clients (${int(CLIENTS * INGEST_8_EACH)} x 1000 points)`, unit: 'points/s', higher: true, fmt: int, target: true },
  { key: 'p50', label: `log-metric latency p50 (${int(LATENCY_REQUESTS)} sequential)`, unit: 'ms', fmt: ms },
  { key: 'p95', label: 'log-metric latency p95', unit: 'ms', fmt: ms },
  { key: 'history', label: `get-history of ${int(Math.ceil(HISTORY_POINTS / 1000) * 1000)} points (pages of ${int(HISTORY_PAGE)})`, unit: 'ms', fmt: ms },
  { key: 'search', label: `runs/search over ${int(SEARCH_RUNS)} runs, metric+param filter, by a metric, 100`, unit: 'ms', fmt: ms, target: true },
  { key: 'listing', label: `runs/search listing all ${int(SEARCH_RUNS)} runs (pages of 10,000)`, unit: 'ms', fmt: ms, target: true },
  { key: 'put', label: `artifact PUT of ${(ARTIFACT_BYTES / 2 ** 20).toFixed(0)} MiB`, unit: 'MB/s', higher: true, fmt: (x) => x.toFixed(0) },
  { key: 'get', label: `artifact GET of ${(ARTIFACT_BYTES / 2 ** 20).toFixed(0)} MiB`, unit: 'MB/s', higher: true, fmt: (x) => x.toFixed(0) },
];

function report(results) {
  const width = Math.max(...FIGURES.map((f) => f.label.length)) + 1;
  for (const f of FIGURES) {
    const parts = SIDES.map((s) => `${s} ${f.fmt(results[s][f.key])} ${f.unit}`);
    let line = `${`${f.label}:`.padEnd(width)} ${parts.join(' | ')}`;
    if (results.reprise && results.mlflow) {
      const r = results.reprise[f.key];
      const m = results.mlflow[f.key];
      const ratio = f.higher ? r / m : m / r;
      line += ` | ratio ${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(1)}x`;
      if (ratio < 1) line += '  SLOWER';
      if (f.target) line += `  (target >= ${TARGET_RATIO}x: ${ratio >= TARGET_RATIO ? 'OK' : 'MISSED'})`;
      else if (ratio < 1) line += '  (target: never slower: MISSED)';
    }
    console.log(line);
  }
}

// ---- main ----

console.log(
  `MLflow REST API, reprise vs mlflow ${mlflowVersion()} server (SQLite, proxied artifacts) on loopback, files under ${BENCH_TMP}` +
    `${SCALE !== 1 ? `, BENCH_SCALE=${SCALE}` : ''} (load average ${loadavg()[0].toFixed(2)})`,
);
console.log(`targets: reprise at least ${TARGET_RATIO}x faster on log-batch ingestion and search, never slower on any figure; ratio = how many times better reprise is`);

function mlflowVersion() {
  try {
    const meta = readFileSync(join(REPO, 'test', 'mlflow', 'requirements.txt'), 'utf8');
    return /^mlflow==(\S+)/m.exec(meta)?.[1] ?? '';
  } catch {
    return '';
  }
}

const running = new Set();
// An interrupted benchmark still stops what it started.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, async () => {
    await Promise.allSettled([...running].map((s) => s.stop()));
    process.exit(130);
  });
}

const results = {};
for (const side of SIDES) {
  const t0 = now();
  const server = side === 'reprise' ? await startReprise() : await startMlflow();
  running.add(server);
  const c = client(server.url);
  try {
    const started = now();
    const { figures, steps } = await workload(c);
    results[side] = figures;
    const parts = Object.entries(steps).map(([name, s]) => `${name} ${s.toFixed(1)}`).join(', ');
    console.log(`  ${side}: started in ${((started - t0) / 1000).toFixed(1)} s, workload ${((now() - started) / 1000).toFixed(1)} s (${parts})`);
  } catch (e) {
    e.message = `${side} (${server.url}): ${e.message}`;
    throw e;
  } finally {
    c.close();
    running.delete(server);
    await server.stop();
  }
}
report(results);
