import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RepriseError } from '../../../core/errors.js';
import { batchesFromPoints, pointsOf, type MetricPoint } from '../../../core/metric-series.js';
import { foldPoint, type SummaryState } from '../../../core/metric-summary.js';
import type { RunRecord } from '../../../core/run.js';
import type { FilterExpr } from '../../../core/run-filter.js';
import { makeRunRecord, runMetadataStoreContract } from '../../../ports/metadata-store.contract.js';
import { SqliteMetadataStore } from './sqlite-metadata-store.js';
import { METRIC_CHUNK_POINTS, SQLITE_MIGRATIONS } from './sqlite-schema.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
/** The compiled adapter, for tests that need separate node processes (built by `npm run build`). */
const COMPILED_STORE = join(REPO_ROOT, 'dist', 'adapters', 'metadata-store', 'sqlite', 'sqlite-metadata-store.js');
const SOURCE_DIR = dirname(fileURLToPath(import.meta.url));
/** The compiled adapter exists and is not older than its sources (a stale build would test old code). */
const HAVE_DIST =
  existsSync(COMPILED_STORE) &&
  readdirSync(SOURCE_DIR)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .every((f) => statSync(join(SOURCE_DIR, f)).mtimeMs <= statSync(COMPILED_STORE).mtimeMs);
const NO_DIST = `needs a current build of ${COMPILED_STORE}: run npm run build first`;

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'reprise-sqlite-'));

