#!/usr/bin/env node
// The PostgreSQL metadata store beside SQLite, the same work on both, figures side by side
// with how many times slower or faster PostgreSQL is:
// 1. ingestion through the bulk endpoint of a real `reprise server` (one on a SQLite home,
//    one started with --db on a fresh database): server-ingest.mjs's columns workload,
//    1,000,000 points in requests of 100,000 (4 keys of 25,000), from 1 client and from 2
//    (one run each); from 1 client again with synchronous_commit on for PostgreSQL;
// 2. appendMetrics of the same points straight into each store, in this process;
// 3. a history of 1,000,000 points of one key downsampled to 1,000, as history.mjs does:
//    end to end through each server, and store.metricHistory in this process;
// 4. search.mjs's 6 filtered and ordered searches over 100,000 runs made through each
//    store's own API with search.mjs's generator (pages of 50, median of 10 after a
//    warm-up), with the matches counted (untimed) and the two pages compared.
// PostgreSQL: the test server of scripts/ensure-postgres.sh, or BENCH_PG_URL (a role that
// may create databases). Each part gets a database of its own, reprise_bench_<random>_<part>,
// all dropped at the end, on failure too, and on SIGINT or SIGTERM.
// No target: figures to compare. The test server runs without fsync, and says so in the
// header: its figures leave out the cost of durability that SQLite pays at every commit.
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { EPOCHS, makeRun, resetRuns, SEARCHES } from './search-runs.mjs';
import { BENCH_TMP, columnsBody, dist, httpClient, int, median, timed, mib, ms, now, ramDir, openRuns, recordFactory, scaled, SCALE, startServer, tempHome } from './server-lib.mjs';

const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://reprise@127.0.0.1:54329/reprise_test';
const PER_REQUEST = 100_000;
const TOTAL = Math.max(PER_REQUEST, Math.round(scaled(1_000_000) / PER_REQUEST) * PER_REQUEST);
const KEYS = ['loss', 'accuracy', 'lr', 'grad_norm'];
const PER_KEY = PER_REQUEST / KEYS.length;
const T0 = 1_760_000_000_000;
const HISTORY_POINTS = scaled(1_000_000, 10_000);
const HISTORY_MAX = 1000;
const HISTORY_ROUNDS = 20;
const RUNS = scaled(100_000, 1000);
const ROUNDS = 10;
const LIMIT = 50;
// PostgreSQL takes concurrent writers: the runs are written this many at a time, which
// cuts its generation time here by two fifths (one at a time, 100,000 runs take 6 to 7 minutes).
const PG_IN_FLIGHT = 4;

const [{ SqliteMetadataStore }, { PostgresMetadataStore }, { parsePostgresUrl }, { parseRunFilter, parseRunOrder }, { decodeMetricsBody }] = await Promise.all([
  dist('adapters/metadata-store/sqlite/sqlite-metadata-store.js'),
  dist('adapters/metadata-store/postgres/postgres-metadata-store.js'),
  dist('adapters/metadata-store/postgres/postgres-url.js'),
  dist('core/run-filter.js'),
  dist('core/metric-wire.js'),
]);
const runRecord = await recordFactory();

// ---- the databases: one per part, all dropped at the end -------------------------------

const PREFIX = `reprise_bench_${randomBytes(4).toString('hex')}`;
const created = [];
const creating = new Set();
let dropping;
/** Set by SIGINT or SIGTERM: the work in progress stops, whatever it throws then is not reported. */
let stopping = false;
/** What to undo first when interrupted: servers to stop, stores to close. */
const live = new Set();

