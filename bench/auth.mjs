#!/usr/bin/env node
// What authentication costs a request: the same requests to a real `reprise server` with
// and without --auth, sequential over one keep-alive connection on loopback. With auth,
// each request's token is looked up in the store (its SHA-256, then the user and its
// grants), so a revoked token is refused by the very next request.
//   - a single-point log request (POST /runs/:id/metrics), with a Bearer token;
//   - a page of 50 runs (GET /runs?limit=50), with a token, and with basic auth carrying
//     the user's password (scrypt checked once, then remembered against the stored hash);
//   - a web sign-in (POST /session: one scrypt check, a session written).
// No target: the figures say what the check adds. With REPRISE_DB set, on that PostgreSQL
// database instead of SQLite (each request with a token then reads it in one round trip).
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { BIN } from './lib.mjs';
import { BENCH_TMP, httpClient, int, ms, now, percentile, recordFactory, scaled, SCALE, startServer, tempHome, timeSequential } from './server-lib.mjs';

const WARMUP = scaled(200, 20);
const REQUESTS = scaled(2000, 100);
const SIGN_INS = scaled(40, 5);
const PASSWORD = 'bench-password-1';
const runRecord = await recordFactory();

function cli(home, args, input) {
  const env = { ...process.env, REPRISE_HOME: home };
  delete env.REPRISE_SERVER;
  return execFileSync(process.execPath, [BIN, ...args], { env, input, encoding: 'utf8' });
}

const timed = (send) => timeSequential(send, WARMUP, REQUESTS);

const line = (label, times) => console.log(`${label.padEnd(52)} p50 ${ms(percentile(times, 50))} ms, p99 ${ms(percentile(times, 99))} ms`);

async function measure(auth) {
  const { home, cleanup } = tempHome(auth ? 'auth-on' : 'auth-off', BENCH_TMP);
  let token = null;
  if (auth) {
    cli(home, ['users', 'add', 'bench', '--role', 'admin', '--password-stdin'], PASSWORD);
    token = JSON.parse(cli(home, ['tokens', 'create', '--user', 'bench', '--json'])).token;
  }
  const server = await startServer(home, auth ? ['--auth'] : []);
  const bearer = httpClient({ maxSockets: 1, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const basic = httpClient({ maxSockets: 1, headers: auth ? { authorization: `Basic ${Buffer.from(`bench:${PASSWORD}`).toString('base64')}` } : {} });
  const plain = httpClient({ maxSockets: 1 });
  try {
    const rec = runRecord({ status: 'running', heartbeatAt: Date.now() + 3_600_000 });
    await bearer.request('POST', `${server.api}/runs`, JSON.stringify(rec));
    for (let i = 0; i < 60; i++) await bearer.request('POST', `${server.api}/runs`, JSON.stringify(runRecord({ status: 'succeeded' })));
    const how = auth ? 'auth on, Bearer token' : 'auth off';
    line(`1-point log request (${how}):`, await timed((step) => bearer.request('POST', `${server.api}/runs/${rec.id}/metrics`, JSON.stringify({ points: [{ key: 'loss', value: 1 / (step + 1), step, ts: Date.now() }] }))));
    line(`GET /runs?limit=50 (${how}):`, await timed(() => bearer.request('GET', `${server.api}/runs?limit=50`)));
    if (auth) {
      line('GET /runs?limit=50 (auth on, basic auth with password):', await timed(() => basic.request('GET', `${server.api}/runs?limit=50`)));
      const signIns = new Float64Array(SIGN_INS);
      for (let i = 0; i < SIGN_INS; i++) {
        const t = now();
        await plain.request('POST', `${server.api}/session`, JSON.stringify({ user: 'bench', password: PASSWORD }));
        signIns[i] = now() - t;
      }
      console.log(`${'web sign-in, POST /session (scrypt N=2^15):'.padEnd(52)} p50 ${ms(percentile(signIns, 50))} ms over ${int(SIGN_INS)}`);
    }
  } finally {
    bearer.close();
    basic.close();
    plain.close();
    await server.stop();
    cleanup();
  }
}

console.log(`requests with and without --auth: ${int(REQUESTS)} sequential after ${int(WARMUP)} of warm-up${SCALE !== 1 ? `, BENCH_SCALE=${SCALE}` : ''} (load average ${loadavg()[0].toFixed(2)})`);
await measure(false);
await measure(true);
