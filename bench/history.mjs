#!/usr/bin/env node
// A long metric history cut down for a chart: 1,000,000 points of one key, ingested
// through a real `reprise server`, then GET /api/v1/runs/:id/history?key=loss&points=1000
// timed end to end (median of 20, after 2 of warm-up), and its in-process part timed
// separately on the same SQLite file: store.metricHistory (what the server does: chunks
// sampled as they are read, those inside one bucket by their summary alone), and for
// comparison the full-series read (store.metricSeries) with downsample() on its result.
// Target: under 50 ms end to end.
import { loadavg } from 'node:os';
import Database from 'better-sqlite3';
import { BENCH_TMP, dist, httpClient, int, median, mib, ms, now, percentile, recordFactory, scaled, SCALE, startServer, tempHome, timed, verdict } from './server-lib.mjs';

const TARGET_MS = 50;
const POINTS = scaled(1_000_000, 10_000);
const PER_REQUEST = 100_000;
const MAX_POINTS = 1000;
const ROUNDS = 20;
const KEY = 'loss';

const [{ SqliteMetadataStore }, { downsample }, { decodeChunks }] = await Promise.all([
  dist('adapters/metadata-store/sqlite/sqlite-metadata-store.js'),
  dist('core/downsample.js'),
  dist('adapters/metadata-store/sqlite/sqlite-encoding.js'),
]);
const runRecord = await recordFactory();

const { home, cleanup } = tempHome('history');
const server = await startServer(home);
const http = httpClient({ maxSockets: 1 });
try {
  console.log(`history of ${int(POINTS)} points downsampled to ${MAX_POINTS}, SQLite under ${BENCH_TMP}${SCALE !== 1 ? `, BENCH_SCALE=${SCALE}` : ''} (load average ${loadavg()[0].toFixed(2)})`);
  const rec = runRecord({ status: 'running', heartbeatAt: Date.now() + 3_600_000 });
  await http.request('POST', `${server.api}/runs`, JSON.stringify(rec));
  const t0 = now();
  for (let from = 0; from < POINTS; from += PER_REQUEST) {
    const n = Math.min(PER_REQUEST, POINTS - from);
    const steps = Array.from({ length: n }, (_, j) => from + j);
    const values = steps.map((s) => 2 * Math.exp(-s / 300_000) + 0.05 * Math.sin(s / 50) + Math.random() * 0.01);
    const ts = steps.map((s) => 1_760_000_000_000 + s * 10);
    await http.request('POST', `${server.api}/runs/${rec.id}/metrics`, JSON.stringify({ series: [{ key: KEY, steps, values, ts }] }));
  }
  console.log(`  ingested through the server in ${((now() - t0) / 1000).toFixed(2)} s (${POINTS / PER_REQUEST} requests)`);
  // A short series beside it: what the same request costs when there is little to read.
  const short = Array.from({ length: MAX_POINTS }, (_, j) => j);
  await http.request('POST', `${server.api}/runs/${rec.id}/metrics`, JSON.stringify({ series: [{ key: 'short', steps: short, values: short, ts: 1_760_000_000_000 }] }));
  const floor = await timed(ROUNDS, () => http.request('GET', `${server.api}/runs/${rec.id}/history?key=short&points=${MAX_POINTS}`));

  const url = `${server.api}/runs/${rec.id}/history?key=${KEY}&points=${MAX_POINTS}`;
  const e2e = await timed(ROUNDS, () => http.request('GET', url));
  const body = e2e.last.json();
  if (body.total !== POINTS || !body.downsampled || body.steps.length > MAX_POINTS) {
    throw new Error(`unexpected answer: total ${body.total}, downsampled ${body.downsampled}, ${body.steps.length} points`);
  }
  console.log(
    `  GET history, ${MAX_POINTS} points (minmax), end to end: ${ms(e2e.median)} ms median of ${ROUNDS} (min ${ms(e2e.min)}, max ${ms(e2e.max)}; ` +
      `${body.steps.length} points, ${(e2e.last.text.length / 1024).toFixed(0)} KiB)  target < ${TARGET_MS} ms: ${verdict(e2e.median < TARGET_MS)}`,
  );
  const lttb = await timed(ROUNDS, () => http.request('GET', `${url}&method=lttb`));
  console.log(`  GET history, ${MAX_POINTS} points (lttb), end to end:   ${ms(lttb.median)} ms median of ${ROUNDS}`);

  // The same file, opened in this process beside the server (WAL: readers do not block).
  const store = new SqliteMetadataStore({ path: `${home}/reprise.db` });
  await store.init();
  try {
    const read = await timed(ROUNDS, () => store.metricSeries(rec.id, KEY));
    const series = read.last;
    if (series.steps.length !== POINTS) throw new Error(`store read ${series.steps.length} points of ${POINTS}`);
    const down = await timed(ROUNDS, () => downsample(series, MAX_POINTS));
    const both = await timed(ROUNDS, async () => downsample(await store.metricSeries(rec.id, KEY), MAX_POINTS));
    const sampled = await timed(ROUNDS, () => store.metricHistory(rec.id, KEY, { maxPoints: MAX_POINTS }));
    console.log(`  in process: store.metricHistory ${ms(sampled.median)} ms; for comparison, the full-series read (store.metricSeries, ${int(POINTS)} points) ${ms(read.median)} ms, downsample ${ms(down.median)} ms, the two together ${ms(both.median)} ms (medians of ${ROUNDS})`);
    console.log(
      `  the rest of the end-to-end figure, ${ms(Math.max(0, e2e.median - sampled.median))} ms, is the server's HTTP, run lookup and response (${ms(floor.median)} ms for a ${MAX_POINTS}-point series) and its garbage collection`,
    );
    // The full-series read split in two: SQLite handing over the chunk rows (each blob a
    // fresh Buffer), and their copy into three Float64Arrays. The query copies the store's
    // (sqlite-metadata-store.ts, chunksOf): a diagnostic, skipped if the schema moved on.
    try {
      const raw = new Database(`${home}/reprise.db`, { readonly: true });
      try {
        const sid = raw.prepare('SELECT id FROM metric_series WHERE run_id = ? AND key = ?').get(rec.id, KEY).id;
        const chunks = raw.prepare('SELECT n, steps, ts, vals FROM metric_chunks WHERE series_id = ? ORDER BY seq');
        const rows = await timed(ROUNDS, () => chunks.all(sid));
        const copy = await timed(ROUNDS, () => decodeChunks(rows.last, POINTS));
        console.log(`  the read: SQLite rows (${rows.last.length} chunks, ${mib(POINTS * 24)} MiB of blobs) ${ms(rows.median)} ms, copy into columns ${ms(copy.median)} ms`);
      } finally {
        raw.close();
      }
    } catch (e) {
      console.log(`  (the split of the read was skipped: ${e.message})`);
    }
  } finally {
    await store.close();
  }

  const full = await timed(3, () => http.request('GET', `${server.api}/runs/${rec.id}/history?key=${KEY}&full=true`), 1);
  console.log(`  GET history, every point (full=true), end to end: ${ms(full.median)} ms median of 3 (${mib(full.last.text.length)} MiB of JSON)`);
} finally {
  http.close();
  await server.stop();
  cleanup();
}