/** `fn` with a connection to `url` (BENCH_PG_URL's database by default), closed after. */
async function admin(fn, url = PG_URL) {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A new database `<PREFIX>_<part>` with per-database settings; its URL (BENCH_PG_URL's server and role). */
async function freshDatabase(part, settings = {}) {
  if (stopping || dropping) throw new Error('interrupted');
  const name = `${PREFIX}_${part}`;
  const made = admin(async (c) => {
    await c.query(`CREATE DATABASE ${name}`);
    created.push(name);
    for (const [key, value] of Object.entries(settings)) await c.query(`ALTER DATABASE ${name} SET ${key} = ${value}`);
  });
  creating.add(made);
  try {
    await made;
  } finally {
    creating.delete(made);
  }
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Drops every database made, once those being made are; the same promise for every caller. */
function dropDatabases() {
  dropping ??= (async () => {
    await Promise.allSettled([...creating]);
    if (created.length === 0) return;
    await admin(async (c) => {
      for (const name of created) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    });
  })();
  return dropping;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    stopping = true;
    console.error(`\n${signal}: stopping the servers and dropping the databases ${PREFIX}_*`);
    void (async () => {
      for (const undo of [...live].reverse()) await undo().catch(() => undefined);
      await dropDatabases().catch((e) => console.error(`could not drop ${created.join(', ')}: ${e.message}`));
      process.exit(130);
    })();
  });
}

/** `fn(server)` with a server started with `args` over a fresh home, stopped after. */
async function withServer(name, args, fn) {
  const { home, cleanup } = tempHome(name);
  let server;
  const undo = async () => {
    await server?.stop();
    cleanup();
  };
  live.add(undo);
  try {
    server = await startServer(home, args);
    return await fn(server, home);
  } finally {
    live.delete(undo);
    await undo();
  }
}

// ---- the table -----------------------------------------------------------------------

const W = 15;
const rate = (x) => `${int(x)} /s`;
const msText = (x) => `${ms(x)} ms`;
const sText = (x) => `${x.toFixed(1)} s`;

/** How PostgreSQL compares: `higherIsBetter` for rates, not for times. */
function versus(sqlite, postgres, higherIsBetter) {
  const slower = higherIsBetter ? sqlite / postgres : postgres / sqlite;
  if (!Number.isFinite(slower) || slower <= 0) return '';
  return slower >= 1 ? `${slower.toFixed(2)}x slower` : `${(1 / slower).toFixed(2)}x faster`;
}

function row(what, sqlite, postgres, { format, higherIsBetter }) {
  console.log(`${format(sqlite).padStart(W)} ${format(postgres).padStart(W)}  ${versus(sqlite, postgres, higherIsBetter).padEnd(13)}  ${what}`);
}

const section = (title) => console.log(`\n${title}`);
const columns = () => console.log(`${'SQLite'.padStart(W)} ${'PostgreSQL'.padStart(W)}  PostgreSQL is`);

// ---- 1 and 2: ingestion --------------------------------------------------------------

/** Points/s of TOTAL points posted by `clients` clients (one run each) to a server started with `args`. */
async function ingest(name, args, clients, bodies) {
  return withServer(name, args, async (server) => {
    const http = httpClient({ maxSockets: clients });
    try {
      const runs = await openRuns(http, server, runRecord, clients);
      // Client c sends requests c, c+clients, ... of the total, each to its own run.
      const requests = TOTAL / PER_REQUEST;
      const t0 = now();
      await Promise.all(
        runs.map(async (id, c) => {
          for (let r = c; r < requests; r += clients) {
            const res = (await http.request('POST', `${server.api}/runs/${id}/metrics`, bodies[Math.floor(r / clients)])).json();
            if (res.accepted !== PER_REQUEST) throw new Error(`${name}, request ${r}: accepted ${res.accepted} of ${PER_REQUEST}`);
          }
        }),
      );
      const elapsed = (now() - t0) / 1000;
      // Everything sent was stored (checked outside the clock).
      let stored = 0;
      for (const id of runs) {
        const m = (await http.request('GET', `${server.api}/runs/${id}/metrics`)).json().metrics;
        stored += KEYS.reduce((n, k) => n + (m[k]?.count ?? 0), 0);
      }
      if (stored !== TOTAL) throw new Error(`${name}: ${stored} points stored of ${TOTAL}`);
      return TOTAL / elapsed;
    } finally {
      http.close();
    }
  });
}

/** Points/s of appendMetrics of `batches` (one call per request's body) into a new run of `store`. */
async function appendInProcess(store, batches) {
  await store.init();
  try {
    const rec = runRecord({ status: 'running', heartbeatAt: Date.now() + 3_600_000 });
    await store.createRun(rec);
    const t0 = now();
    for (const b of batches) await store.appendMetrics(rec.id, b);
    const elapsed = (now() - t0) / 1000;
    const summaries = await store.metricSummaries([rec.id]);
    const stored = KEYS.reduce((n, k) => n + (summaries.get(rec.id)?.[k]?.count ?? 0), 0);
    if (stored !== TOTAL) throw new Error(`in-process append: ${stored} points stored of ${TOTAL}`);
    return TOTAL / elapsed;
  } finally {
    await store.close();
  }
}

// ---- 3: history ----------------------------------------------------------------------

/** history.mjs's series sent to a server started with `args`; the GET and store.metricHistory (store from `open`) timed. */
async function history(name, args, open) {
  return withServer(name, args, async (server, home) => {
    const http = httpClient({ maxSockets: 1 });
    try {
      const rec = runRecord({ status: 'running', heartbeatAt: Date.now() + 3_600_000 });
      await http.request('POST', `${server.api}/runs`, JSON.stringify(rec));
      for (let from = 0; from < HISTORY_POINTS; from += PER_REQUEST) {
        const n = Math.min(PER_REQUEST, HISTORY_POINTS - from);
        const steps = Array.from({ length: n }, (_, j) => from + j);
        const values = steps.map((s) => 2 * Math.exp(-s / 300_000) + 0.05 * Math.sin(s / 50) + Math.random() * 0.01);
        const ts = steps.map((s) => T0 + s * 10);
        await http.request('POST', `${server.api}/runs/${rec.id}/metrics`, JSON.stringify({ series: [{ key: 'loss', steps, values, ts }] }));
      }
      const e2e = await timed(HISTORY_ROUNDS, () => http.request('GET', `${server.api}/runs/${rec.id}/history?key=loss&points=${HISTORY_MAX}`));
      const body = e2e.last.json();
      if (body.total !== HISTORY_POINTS || !body.downsampled || body.steps.length > HISTORY_MAX) {
        throw new Error(`${name}: unexpected answer: total ${body.total}, downsampled ${body.downsampled}, ${body.steps.length} points`);
      }
      // The same store opened in this process beside the server.
      const store = open(home);
      await store.init();
      try {
        const inProcess = await timed(HISTORY_ROUNDS, () => store.metricHistory(rec.id, 'loss', { maxPoints: HISTORY_MAX }));
        if (inProcess.last.total !== HISTORY_POINTS) throw new Error(`${name}: metricHistory saw ${inProcess.last.total} points of ${HISTORY_POINTS}`);
        return { e2e: e2e.median, inProcess: inProcess.median };
      } finally {
        await store.close();
      }
    } finally {
      http.close();
    }
  });
}

// ---- 4: search -----------------------------------------------------------------------
// The runs and searches of search.mjs (search-runs.mjs): both stores get the very same
// runs, ids included, so their pages can be compared.

/**
 * The RUNS runs written into `store` (initialised) through its API, `inFlight` runs at a
 * time; each run's writes in search.mjs's order. The generator is drawn from in index
 * order whatever the concurrency, so every store gets the same runs. Progress every 20%.
 */
async function generate(label, store, inFlight) {
  resetRuns();
  const t0 = Date.UTC(2025, 0, 1);
  const start = now();
  let next = 0;
  let done = 0;
  let shown = 0;
  process.stdout.write(`  generating ${int(RUNS)} runs into ${label}:`);
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < RUNS) {
        if (stopping) throw new Error('interrupted');
        const { record, batches, tags } = makeRun(runRecord, next++, t0);
        await store.createRun(record);
        await store.appendMetrics(record.id, batches);
        if (tags) await store.setTags(record.id, tags);
        done++;
        // SQLite's calls never wait: let a signal's handler in now and then.
        if (done % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
        if (done * 5 >= (shown + 1) * RUNS) {
          shown++;
          process.stdout.write(` ${shown * 20}% ${((now() - start) / 1000).toFixed(0)} s${shown === 5 ? '\n' : ','}`);
        }
      }
    }),
  );
  return (now() - start) / 1000;
}