runMetadataStoreContract('SqliteMetadataStore', async () => {
  const dir = tempDir();
  return {
    store: new SqliteMetadataStore({ path: join(dir, 'reprise.db') }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}, { serverSide: true });

interface NodeResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs an ES module script in a fresh node process, killing it after `timeoutMs`. */
function runNode(script: string, env: Record<string, string>, timeoutMs: number): Promise<NodeResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, ...env, STORE_MODULE: pathToFileURL(COMPILED_STORE).href },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

describe('SqliteMetadataStore', () => {
  let dir: string;
  let dbPath: string;
  const opened: SqliteMetadataStore[] = [];

  /** A store on the test's database file, closed after the test. */
  async function open(): Promise<SqliteMetadataStore> {
    const store = new SqliteMetadataStore({ path: dbPath });
    opened.push(store);
    await store.init();
    return store;
  }

  beforeEach(() => {
    dir = tempDir();
    dbPath = join(dir, 'nested', 'folder', 'reprise.db');
  });

  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the database file and its folders on init', async () => {
    await open();
    expect(existsSync(dbPath)).toBe(true);
  });

  it('opens an existing database again without losing or redoing anything', async () => {
    const first = await open();
    const run = makeRunRecord();
    await first.createRun(run);
    await first.appendMetrics(run.id, batchesFromPoints([{ key: 'loss', step: 0, ts: 1, value: 0.5 }]));
    await first.logParams(run.id, { batch: 32 });
    await first.setTags(run.id, { stage: 'dev' });
    await first.close();
    const second = await open();
    expect(await second.getRun(run.id)).toEqual(run);
    expect(pointsOf('loss', await second.metricSeries(run.id, 'loss'))).toEqual([{ key: 'loss', step: 0, ts: 1, value: 0.5 }]);
    expect(await second.runParams(run.id)).toMatchObject({ batch: 32, 'optim.lr': 0.01 });
    expect((await second.tagsOf([run.id])).get(run.id)).toEqual({ stage: 'dev' });
  });

  it('refuses a database written by a newer schema, and leaves it as it was', async () => {
    await (await open()).close();
    const raw = new Database(dbPath);
    raw.pragma('user_version = 99');
    raw.close();

    const store = new SqliteMetadataStore({ path: dbPath });
    const err = await store.init().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RepriseError);
    expect((err as RepriseError).code).toBe('REPRISE_ERR_STORE_SCHEMA_NEWER');
    expect((err as RepriseError).message).toContain(dbPath);

    const check = new Database(dbPath, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(99);
    check.close();
  });

  it('answers false for an empty patch when the run does not match onlyIf or does not exist', async () => {
    const store = await open();
    const run = makeRunRecord({ status: 'lost' });
    await store.createRun(run);
    expect(await store.updateRun(run.id, {}, ['running'])).toBe(false);
    expect(await store.updateRun('no-such-run', {})).toBe(false);
  });

  it('shares one file between two store instances writing in turn, losing nothing', async () => {
    const a = await open();
    const b = await open();
    const run = makeRunRecord();
    await a.createRun(run);
    // Each instance must see the other's writes at once: there is no cache in between.
    expect(await b.getRun(run.id)).toEqual(run);
    for (let i = 0; i < 200; i++) {
      await a.appendMetrics(run.id, batchesFromPoints([{ key: 'a', step: i, ts: i, value: i }]));
      await b.appendMetrics(run.id, batchesFromPoints([{ key: 'b', step: i, ts: i, value: -i - 1 }]));
    }
    for (const store of [a, b]) {
      const summaries = (await store.metricSummaries([run.id])).get(run.id);
      expect(summaries).toEqual({
        a: { last: 199, lastStep: 199, lastTs: 199, min: 0, max: 199, count: 200 },
        b: { last: -200, lastStep: 199, lastTs: 199, min: -200, max: -1, count: 200 },
      });
      expect([...(await store.metricSeries(run.id, 'a')).values]).toEqual(Array.from({ length: 200 }, (_, i) => i));
    }
  });

  // In a separate process, so a deadlock (two connections of one process waiting on
  // each other) fails this test instead of stalling the file.
  it('lets two store instances in one process write concurrently without "database is locked"', async ({ skip }) => {
    if (!HAVE_DIST) skip(NO_DIST);
    const setup = await open();
    const run = makeRunRecord();
    await setup.createRun(run);
    const script = `
      const { SqliteMetadataStore } = await import(process.env.STORE_MODULE);
      const one = (key, i, value) => [{ key, steps: Float64Array.of(i), ts: Float64Array.of(i), values: Float64Array.of(value) }];
      const a = new SqliteMetadataStore({ path: process.env.DB_PATH });
      const b = new SqliteMetadataStore({ path: process.env.DB_PATH });
      await a.init();
      await b.init();
      const writes = [];
      for (let i = 0; i < 200; i++) {
        writes.push(a.appendMetrics(process.env.RUN_ID, one('a', i, i)));
        writes.push(b.appendMetrics(process.env.RUN_ID, one('b', i, i)));
      }
      const results = await Promise.allSettled(writes);
      const failed = results.filter((r) => r.status === 'rejected').map((r) => String(r.reason));
      await a.close();
      await b.close();
      console.log(JSON.stringify({ failed }));
    `;
    // 400 small transactions take well under a second; a stall means the deadlock.
    const res = await runNode(script, { DB_PATH: dbPath, RUN_ID: run.id }, 10_000);
    expect(res.stderr).not.toContain('database is locked');
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ failed: [] });
    expect((await setup.metricSeries(run.id, 'a')).steps).toHaveLength(200);
    expect((await setup.metricSeries(run.id, 'b')).steps).toHaveLength(200);
  });

  it('lets 4 processes create the same new database at once and write to it', async ({ skip }) => {
    if (!HAVE_DIST) skip(NO_DIST);
    const script = `
      const { SqliteMetadataStore } = await import(process.env.STORE_MODULE);
      const run = JSON.parse(process.env.RUN_JSON);
      // Every process waits for the same instant, so all of them create the file together.
      while (Date.now() < Number(process.env.START_AT)) {}
      const store = new SqliteMetadataStore({ path: process.env.DB_PATH });
      await store.init();
      await store.createRun(run);
      for (let i = 0; i < 50; i++) {
        const at = Float64Array.of(i);
        await store.appendMetrics(run.id, [
          { key: 'loss', steps: at, ts: at, values: Float64Array.of(1 / (i + 1)) },
          { key: 'acc', steps: at, ts: at, values: Float64Array.of(i / 50) },
        ]);
      }
      await store.close();
      console.log('ok');
    `;
    const runs = Array.from({ length: 4 }, (_, i) => makeRunRecord({ name: `proc-${i}`, createdAt: i + 1 }));
    const startAt = String(Date.now() + 2_000);
    expect(existsSync(dbPath)).toBe(false);
    const results = await Promise.all(
      runs.map((run) => runNode(script, { DB_PATH: dbPath, RUN_JSON: JSON.stringify(run), START_AT: startAt }, 45_000)),
    );
    for (const res of results) {
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      expect(res.stdout.trim()).toBe('ok');
    }

    const store = await open();
    expect((await store.listRuns({})).runs.map((r) => r.name)).toEqual(['proc-3', 'proc-2', 'proc-1', 'proc-0']);
    const summaries = await store.metricSummaries(runs.map((r) => r.id));
    for (const run of runs) {
      expect(await store.getRun(run.id)).toEqual(run);
      expect((await store.metricSeries(run.id, 'loss')).steps).toHaveLength(50);
      expect(summaries.get(run.id)).toEqual({
        acc: { last: 49 / 50, lastStep: 49, lastTs: expect.any(Number), min: 0, max: 49 / 50, count: 50 },
        loss: { last: 1 / 50, lastStep: 49, lastTs: expect.any(Number), min: 1 / 50, max: 1, count: 50 },
      });
    }
  });
  describe('metric chunks', () => {
    interface ChunkRow {
      readonly seq: number;
      readonly n: number;
      readonly min_step: number;
      readonly max_step: number;
    }

    /** The chunk rows of one series, read from the file after the stores are closed. */
    async function chunksOf(runId: string, key: string): Promise<ChunkRow[]> {
      for (const s of opened.splice(0)) await s.close();
      const raw = new Database(dbPath, { readonly: true });
      try {
        return raw
          .prepare(
            `SELECT c.seq, c.n, c.min_step, c.max_step FROM metric_chunks c JOIN metric_series s ON s.id = c.series_id
             WHERE s.run_id = ? AND s.key = ? ORDER BY c.seq`,
          )
          .all(runId, key) as ChunkRow[];
      } finally {
        raw.close();
      }
    }

    it('stores a 100,000-point append as full chunks of METRIC_CHUNK_POINTS and one partial one', async () => {
      const store = await open();
      const run = makeRunRecord();
      await store.createRun(run);
      const n = 100_000;
      const steps = Float64Array.from({ length: n }, (_, i) => i);
      const values = Float64Array.from({ length: n }, (_, i) => Math.sqrt(i));
      expect(await store.appendMetrics(run.id, [{ key: 'loss', steps, ts: steps, values }])).toBe(true);
      const got = await store.metricSeries(run.id, 'loss');
      expect(got.steps).toEqual(steps);
      expect(got.values).toEqual(values);
      expect((await store.metricSummaries([run.id])).get(run.id)?.loss).toEqual({ last: Math.sqrt(n - 1), lastStep: n - 1, lastTs: n - 1, min: 0, max: Math.sqrt(n - 1), count: n });

      const chunks = await chunksOf(run.id, 'loss');
      expect(chunks).toHaveLength(Math.ceil(n / METRIC_CHUNK_POINTS));
      expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
      expect(chunks.slice(0, -1).every((c) => c.n === METRIC_CHUNK_POINTS)).toBe(true);
      expect(chunks.at(-1)?.n).toBe(n - (chunks.length - 1) * METRIC_CHUNK_POINTS);
      chunks.forEach((c, i) => {
        expect(c.min_step).toBe(i * METRIC_CHUNK_POINTS);
        expect(c.max_step).toBe(Math.min(n, (i + 1) * METRIC_CHUNK_POINTS) - 1);
      });
    });

    it('fills the last chunk with small appends instead of adding a row per append', async () => {
      const store = await open();
      const run = makeRunRecord();
      await store.createRun(run);
      for (let from = 0; from < 3_000; from += 8) {
        const steps = Float64Array.from({ length: Math.min(8, 3_000 - from) }, (_, i) => from + i);
        await store.appendMetrics(run.id, [{ key: 'loss', steps, ts: steps, values: steps }]);
      }
      // A small append, then a big one that tops up the partial chunk before starting new ones.
      const head = Float64Array.from({ length: 10 }, (_, i) => i);
      const tail = Float64Array.from({ length: 2_000 }, (_, i) => 10 + i);
      await store.appendMetrics(run.id, [{ key: 'acc', steps: head, ts: head, values: head }]);
      await store.appendMetrics(run.id, [{ key: 'acc', steps: tail, ts: tail, values: tail }]);
      expect([...(await store.metricSeries(run.id, 'loss')).steps]).toEqual(Array.from({ length: 3_000 }, (_, i) => i));
      expect([...(await store.metricSeries(run.id, 'acc')).values]).toEqual(Array.from({ length: 2_010 }, (_, i) => i));

      expect(await chunksOf(run.id, 'loss')).toEqual([
        { seq: 0, n: 1_024, min_step: 0, max_step: 1_023 },
        { seq: 1, n: 1_024, min_step: 1_024, max_step: 2_047 },
        { seq: 2, n: 952, min_step: 2_048, max_step: 2_999 },
      ]);
      expect(await chunksOf(run.id, 'acc')).toEqual([
        { seq: 0, n: 1_024, min_step: 0, max_step: 1_023 },
        { seq: 1, n: 986, min_step: 1_024, max_step: 2_009 },
      ]);
    });

    it('keeps the steps of every chunk right when points arrive out of order', async () => {
      const store = await open();
      const run = makeRunRecord();
      await store.createRun(run);
      const steps = Float64Array.from({ length: 1_500 }, (_, i) => 1_499 - i);
      await store.appendMetrics(run.id, [{ key: 'loss', steps, ts: steps, values: steps }]);
      const got = await store.metricSeries(run.id, 'loss');
      expect([...got.steps]).toEqual(Array.from({ length: 1_500 }, (_, i) => i));
      expect(await chunksOf(run.id, 'loss')).toEqual([
        { seq: 0, n: 1_024, min_step: 476, max_step: 1_499 },
        { seq: 1, n: 476, min_step: 0, max_step: 475 },
      ]);
    });
  });

  describe('migration from schema 3 (a row per metric point)', () => {
    /** The test's database file as Reprise with three migrations left it, holding `runs` and the metric rows. */
    function writeSchema3(runs: readonly RunRecord[], rows: readonly [RunRecord, MetricPoint][]): void {
      mkdirSync(dirname(dbPath), { recursive: true });
      const raw = new Database(dbPath);
      for (const m of SQLITE_MIGRATIONS.slice(0, 3)) {
        if (typeof m !== 'string') throw new Error('the first three migrations are SQL');
        raw.exec(m);
      }
      raw.pragma('user_version = 3');
      raw.exec('BEGIN');
      const insertRun = raw.prepare(
        `INSERT INTO runs (id, name, project, status, dev, created_at, started_at, ended_at, host, pid, pid_start, heartbeat_at, manifest, env_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const r of runs) {
        insertRun.run(r.id, r.name, r.project, r.status, r.dev ? 1 : 0, r.createdAt, r.startedAt, r.endedAt, r.host, r.pid, r.pidStart, r.heartbeatAt, JSON.stringify(r.manifest), r.envHash);
      }
      // NaN was written as NULL.
      const insertPoint = raw.prepare('INSERT INTO metrics (run_id, key, step, ts, value) VALUES (?, ?, ?, ?, ?)');
      for (const [r, p] of rows) insertPoint.run(r.id, p.key, p.step, p.ts, Number.isNaN(p.value) ? null : p.value);
      // The summaries the old adapter kept beside the rows.
      const folds = new Map<string, { runId: string; key: string; s: SummaryState }>();
      for (const [r, p] of rows) {
        const id = `${r.id}\u0000${p.key}`;
        folds.set(id, { runId: r.id, key: p.key, s: foldPoint(folds.get(id)?.s, p) });
      }
      const nullNaN = (v: number): number | null => (Number.isNaN(v) ? null : v);
      const insertSummary = raw.prepare('INSERT INTO metric_summaries (run_id, key, last, last_step, last_ts, min, max, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      for (const { runId, key, s } of folds.values()) insertSummary.run(runId, key, nullNaN(s.last), s.lastStep, s.lastTs, nullNaN(s.min), nullNaN(s.max), s.count);
      raw.exec('COMMIT');
      raw.close();
    }

    const pt = (key: string, step: number, ts: number, value: number): MetricPoint => ({ key, step, ts, value });

    /** Sorted as the store returns a series: step, then time, then arrival. */
    const sorted = (points: readonly MetricPoint[]): MetricPoint[] =>
      points
        .map((p, i) => ({ p, i }))
        .sort((a, b) => a.p.step - b.p.step || a.p.ts - b.p.ts || a.i - b.i)
        .map(({ p }) => p);

    it('moves the metric rows into chunks and fills the params from the manifests', async () => {
      const run = makeRunRecord({ createdAt: 2_000 });
      const bare = makeRunRecord({ createdAt: 1_000, params: { optim: { lr: 0.5 }, tags: ['a', 'b'] } });
      const loss = [pt('loss', 2, 20, 0.2), pt('loss', 0, 5, 1), pt('loss', 1, 30, NaN), pt('loss', 0, 5, 0.9), pt('loss', 1, 10, 0.5), pt('loss', 3, 40, Infinity)];
      // Longer than one chunk, written newest step first.
      const acc = Array.from({ length: 2_500 }, (_, i) => pt('acc', 2_499 - i, 100 + i, (2_499 - i) / 2_500));
      const allNaN = [pt('nan', 0, 1, NaN), pt('nan', 1, 2, NaN)];
      writeSchema3([run, bare], [...loss, ...acc, ...allNaN].map((p) => [run, p] as [RunRecord, MetricPoint]));

      const store = await open();
      expect(await store.getRun(run.id)).toEqual(run);
      expect(await store.getRun(bare.id)).toEqual(bare);

      const lossSeries = pointsOf('loss', await store.metricSeries(run.id, 'loss'));
      expect(lossSeries).toEqual(sorted(loss));
      expect(Number.isNaN(lossSeries[3]?.value)).toBe(true);
      expect(lossSeries.map((p) => [p.step, p.ts, p.value])).toEqual([
        [0, 5, 1],
        [0, 5, 0.9],
        [1, 10, 0.5],
        [1, 30, NaN],
        [2, 20, 0.2],
        [3, 40, Infinity],
      ]);
      expect(pointsOf('acc', await store.metricSeries(run.id, 'acc'))).toEqual(sorted(acc));
      expect(pointsOf('nan', await store.metricSeries(run.id, 'nan'))).toEqual(allNaN);

      const summaries = (await store.metricSummaries([run.id, bare.id])).get(run.id);
      expect(summaries?.loss).toEqual({ last: Infinity, lastStep: 3, lastTs: 40, min: 0.2, max: Infinity, count: 6 });
      expect(summaries?.acc).toEqual({ last: 2_499 / 2_500, lastStep: 2_499, lastTs: 100, min: 0, max: 2_499 / 2_500, count: 2_500 });
      expect(summaries?.nan?.count).toBe(2);
      expect((await store.metricSummaries([bare.id])).get(bare.id) ?? {}).toEqual({});

      expect(await store.runParams(run.id)).toEqual({ epochs: 2, 'optim.lr': 0.01, 'optim.name': 'adam', layers: '[64,32]' });
      expect(await store.runParams(bare.id)).toEqual({ 'optim.lr': 0.5, tags: '["a","b"]' });

      // Search works on what the migration filled in: params and the commit.
      const ids = async (filter: FilterExpr): Promise<string[]> => (await store.listRuns({ filter })).runs.map((r) => r.id);
      expect(await ids({ kind: 'cmp', field: { kind: 'param', key: 'optim.lr' }, op: '<', value: 0.1 })).toEqual([run.id]);
      const commit = run.manifest.code?.kind === 'git' ? run.manifest.code.commit : '';
      expect(await ids({ kind: 'cmp', field: { kind: 'attr', name: 'commit' }, op: '=', value: commit })).toEqual([run.id, bare.id]);
      expect(await ids({ kind: 'cmp', field: { kind: 'metric', key: 'acc', agg: 'max' }, op: '>', value: 0.9 })).toEqual([run.id]);

      // The migrated series goes on growing, and immutability covers the migrated params.
      const more = Float64Array.from({ length: 10 }, (_, i) => 2_500 + i);
      await store.appendMetrics(run.id, [{ key: 'acc', steps: more, ts: more, values: more }]);
      expect((await store.metricSeries(run.id, 'acc')).steps).toHaveLength(2_510);
      await expect(store.logParams(bare.id, { 'optim.lr': 0.4 })).rejects.toMatchObject({ code: 'REPRISE_ERR_PARAM_IMMUTABLE' });

      await store.close();
      const raw = new Database(dbPath, { readonly: true });
      try {
        expect(raw.pragma('user_version', { simple: true })).toBe(SQLITE_MIGRATIONS.length);
        expect(raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'metrics'").all()).toEqual([]);
        const chunkCounts = raw
          .prepare('SELECT s.key, count(*) AS chunks, sum(c.n) AS points FROM metric_chunks c JOIN metric_series s ON s.id = c.series_id GROUP BY s.key ORDER BY s.key')
          .all();
        expect(chunkCounts).toEqual([
          { key: 'acc', chunks: 3, points: 2_510 },
          { key: 'loss', chunks: 1, points: 6 },
          { key: 'nan', chunks: 1, points: 2 },
        ]);
      } finally {
        raw.close();
      }
    });

    it('migrates a schema 3 database without any metrics', async () => {
      const run = makeRunRecord();
      writeSchema3([run], []);
      const store = await open();
      expect(await store.getRun(run.id)).toEqual(run);
      expect((await store.metricSeries(run.id, 'loss')).steps).toHaveLength(0);
      expect(await store.runParams(run.id)).toEqual({ epochs: 2, 'optim.lr': 0.01, 'optim.name': 'adam', layers: '[64,32]' });
    });
  });

  it('binds the values and keys of a filter, never pasting them into SQL', async () => {
    const store = await open();
    const evil = "'); drop table runs; --";
    const plain = makeRunRecord({ createdAt: 1 });
    const marked = makeRunRecord({ createdAt: 2 });
    await store.createRun(plain);
    await store.createRun(marked);
    await store.logParams(marked.id, { note: evil, [evil]: 1 });
    await store.setTags(marked.id, { [evil]: evil });
    const ids = async (filter: FilterExpr): Promise<string[]> => (await store.listRuns({ filter })).runs.map((r) => r.id);

    const nothing: FilterExpr[] = [
      { kind: 'cmp', field: { kind: 'attr', name: 'name' }, op: '=', value: evil },
      { kind: 'cmp', field: { kind: 'param', key: evil }, op: '=', value: evil },
      { kind: 'cmp', field: { kind: 'param', key: 'note' }, op: '=', value: `${evil}'` },
      { kind: 'cmp', field: { kind: 'metric', key: evil, agg: 'min' }, op: '<', value: 1 },
      { kind: 'cmp', field: { kind: 'attr', name: 'host' }, op: 'like', value: `%${evil}%` },
      { kind: 'in', field: { kind: 'attr', name: 'project' }, values: [evil, `x${evil}`], negated: false },
      { kind: 'in', field: { kind: 'tag', key: evil }, values: ['x', `${evil}"`], negated: false },
      { kind: 'null', field: { kind: 'tag', key: `x${evil}` }, negated: true },
    ];
    for (const f of nothing) expect(await ids(f), JSON.stringify(f)).toEqual([]);
    // The same text as a value or a key finds the run that holds it.
    expect(await ids({ kind: 'cmp', field: { kind: 'param', key: 'note' }, op: '=', value: evil })).toEqual([marked.id]);
    expect(await ids({ kind: 'cmp', field: { kind: 'tag', key: evil }, op: '=', value: evil })).toEqual([marked.id]);
    expect(await ids({ kind: 'null', field: { kind: 'tag', key: evil }, negated: false })).toEqual([plain.id]);
    // Ordering by such a key, and a forged cursor carrying it, are bound too.
    const order = { field: { kind: 'param', key: evil }, direction: 'desc' } as const;
    expect((await store.listRuns({ order })).runs.map((r) => r.id)).toEqual([marked.id, plain.id]);
    const forged = Buffer.from(JSON.stringify({ o: 'created desc', s: 0, v: evil, id: evil })).toString('base64url');
    await store.listRuns({ cursor: forged });

    expect((await store.listRuns({})).runs).toHaveLength(2);
    await store.close();
    const raw = new Database(dbPath, { readonly: true });
    try {
      expect(raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'runs'").all()).toEqual([{ name: 'runs' }]);
      expect(raw.prepare('SELECT count(*) AS n FROM runs').get()).toEqual({ n: 2 });
    } finally {
      raw.close();
    }
  });
});
