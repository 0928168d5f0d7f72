#!/usr/bin/env node
// Run search over 100,000 runs: filtered and ordered pages of 50 through the SQLite
// store's listRuns (filters parsed by core/run-filter, as the server does), each timed
// as the median of 10 after one warm-up, with how many runs match (counted apart, with
// the same compiled predicate, untimed); then one of them through a real
// `reprise server` over the same home (GET /api/v1/runs?filter=...).
//
// The runs are made with the store's own API: a record shaped like makeRunRecord with
// varied params (lr, batch, optimizer, ...), 4 metrics of 10 points each, tags on a
// fifth of them. Every write is a transaction that SQLite commits with an fsync
// (synchronous=FULL), so the store is filled in RAM (/dev/shm) where the machine has it
// and then copied under BENCH_TMP, where it is searched.
// Target: under 100 ms per search.
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { EPOCHS, makeRun, SEARCHES } from './search-runs.mjs';
import { BENCH_TMP, dist, httpClient, int, median, mib, ms, now, ramDir, recordFactory, scaled, SCALE, startServer, tempHome, verdict } from './server-lib.mjs';

const TARGET_MS = 100;
const RUNS = scaled(100_000, 1000);
const ROUNDS = 10;
const LIMIT = 50;

const [{ SqliteMetadataStore }, { parseRunFilter, parseRunOrder }, { compileFilter }] = await Promise.all([
  dist('adapters/metadata-store/sqlite/sqlite-metadata-store.js'),
  dist('core/run-filter.js'),
  dist('adapters/metadata-store/sqlite/sqlite-run-query.js'),
]);
const runRecord = await recordFactory();

const VIA_SERVER = 0;

async function generate(path) {
  const store = new SqliteMetadataStore({ path });
  await store.init();
  const t0 = Date.UTC(2025, 0, 1);
  const start = now();
  let tagged = 0;
  for (let i = 0; i < RUNS; i++) {
    const { record, batches, tags } = makeRun(runRecord, i, t0);
    await store.createRun(record);
    await store.appendMetrics(record.id, batches);
    if (tags) {
      await store.setTags(record.id, tags);
      tagged++;
    }
  }
  await store.close();
  return { seconds: (now() - start) / 1000, tagged };
}

// BENCH_SEARCH_HOME=<folder> keeps the generated store there and reuses it on later runs.
const kept = process.env.BENCH_SEARCH_HOME;
const { home, cleanup } = kept ? { home: kept, cleanup: () => {} } : tempHome('search');
let server;
const http = httpClient({ maxSockets: 1 });
try {
  console.log(`search over ${int(RUNS)} runs, pages of ${LIMIT}${SCALE !== 1 ? `, BENCH_SCALE=${SCALE}` : ''} (load average ${loadavg()[0].toFixed(2)})`);
  const dbPath = join(home, 'reprise.db');
  if (kept && existsSync(dbPath)) {
    const db = new Database(dbPath, { readonly: true });
    const have = db.prepare('SELECT count(*) AS n FROM runs').get().n;
    db.close();
    if (have !== RUNS) throw new Error(`BENCH_SEARCH_HOME=${home} holds ${have} runs, not ${RUNS}: remove it or pick another folder`);
    console.log(`  reusing the store in ${home} (BENCH_SEARCH_HOME); database ${mib(statSync(dbPath).size)} MiB`);
  } else {
    const ram = ramDir();
    const gen = ram && !home.startsWith(ram) ? tempHome('search-gen', ram) : undefined;
    let made;
    try {
      made = await generate(gen ? join(gen.home, 'reprise.db') : dbPath);
      if (gen) {
        mkdirSync(home, { recursive: true });
        for (const suffix of ['', '-wal', '-shm']) {
          if (existsSync(join(gen.home, `reprise.db${suffix}`))) copyFileSync(join(gen.home, `reprise.db${suffix}`), `${dbPath}${suffix}`);
        }
      }
    } finally {
      gen?.cleanup();
    }
    console.log(
      `  generated in ${made.seconds.toFixed(1)} s through the store API${gen ? ` in ${ram}, then copied` : ''} (${int(RUNS)} runs with 7 params, ` +
        `4 metrics of ${EPOCHS} points each, tags on ${int(made.tagged)}); database ${mib(statSync(dbPath).size)} MiB in ${home}`,
    );
  }

  const store = new SqliteMetadataStore({ path: dbPath });
  await store.init();
  const raw = new Database(dbPath, { readonly: true });
  const k = new Kysely({ dialect: new SqliteDialect({ database: raw }) });
  const results = [];
  try {
    for (const s of SEARCHES) {
      const query = () => {
        // Parsing is part of a search's cost, as it is in the server.
        const filter = s.filter ? parseRunFilter(s.filter) : undefined;
        return store.listRuns({ ...(filter ? { filter } : {}), order: parseRunOrder(s.order), limit: LIMIT });
      };
      await query();
      const times = [];
      let page;
      for (let r = 0; r < ROUNDS; r++) {
        const t = now();
        page = await query();
        times.push(now() - t);
      }
      const filter = s.filter ? parseRunFilter(s.filter) : undefined;
      let count = k.selectFrom('runs').select((eb) => eb.fn.countAll().as('n'));
      if (filter) count = count.where(compileFilter(filter));
      const matched = Number((await count.executeTakeFirstOrThrow()).n);
      const t = median(times);
      results.push(t);
      console.log(
        `  ${ms(t).padStart(6)} ms  ${(s.filter || '(no filter)').padEnd(88)} order ${s.order.padEnd(20)} ` +
          `${int(matched).padStart(7)} match, ${page.runs.length} returned  ${verdict(t < TARGET_MS)}`,
      );
    }
  } finally {
    await k.destroy();
    await store.close();
  }
  console.log(`  slowest: ${ms(Math.max(...results))} ms (median of ${ROUNDS} each; target < ${TARGET_MS} ms: ${verdict(Math.max(...results) < TARGET_MS)})`);

  // The same search through the server: parse, reconcile, the page, its metrics and tags, JSON.
  server = await startServer(home);
  const s = SEARCHES[VIA_SERVER];
  const url = `${server.api}/runs?filter=${encodeURIComponent(s.filter)}&order=${encodeURIComponent(s.order)}&limit=${LIMIT}`;
  await http.request('GET', url);
  const times = [];
  let res;
  for (let r = 0; r < ROUNDS; r++) {
    const t = now();
    res = await http.request('GET', url);
    times.push(now() - t);
  }
  const t = median(times);
  console.log(
    `  ${ms(t).padStart(6)} ms  through the server, GET /api/v1/runs?filter=${s.filter}&order=${s.order}&limit=${LIMIT} ` +
      `(${res.json().runs.length} runs, ${(res.text.length / 1024).toFixed(0)} KiB)  ${verdict(t < TARGET_MS)}`,
  );
} finally {
  http.close();
  await server?.stop();
  cleanup();
}