/** search.mjs's store: generated in RAM where the machine has it (each SQLite commit is an fsync), then copied under BENCH_TMP. */
async function sqliteSearchStore(home) {
  const dbPath = join(home, 'reprise.db');
  const ram = ramDir();
  const gen = ram ? tempHome('pg-search-gen', ram) : undefined;
  const undo = async () => gen?.cleanup();
  live.add(undo);
  let seconds;
  try {
    const store = new SqliteMetadataStore({ path: gen ? join(gen.home, 'reprise.db') : dbPath });
    await store.init();
    try {
      seconds = await generate(`SQLite${gen ? ` (in ${ram}, then copied)` : ''}`, store, 1);
    } finally {
      await store.close();
    }
    if (gen) {
      for (const suffix of ['', '-wal', '-shm']) {
        if (existsSync(join(gen.home, `reprise.db${suffix}`))) copyFileSync(join(gen.home, `reprise.db${suffix}`), `${dbPath}${suffix}`);
      }
    }
  } finally {
    live.delete(undo);
    gen?.cleanup();
  }
  console.log(`  SQLite: ${mib(statSync(dbPath).size)} MiB in ${home}`);
  const store = new SqliteMetadataStore({ path: dbPath });
  await store.init();
  return { store, seconds };
}

async function postgresSearchStore(url) {
  const store = new PostgresMetadataStore({ url });
  await store.init();
  const seconds = await generate(`PostgreSQL (${PG_IN_FLIGHT} runs at a time)`, store, PG_IN_FLIGHT);
  // What autovacuum would have done by the time such a store is searched: statistics for
  // the planner and the visibility map, taken now so that it does not run during the timings.
  const t = now();
  const size = await admin(async (c) => {
    await c.query('VACUUM (ANALYZE)');
    return Number((await c.query('SELECT pg_database_size(current_database()) AS n')).rows[0].n);
  }, url);
  console.log(`  PostgreSQL: ${mib(size)} MiB; VACUUM (ANALYZE) after it took ${((now() - t) / 1000).toFixed(1)} s`);
  return { store, seconds };
}

