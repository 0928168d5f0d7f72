#!/usr/bin/env node
// The latency of a single-point log request: POST /api/v1/runs/:id/metrics with one row,
// sequential, over one keep-alive connection on loopback, to a real `reprise server`.
// 200 requests of warm-up, then 2,000 timed. The same is done with the home in RAM
// (/dev/shm, where a commit costs no fsync) and against GET /api/v1/health (the floor of
// HTTP and routing alone), so the figure can be split into its parts.
// Target: p50 under 1 ms.
import { loadavg } from 'node:os';
import { BENCH_TMP, httpClient, int, ms, percentile, ramDir, recordFactory, scaled, SCALE, startServer, tempHome, timeSequential, verdict } from './server-lib.mjs';

const TARGET_MS = 1;
const WARMUP = scaled(200, 20);
const REQUESTS = scaled(2000, 100);
const runRecord = await recordFactory();

async function measure(label, base, { health = false, target = false } = {}) {
  const { home, cleanup } = tempHome('latency', base);
  const server = await startServer(home);
  const http = httpClient({ maxSockets: 1 });
  try {
    const rec = runRecord({ status: 'running', heartbeatAt: Date.now() + 3_600_000 });
    await http.request('POST', `${server.api}/runs`, JSON.stringify(rec));
    const url = health ? `${server.api}/health` : `${server.api}/runs/${rec.id}/metrics`;
    const send = (step) =>
      health
        ? http.request('GET', url)
        : http.request('POST', url, JSON.stringify({ points: [{ key: 'loss', value: 1 / (step + 1), step, ts: Date.now() }] }));
    const times = await timeSequential(send, WARMUP, REQUESTS);
    if (!health) {
      const count = (await http.request('GET', `${server.api}/runs/${rec.id}/metrics`)).json().metrics.loss.count;
      if (count !== WARMUP + REQUESTS) throw new Error(`${count} points stored of ${WARMUP + REQUESTS}`);
    }
    const p50 = percentile(times, 50);
    console.log(
      `${label.padEnd(44)} p50 ${ms(p50)} ms, p90 ${ms(percentile(times, 90))} ms, p99 ${ms(percentile(times, 99))} ms, max ${ms(percentile(times, 100))} ms` +
        (target ? `  (target p50 < ${TARGET_MS} ms: ${verdict(p50 < TARGET_MS)})` : ''),
    );
  } finally {
    http.close();
    await server.stop();
    cleanup();
  }
}

console.log(
  `single-point log requests: ${int(REQUESTS)} sequential after ${int(WARMUP)} of warm-up, one keep-alive connection` +
    `${SCALE !== 1 ? `, BENCH_SCALE=${SCALE}` : ''} (load average ${loadavg()[0].toFixed(2)})`,
);
await measure(`1 point, home on disk (${BENCH_TMP}):`, BENCH_TMP, { target: true });
const ram = ramDir();
if (ram && ram !== BENCH_TMP) await measure(`1 point, home in RAM (${ram}, no fsync):`, ram);
await measure('GET /health (HTTP and routing only):', BENCH_TMP, { health: true });
