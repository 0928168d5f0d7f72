// The lake: `reprise data append` of 1,000,000 rows (CSV and Parquet), then 100 appends
// of 100,000 rows each into one table and an as-of aggregate over it (10,000,000 rows in
// 100 files) through `reprise data query --as-of`; also the same aggregate as of the
// 50th commit, which must read only half. Times are the commands' wall times, Node's
// start included. The input files are generated with DuckDB beforehand (not timed).
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { BIN, scratch } from './lib.mjs';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const BIG = Math.round(1_000_000 * SCALE);
const APPENDS = 100;
const PER_APPEND = Math.round(100_000 * SCALE);
const int = (n) => n.toLocaleString('en-US');

const s = scratch('lake');
try {
  const gen = await DuckDBInstance.create(':memory:');
  const c = await gen.connect();
  // Five columns of the kinds training tables have: an id, a timestamp, a category, two numbers.
  const rows = (n, offset) =>
    `SELECT i + ${offset} AS id, TIMESTAMP '2026-01-01' + to_seconds(i + ${offset}) AS ts, 'k' || ((i * 7919) % 50) AS k, ((i * 2654435761) % 1000) / 10.0 AS x, i % 2 = 0 AS flag FROM range(${n}) t(i)`;
  const bigCsv = join(s.root, 'big.csv');
  const bigParquet = join(s.root, 'big.parquet');
  await c.run(`COPY (${rows(BIG, 0)}) TO '${bigCsv}' (FORMAT csv, HEADER true)`);
  await c.run(`COPY (${rows(BIG, 0)}) TO '${bigParquet}' (FORMAT parquet)`);
  const parts = [];
  for (let i = 0; i < APPENDS; i++) {
    const p = join(s.root, `part-${i}.parquet`);
    await c.run(`COPY (${rows(PER_APPEND, i * PER_APPEND)}) TO '${p}' (FORMAT parquet)`);
    parts.push(p);
  }
  c.closeSync();

  const cli = (args) => s.timed('node', [BIN, ...args], s.root);
  console.log(`lake under ${s.root}${SCALE !== 1 ? `, BENCH_SCALE=${SCALE}` : ''} (load average ${loadavg()[0].toFixed(2)})`);
  const csv = cli(['data', 'append', 'big_csv', bigCsv, '--json']);
  console.log(`append ${int(BIG)} rows from CSV:      ${csv.ms.toFixed(0)} ms (${int(Math.round(BIG / (csv.ms / 1000)))} rows/s)`);
  const pq = cli(['data', 'append', 'big_parquet', bigParquet, '--json']);
  console.log(`append ${int(BIG)} rows from Parquet:  ${pq.ms.toFixed(0)} ms (${int(Math.round(BIG / (pq.ms / 1000)))} rows/s)`);

  const times = [];
  const commits = [];
  for (const p of parts) {
    const r = cli(['data', 'append', 'events', p, '--json']);
    times.push(r.ms);
    commits.push(JSON.parse(r.stdout).commit);
  }
  times.sort((a, b) => a - b);
  console.log(`${APPENDS} appends of ${int(PER_APPEND)} rows: median ${times[APPENDS / 2].toFixed(0)} ms, slowest ${times[APPENDS - 1].toFixed(0)} ms`);

  const aggregate = 'SELECT k, count(*) AS n, avg(x) AS mean_x, sum(CASE WHEN flag THEN 1 ELSE 0 END) AS flagged FROM events GROUP BY k ORDER BY k';
  const at = (i) => new Date(commits[i].committedAt).toISOString();
  const query = (asOf) => {
    const r = cli(['data', 'query', aggregate, '--as-of', asOf, '--json']);
    const out = JSON.parse(r.stdout);
    return { ms: r.ms, rows: out.rows.reduce((n, row) => n + Number(row[1]), 0) };
  };
  query(at(APPENDS - 1)); // the first read hashes nothing new, but warms the page cache
  const runs = [0, 1, 2].map(() => query(at(APPENDS - 1)));
  const full = runs.map((r) => r.ms).sort((a, b) => a - b)[1];
  console.log(`as-of aggregate over ${int(runs[0].rows)} rows in ${APPENDS} appends (as of the last): median of 3 ${full.toFixed(0)} ms`);
  const half = query(at(APPENDS / 2 - 1));
  console.log(`the same as of the ${APPENDS / 2}th commit: ${half.ms.toFixed(0)} ms over ${int(half.rows)} rows`);
  if (runs[0].rows !== APPENDS * PER_APPEND || half.rows !== (APPENDS / 2) * PER_APPEND) {
    console.error(`wrong row counts: ${runs[0].rows} and ${half.rows}`);
    process.exitCode = 1;
  }
} finally {
  s.cleanup();
}