async function search(url) {
  section(`search over ${int(RUNS)} runs (7 params, 4 metrics of ${EPOCHS} points each, tags on a fifth), first page of ${LIMIT}, median of ${ROUNDS} after a warm-up`);
  const { home, cleanup } = tempHome('pg-search');
  const stores = [];
  const undo = async () => {
    for (const s of stores.splice(0)) await s.close();
    cleanup();
  };
  live.add(undo);
  try {
    const sqlite = await sqliteSearchStore(home);
    stores.push(sqlite.store);
    const postgres = await postgresSearchStore(url);
    stores.push(postgres.store);
    columns();
    row(`runs generated through the store API (${int(RUNS)}; PostgreSQL ${PG_IN_FLIGHT} at a time, SQLite one at a time)`, sqlite.seconds, postgres.seconds, { format: sText, higherIsBetter: false });
    const slowest = [0, 0];
    for (const s of SEARCHES) {
      const times = [];
      const pages = [];
      for (const store of [sqlite.store, postgres.store]) {
        // Parsing is part of a search's cost, as it is in the server.
        const query = () => {
          const filter = s.filter ? parseRunFilter(s.filter) : undefined;
          return store.listRuns({ ...(filter ? { filter } : {}), order: parseRunOrder(s.order), limit: LIMIT });
        };
        await query();
        const taken = [];
        let page;
        for (let r = 0; r < ROUNDS; r++) {
          const t = now();
          page = await query();
          taken.push(now() - t);
        }
        times.push(median(taken));
        pages.push(page.runs.map((r) => r.id));
      }
      const filter = s.filter ? parseRunFilter(s.filter) : undefined;
      const counts = await Promise.all([sqlite.store, postgres.store].map((store) => store.countRuns(filter ? { filter } : {})));
      const matched = counts[0] === counts[1] ? `${int(counts[0])} match` : `matches differ: SQLite ${int(counts[0])}, PostgreSQL ${int(counts[1])}`;
      const same = pages[0].length === pages[1].length && pages[0].every((id, i) => id === pages[1][i]);
      const differ = pages[0].filter((id, i) => id !== pages[1][i]).length + Math.max(0, pages[1].length - pages[0].length);
      row(`${s.filter || '(no filter)'} | order ${s.order} (${matched}; ${same ? 'same page' : `pages differ at ${differ} of ${Math.max(pages[0].length, pages[1].length)} places`})`, times[0], times[1], {
        format: msText,
        higherIsBetter: false,
      });
      slowest[0] = Math.max(slowest[0], times[0]);
      slowest[1] = Math.max(slowest[1], times[1]);
    }
    row('slowest of the searches', slowest[0], slowest[1], { format: msText, higherIsBetter: false });
  } finally {
    live.delete(undo);
    await undo();
  }
}

// ---- the benchmark -------------------------------------------------------------------

const started = now();
let server;
try {
  server = await admin(async (c) => {
    const show = async (name) => (await c.query(`SHOW ${name}`)).rows[0][name];
    return { version: await show('server_version'), fsync: await show('fsync'), syncCommit: await show('synchronous_commit'), fullPages: await show('full_page_writes') };
  });
} catch (e) {
  console.error(`the PostgreSQL server at ${parsePostgresUrl(PG_URL).redacted} is not usable (start it with bash scripts/ensure-postgres.sh, or set BENCH_PG_URL): ${e.message}`);
  process.exit(1);
}

