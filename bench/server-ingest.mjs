#!/usr/bin/env node
// Metric ingestion through POST /api/v1/runs/:id/metrics of a real `reprise server` over
// SQLite: 2,000,000 points in requests of 100,000 (4 keys of 25,000 points each), as
// columns from 1 client, as columns from 2 concurrent clients (one run each), and as rows
// from 1 client for comparison. Each mode gets a fresh home and server, so the peak RSS
// (VmHWM) printed is that mode's. Bodies are serialised before the clock starts.
// Target: at least 500,000 points/s (MLflow 3.11's log-batch: about 9,000 points/s here).
import { readFileSync } from 'node:fs';
import { BENCH_TMP, columnsBody, dist, httpClient, median, metricValue, ramDir, int, mib, ms, now, openRuns, recordFactory, scaled, SCALE, startServer, tempHome, verdict } from './server-lib.mjs';

const TARGET = 500_000;
const PER_REQUEST = Number(process.env.BENCH_INGEST_PER_REQUEST ?? 100_000);
const TOTAL = Math.max(PER_REQUEST, Math.round(scaled(2_000_000) / PER_REQUEST) * PER_REQUEST);
const KEYS = ['loss', 'accuracy', 'lr', 'grad_norm'];
const PER_KEY = PER_REQUEST / KEYS.length;
const T0 = 1_760_000_000_000;

const runRecord = await recordFactory();

function rowsBody(r) {
  const points = [];
  for (const key of KEYS) {
    for (let j = 0; j < PER_KEY; j++) {
      const step = r * PER_KEY + j;
      points.push({ key, value: metricValue(key, step), step, ts: T0 + step * 10 });
    }
  }
  return Buffer.from(JSON.stringify({ points }));
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function mode(label, form, clients) {
  const { home, cleanup } = tempHome('ingest');
  const server = await startServer(home);
  const http = httpClient({ maxSockets: clients });
  try {
    const idle = server.memory();
    const runs = await openRuns(http, server, runRecord, clients);
    // Client c sends requests c, c+clients, ... of the total, each to its own run.
    const requests = TOTAL / PER_REQUEST;
    const bodies = [];
    for (let r = 0; r < requests; r++) bodies.push((form === 'columns' ? (x) => columnsBody(x, KEYS, PER_KEY, T0) : rowsBody)(Math.floor(r / clients)));
    const bytes = bodies.reduce((n, b) => n + b.length, 0);
    const cpu0 = cpuSeconds(server.pid);
    const latencies = [];
    const t0 = now();
    await Promise.all(
      runs.map(async (id, c) => {
        for (let r = c; r < requests; r += clients) {
          const s = now();
          const res = (await http.request('POST', `${server.api}/runs/${id}/metrics`, bodies[r])).json();
          latencies.push(now() - s);
          if (res.accepted !== PER_REQUEST) throw new Error(`request ${r}: accepted ${res.accepted} of ${PER_REQUEST}`);
        }
      }),
    );
    const elapsed = (now() - t0) / 1000;
    const cpu = cpuSeconds(server.pid) - cpu0;
    const mem = server.memory();
    // Everything sent was stored (checked outside the clock).
    let stored = 0;
    for (const id of runs) {
      const m = (await http.request('GET', `${server.api}/runs/${id}/metrics`)).json().metrics;
      stored += KEYS.reduce((n, k) => n + (m[k]?.count ?? 0), 0);
    }
    if (stored !== TOTAL) throw new Error(`${label}: ${stored} points stored of ${TOTAL}`);
    const rate = TOTAL / elapsed;
    latencies.sort((a, b) => a - b);
    console.log(
      `${label.padEnd(28)} ${int(rate).padStart(10)} points/s  (${int(TOTAL)} points in ${requests} requests of ${int(PER_REQUEST)}, ` +
        `${mib(bytes / requests)} MiB each, ${elapsed.toFixed(2)} s; median request ${ms(latencies[Math.floor(latencies.length / 2)])} ms; ` +
        `server CPU ${cpu.toFixed(2)} s; server RSS idle ${idle.rssMiB.toFixed(0)} MiB, peak ${mem.hwmMiB.toFixed(0)} MiB) ` +
        (form === 'columns' ? `target >= ${int(TARGET)}: ${verdict(rate >= TARGET)}` : '(comparison)'),
    );
    return rate;
  } finally {
    http.close();
    await server.stop();
    cleanup();
  }
}

console.log(`ingestion: ${int(TOTAL)} points per mode, ${KEYS.length} keys, SQLite under ${BENCH_TMP}${SCALE !== 1 ? `, BENCH_SCALE=${SCALE}` : ''}`);
const forms = (process.env.BENCH_INGEST_MODES ?? 'columns-1,columns-2,rows-1').split(',');
for (const f of forms) {
  const [form, n] = f.split('-');
  await mode(`${form}, ${n} client${n === '1' ? '' : 's'}:`, form, Number(n));
}

// Where a request's time goes, in process: the server's steps for one body, each timed
// alone (median over the requests of one run): bytes to text, JSON.parse, the check and
// conversion to typed columns, the SQLite append with its commit (on BENCH_TMP, and in
// RAM where the machine has /dev/shm, which tells the commit's fsync apart).
const [{ decodeMetricsBody }, { SqliteMetadataStore }] = await Promise.all([
  dist('core/metric-wire.js'),
  dist('adapters/metadata-store/sqlite/sqlite-metadata-store.js'),
]);
async function breakdown(form) {
  const requests = Math.min(10, TOTAL / PER_REQUEST);
  const bodies = Array.from({ length: requests }, (_, r) => (form === 'columns' ? (x) => columnsBody(x, KEYS, PER_KEY, T0) : rowsBody)(r));
  const stores = [];
  for (const base of [undefined, ramDir()]) {
    if (base === undefined && stores.length > 0) continue;
    const h = tempHome('ingest-steps', base);
    const store = new SqliteMetadataStore({ path: `${h.home}/reprise.db` });
    await store.init();
    const rec = runRecord({ status: 'running' });
    await store.createRun(rec);
    stores.push({ where: base ?? BENCH_TMP, store, id: rec.id, cleanup: h.cleanup, times: [] });
  }
  const text = [], parse = [], decode = [];
  for (const body of bodies) {
    let t = now();
    const str = body.toString('utf8');
    text.push(now() - t);
    t = now();
    const json = JSON.parse(str);
    parse.push(now() - t);
    t = now();
    const batches = decodeMetricsBody(json, Date.now());
    decode.push(now() - t);
    for (const s of stores) {
      t = now();
      await s.store.appendMetrics(s.id, batches);
      s.times.push(now() - t);
    }
  }
  const per = (xs) => `${ms(median(xs))} ms`;
  const appends = stores.map((s) => `SQLite append ${per(s.times)} (${s.where})`).join(', ');
  const sum = median(text) + median(parse) + median(decode) + median(stores[0].times);
  console.log(
    `  ${form} body of ${int(PER_REQUEST)} points, steps in process (median of ${requests}): to text ${per(text)}, JSON.parse ${per(parse)}, ` +
      `check+columns ${per(decode)}, ${appends}; sum ${ms(sum)} ms = ${int(PER_REQUEST / (sum / 1000))} points/s`,
  );
  for (const s of stores) {
    await s.store.close();
    s.cleanup();
  }
}
console.log('where the time of one request goes:');
await breakdown('columns');
await breakdown('rows');
