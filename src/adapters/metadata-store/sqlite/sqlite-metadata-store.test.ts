import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RepriseError } from '../../../core/errors.js';
import { makeRunRecord, runMetadataStoreContract } from '../../../ports/metadata-store.contract.js';
import { SqliteMetadataStore } from './sqlite-metadata-store.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
/** The compiled adapter, for tests that need separate node processes (built by `npm run build`). */
const COMPILED_STORE = join(REPO_ROOT, 'dist', 'adapters', 'metadata-store', 'sqlite', 'sqlite-metadata-store.js');
const HAVE_DIST = existsSync(COMPILED_STORE);
const NO_DIST = `needs the compiled adapter ${COMPILED_STORE}: run npm run build first`;

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'reprise-sqlite-'));

runMetadataStoreContract('SqliteMetadataStore', async () => {
  const dir = tempDir();
  return {
    store: new SqliteMetadataStore({ path: join(dir, 'reprise.db') }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

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
    await first.appendMetrics(run.id, [{ key: 'loss', step: 0, ts: 1, value: 0.5 }]);
    await first.close();
    const second = await open();
    expect(await second.getRun(run.id)).toEqual(run);
    expect(await second.metricSeries(run.id, 'loss')).toHaveLength(1);
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
      await a.appendMetrics(run.id, [{ key: 'a', step: i, ts: i, value: i }]);
      await b.appendMetrics(run.id, [{ key: 'b', step: i, ts: i, value: -i - 1 }]);
    }
    for (const store of [a, b]) {
      const summaries = (await store.metricSummaries([run.id])).get(run.id);
      expect(summaries).toEqual({
        a: { last: 199, lastStep: 199, min: 0, max: 199, count: 200 },
        b: { last: -200, lastStep: 199, min: -200, max: -1, count: 200 },
      });
      expect((await store.metricSeries(run.id, 'a')).map((p) => p.value)).toEqual(Array.from({ length: 200 }, (_, i) => i));
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
      const a = new SqliteMetadataStore({ path: process.env.DB_PATH });
      const b = new SqliteMetadataStore({ path: process.env.DB_PATH });
      await a.init();
      await b.init();
      const writes = [];
      for (let i = 0; i < 200; i++) {
        writes.push(a.appendMetrics(process.env.RUN_ID, [{ key: 'a', step: i, ts: i, value: i }]));
        writes.push(b.appendMetrics(process.env.RUN_ID, [{ key: 'b', step: i, ts: i, value: i }]));
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
    expect(await setup.metricSeries(run.id, 'a')).toHaveLength(200);
    expect(await setup.metricSeries(run.id, 'b')).toHaveLength(200);
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
        await store.appendMetrics(run.id, [
          { key: 'loss', step: i, ts: i, value: 1 / (i + 1) },
          { key: 'acc', step: i, ts: i, value: i / 50 },
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
    expect((await store.listRuns({})).map((r) => r.name)).toEqual(['proc-3', 'proc-2', 'proc-1', 'proc-0']);
    const summaries = await store.metricSummaries(runs.map((r) => r.id));
    for (const run of runs) {
      expect(await store.getRun(run.id)).toEqual(run);
      expect(await store.metricSeries(run.id, 'loss')).toHaveLength(50);
      expect(summaries.get(run.id)).toEqual({
        acc: { last: 49 / 50, lastStep: 49, min: 0, max: 49 / 50, count: 50 },
        loss: { last: 1 / 50, lastStep: 49, min: 1 / 50, max: 1, count: 50 },
      });
    }
  });
});