try {
  console.log(`PostgreSQL metadata store beside SQLite${SCALE !== 1 ? `, BENCH_SCALE=${SCALE}` : ''} (load average ${loadavg()[0].toFixed(2)})`);
  console.log(`  SQLite: WAL with synchronous=FULL (every commit waits for its fsync), files under ${BENCH_TMP}`);
  console.log(
    `  PostgreSQL ${server.version} at ${parsePostgresUrl(PG_URL).redacted}, a database of its own per part (${PREFIX}_*): ` +
      `fsync=${server.fsync}, synchronous_commit=${server.syncCommit}, full_page_writes=${server.fullPages}`,
  );
  if (server.fsync === 'off') {
    console.log('  NOTE: with fsync off (server-wide) PostgreSQL never waits for the disk, so its figures leave out the cost of durability that SQLite pays;');
    console.log('        the synchronous_commit=on line waits for the WAL to be written at each commit, still without fsync.');
  }

  // 1 and 2: the same bodies for every mode, serialised before the clock starts.
  const bodies = Array.from({ length: TOTAL / PER_REQUEST }, (_, r) => columnsBody(r, KEYS, PER_KEY, T0));
  section(`ingestion of ${int(TOTAL)} points, ${KEYS.length} keys, in requests of ${int(PER_REQUEST)} (${mib(bodies[0].length)} MiB each), points/s`);
  columns();
  for (const clients of [1, 2]) {
    const sqlite = await ingest('pg-ingest-sqlite', [], clients, bodies);
    const postgres = await ingest('pg-ingest-postgres', ['--db', await freshDatabase(`ingest${clients}`)], clients, bodies);
    row(`through the server's bulk endpoint, ${clients} client${clients === 1 ? '' : 's'}${clients === 1 ? '' : ' (one run each)'}`, sqlite, postgres, { format: rate, higherIsBetter: true });
    if (clients === 1) {
      const synced = await ingest('pg-ingest-sync', ['--db', await freshDatabase('ingest_sync', { synchronous_commit: 'on' })], 1, bodies);
      row('the same, PostgreSQL with synchronous_commit=on (SQLite as above)', sqlite, synced, { format: rate, higherIsBetter: true });
    }
  }
  const batches = bodies.map((b) => decodeMetricsBody(JSON.parse(b.toString('utf8')), Date.now()));
  {
    const h = tempHome('pg-append');
    try {
      const sqlite = await appendInProcess(new SqliteMetadataStore({ path: join(h.home, 'reprise.db') }), batches);
      const postgres = await appendInProcess(new PostgresMetadataStore({ url: await freshDatabase('append') }), batches);
      row(`store.appendMetrics in process, no HTTP (${batches.length} call${batches.length === 1 ? '' : 's'})`, sqlite, postgres, { format: rate, higherIsBetter: true });
      const synced = await appendInProcess(new PostgresMetadataStore({ url: await freshDatabase('append_sync', { synchronous_commit: 'on' }) }), batches);
      row('the same, PostgreSQL with synchronous_commit=on (SQLite as above)', sqlite, synced, { format: rate, higherIsBetter: true });
    } finally {
      h.cleanup();
    }
  }

  // 3: a long history.
  section(`history of ${int(HISTORY_POINTS)} points of one key downsampled to ${HISTORY_MAX} (minmax), median of ${HISTORY_ROUNDS} after 2 of warm-up, ms`);
  columns();
  const historyUrl = await freshDatabase('history');
  const sqliteHistory = await history('pg-history-sqlite', [], (home) => new SqliteMetadataStore({ path: join(home, 'reprise.db') }));
  const postgresHistory = await history('pg-history-postgres', ['--db', historyUrl], () => new PostgresMetadataStore({ url: historyUrl }));
  row(`GET /api/v1/runs/:id/history?points=${HISTORY_MAX}, end to end`, sqliteHistory.e2e, postgresHistory.e2e, { format: msText, higherIsBetter: false });
  row('store.metricHistory in process', sqliteHistory.inProcess, postgresHistory.inProcess, { format: msText, higherIsBetter: false });

  // 4: search.
  await search(await freshDatabase('search'));
  console.log(`\ntotal ${((now() - started) / 1000).toFixed(0)} s`);
} catch (e) {
  // Interrupted: the handler is dropping the databases and sets the exit status.
  if (!stopping) throw e;
} finally {
  await dropDatabases();
}
