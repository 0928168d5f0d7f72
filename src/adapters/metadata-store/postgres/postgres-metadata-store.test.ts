/**
 * @module adapters/metadata-store/postgres/postgres-metadata-store.test
 * The PostgreSQL store against a real server (scripts/ensure-postgres.sh starts one;
 * REPRISE_TEST_PG_URL names another): the contract suites, then what is PostgreSQL's own
 * (migrations under a lock, claims from several servers at once, a server that is down
 * or goes away). Each store gets a schema of its own, dropped after. An unreachable
 * server fails these tests rather than skipping them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, Socket, type Server } from 'node:net';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { newRunId } from '../../../core/ids.js';
import { runAccessStoreContract } from '../../../ports/access-store.contract.js';
import { claimFor, makeQueuedRun } from '../../../ports/metadata-store.fixtures.js';
import { makeRunRecord, runMetadataStoreContract } from '../../../ports/metadata-store.contract.js';
import { isConnectionFailure } from './postgres-connection.js';
import { checkStoreUrl, parsePostgresUrl, PostgresMetadataStore } from './postgres-metadata-store.js';
import { POSTGRES_MIGRATIONS } from './postgres-schema.js';
import { SqliteMetadataStore } from '../sqlite/sqlite-metadata-store.js';
import { SqliteTableSource } from '../sqlite/sqlite-table-source.js';

const PG_URL = process.env.REPRISE_TEST_PG_URL ?? 'postgres://reprise@127.0.0.1:54329/reprise_test';

const admin = new pg.Pool({ connectionString: PG_URL, max: 4, application_name: 'reprise-test-admin' });
admin.on('error', () => undefined);
afterAll(() => admin.end());

/** A fresh, empty schema, and how to drop it. */
async function freshSchema(): Promise<{ schema: string; drop: () => Promise<void> }> {
  const schema = `reprise_t_${randomBytes(6).toString('hex')}`;
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } catch (e) {
    throw new Error(`the test PostgreSQL at ${PG_URL} is not usable (start it with bash scripts/ensure-postgres.sh): ${e instanceof Error ? e.message || String(e) : String(e)}`);
  }
  return { schema, drop: async () => void (await admin.query(`DROP SCHEMA ${schema} CASCADE`)) };
}

runMetadataStoreContract(
  'PostgresMetadataStore',
  async () => {
    const { schema, drop } = await freshSchema();
    return { store: new PostgresMetadataStore({ url: PG_URL, schema, poolSize: 4 }), cleanup: drop };
  },
  { serverSide: true },
);

runAccessStoreContract('PostgresAccessStore', async () => {
  const { schema, drop } = await freshSchema();
  const meta = new PostgresMetadataStore({ url: PG_URL, schema, poolSize: 4 });
  await meta.init();
  return {
    store: meta.accessStore(),
    cleanup: async () => {
      await meta.close();
      await drop();
    },
  };
});

/** What a promise rejected with (undefined when it resolved). */
async function rejection(p: Promise<unknown>): Promise<(Error & { code?: string }) | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => e as Error & { code?: string },
  );
}

/** PG_URL with another host, port or password. */
function urlWith(over: { host?: string; port?: number; password?: string }): string {
  const u = new URL(PG_URL);
  if (over.host !== undefined) u.hostname = over.host;
  if (over.port !== undefined) u.port = String(over.port);
  if (over.password !== undefined) u.password = over.password;
  return u.toString();
}

/** A TCP proxy to the test server that can be cut, as a network failure or a server going away would. */
async function proxy(): Promise<{ port: number; cut: () => Promise<void> }> {
  const target = new URL(PG_URL);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    upstream.connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    cut: async () => {
      await new Promise<void>((done) => {
        server.close(() => done());
        for (const s of sockets) s.destroy();
      });
    },
  };
}

/** A SQLite store's tables copied into the store, as `reprise migrate` copies them. */
async function copyTables(from: string, to: PostgresMetadataStore): Promise<void> {
  const source = new SqliteTableSource(from);
  try {
    const sink = to.tableSink();
    await sink.markCopiedFrom('laptop:reprise.db');
    for (const table of await source.tableNames()) {
      let after: string | null = null;
      do {
        const page: Awaited<ReturnType<SqliteTableSource['readRows']>> = await source.readRows(table, after, 500);
        if (page.rows.length > 0) await sink.writeRows(table, page.rows);
        after = page.next;
      } while (after !== null);
      expect(await sink.countRows(table), table).toBe(await source.countRows(table));
    }
    await sink.finishCopy();
    expect(await sink.copiedFrom()).toBe('laptop:reprise.db');
  } finally {
    await source.close();
  }
}

describe('PostgresMetadataStore', () => {
  const opened: PostgresMetadataStore[] = [];
  const drops: (() => Promise<void>)[] = [];

  /** A store on `schema`, closed after the test. */
  function storeOn(schema: string, url = PG_URL): PostgresMetadataStore {
    const store = new PostgresMetadataStore({ url, schema, poolSize: 4 });
    opened.push(store);
    return store;
  }

  async function schemaForTest(): Promise<string> {
    const { schema, drop } = await freshSchema();
    drops.push(drop);
    return schema;
  }

  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    for (const d of drops.splice(0)) await d();
  });

  describe('migrations', () => {
    it('brings a new schema to the latest version, and finds nothing to do the next time', async () => {
      const schema = await schemaForTest();
      const store = storeOn(schema);
      await store.init();
      const { rows } = await admin.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
      expect(rows.map((r) => r.version)).toEqual(POSTGRES_MIGRATIONS.map((_, i) => i + 1));
      expect(await store.migrate()).toEqual({ from: POSTGRES_MIGRATIONS.length, to: POSTGRES_MIGRATIONS.length });
      const again = storeOn(schema);
      expect(await again.migrate()).toEqual({ from: POSTGRES_MIGRATIONS.length, to: POSTGRES_MIGRATIONS.length });
      // The tables are in the store's schema, not on the server's default path.
      const { rows: tables } = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM pg_tables WHERE schemaname = $1 AND tablename = 'runs'`, [schema]);
      expect(Number(tables[0]!.n)).toBe(1);
    });

    it('makes the schema when it is missing', async () => {
      const schema = `reprise_t_${randomBytes(6).toString('hex')}`;
      drops.push(async () => void (await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)));
      const store = storeOn(schema);
      await store.init();
      const run = makeRunRecord();
      await store.createRun(run);
      expect(await store.getRun(run.id)).toEqual(run);
    });

    it('migrates once when several servers start at the same moment on a new schema', async () => {
      const schema = await schemaForTest();
      const stores = Array.from({ length: 4 }, () => storeOn(schema));
      const results = await Promise.all(stores.map((s) => s.migrate()));
      const latest = POSTGRES_MIGRATIONS.length;
      expect(results.filter((r) => r.from === 0)).toHaveLength(1);
      expect(results.every((r) => r.to === latest)).toBe(true);
      const { rows } = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.schema_migrations`);
      expect(Number(rows[0]!.n)).toBe(latest);
      const run = makeRunRecord();
      await stores[0]!.createRun(run);
      expect(await stores[3]!.getRun(run.id)).toEqual(run);
    });

    it('refuses a schema written by a newer Reprise, and leaves it as it was', async () => {
      const schema = await schemaForTest();
      const first = storeOn(schema);
      await first.init();
      const run = makeRunRecord();
      await first.createRun(run);
      const future = POSTGRES_MIGRATIONS.length + 1;
      await admin.query(`INSERT INTO ${schema}.schema_migrations (version, applied_at) VALUES ($1, 0)`, [future]);
      const err = await rejection(storeOn(schema).init());
      expect(err).toMatchObject({ code: 'REPRISE_ERR_STORE_SCHEMA_NEWER' });
      expect(err?.message).toContain(`schema ${future}`);
      expect(err?.message).toContain(schema);
      const { rows } = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.runs`);
      expect(Number(rows[0]!.n)).toBe(1);
    });
  });

  describe('the queue across servers', () => {

    it('gives each of 30 runs to exactly one of 6 claimers spread over two servers', async () => {
      const schema = await schemaForTest();
      const [a, b] = [storeOn(schema), storeOn(schema)];
      await Promise.all([a.init(), b.init()]);
      const runs = Array.from({ length: 30 }, (_, i) => makeQueuedRun({ createdAt: 1_000 + i, id: newRunId(1_000 + i), priority: i % 3 }));
      await a.submitRuns(runs);
      const claimers = Array.from({ length: 6 }, async (_, i) => {
        const store = i % 2 === 0 ? a : b;
        const got: string[] = [];
        for (;;) {
          const run = await store.claimRun(claimFor(`w${i}`));
          if (!run) return got;
          got.push(run.id);
        }
      });
      const claimed = (await Promise.all(claimers)).flat();
      expect(claimed).toHaveLength(30);
      expect(new Set(claimed).size).toBe(30);
      expect([...claimed].sort()).toEqual(runs.map((r) => r.id).sort());
      const { rows } = await admin.query<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM ${schema}.runs GROUP BY status`);
      expect(rows.map((r) => [r.status, Number(r.n)])).toEqual([['preparing', 30]]);
    });

    it('passes over a run another transaction holds instead of waiting for it', async () => {
      const schema = await schemaForTest();
      const store = storeOn(schema);
      await store.init();
      const first = makeQueuedRun({ createdAt: 1_000, id: newRunId(1_000) });
      const second = makeQueuedRun({ createdAt: 2_000, id: newRunId(2_000) });
      await store.submitRuns([first, second]);
      const holder = await admin.connect();
      try {
        await holder.query('BEGIN');
        await holder.query(`SELECT id FROM ${schema}.runs WHERE id = $1 FOR UPDATE`, [first.id]);
        const t0 = Date.now();
        expect((await store.claimRun(claimFor('w')))?.id).toBe(second.id);
        expect(Date.now() - t0).toBeLessThan(2_000);
        await holder.query('ROLLBACK');
      } finally {
        holder.release();
      }
      expect((await store.claimRun(claimFor('w')))?.id).toBe(first.id);
    });

    it('waits for a run queued by another server', async () => {
      const schema = await schemaForTest();
      const [a, b] = [storeOn(schema), storeOn(schema)];
      await Promise.all([a.init(), b.init()]);
      const late = makeQueuedRun({ id: newRunId() });
      const waiting = a.claimRun({ ...claimFor('w'), waitMs: 5_000 });
      await new Promise((r) => setTimeout(r, 300));
      await b.submitRuns([late]);
      expect((await waiting)?.id).toBe(late.id);
    });
  });

  describe('concurrent writers', () => {
    it('keeps every point and an exact summary when two servers append to one series at once', async () => {
      const schema = await schemaForTest();
      const [a, b] = [storeOn(schema), storeOn(schema)];
      await Promise.all([a.init(), b.init()]);
      const [run] = [makeRunRecord()];
      await a.createRun(run!);
      const appends = Array.from({ length: 40 }, (_, i) => {
        const steps = Float64Array.from({ length: 50 }, (_, j) => i * 50 + j);
        return (i % 2 === 0 ? a : b).appendMetrics(run!.id, [{ key: 'loss', steps, ts: steps.map((s) => s + 1), values: steps.map((s) => s / 10) }]);
      });
      await Promise.all(appends);
      const series = await a.metricSeries(run!.id, 'loss');
      expect([...series.steps]).toEqual(Array.from({ length: 2_000 }, (_, i) => i));
      expect((await b.metricSummaries([run!.id])).get(run!.id)?.loss).toEqual({ last: 199.9, lastStep: 1_999, lastTs: 2_000, min: 0, max: 199.9, count: 2_000 });
    });

    it('applies a writer\'s resent append once, whichever server gets it', async () => {
      const schema = await schemaForTest();
      const [a, b] = [storeOn(schema), storeOn(schema)];
      await Promise.all([a.init(), b.init()]);
      const run = makeRunRecord();
      await a.createRun(run);
      const batch = [{ key: 'loss', steps: Float64Array.of(0), ts: Float64Array.of(1), values: Float64Array.of(0.5) }];
      const applied = await Promise.all([a, b, a, b].map((s) => s.appendMetrics(run.id, batch, { id: 'writer', seq: 1 })));
      expect(applied.filter(Boolean)).toHaveLength(1);
      expect((await a.metricSeries(run.id, 'loss')).steps).toHaveLength(1);
    });

    it('numbers versions of one model once when promotions race', async () => {
      const schema = await schemaForTest();
      const [a, b] = [storeOn(schema), storeOn(schema)];
      await Promise.all([a.init(), b.init()]);
      const artifacts = [{ path: 'model/w.pt', size: 1, sha256: 'a'.repeat(64) }];
      const runs = Array.from({ length: 6 }, () => {
        const base = makeRunRecord({ status: 'succeeded', endedAt: 1_700_000_100_000 });
        return { ...base, manifest: { ...base.manifest, outputs: { ...base.manifest.outputs, artifacts, gate: { status: 'passed' as const, evaluatedAt: 1, results: [] } } } };
      });
      for (const r of runs) await a.createRun(r);
      const made = await Promise.all(runs.map((r, i) => (i % 2 ? a : b).createModelVersion({ model: 'iris', runId: r.id, alias: 'candidate', note: null, by: 'alice', at: 1_000 + i })));
      expect(made.map((m) => m.version.version).sort()).toEqual([1, 2, 3, 4, 5, 6]);
      // Each move saw where the alias pointed just before it.
      const froms = made.map((m) => m.alias!.from).sort();
      expect(froms).toEqual([1, 2, 3, 4, 5, null].sort());
    });

    it('keeps an enabled admin when two servers demote the last two at once', async () => {
      const schema = await schemaForTest();
      const [a, b] = [storeOn(schema), storeOn(schema)];
      await Promise.all([a.init(), b.init()]);
      const [ua, ub] = [a.accessStore(), b.accessStore()];
      const entry = (action: string, target: string) => ({ at: 1_000, by: 'setup', action, target, details: {} });
      for (const name of ['ada', 'grace']) await ua.addUser({ name, role: 'admin', disabled: false, createdAt: 1_000, createdBy: 'setup', passwordHash: null }, entry('user.add', name));
      for (let round = 0; round < 5; round++) {
        const outcomes = await Promise.allSettled([
          ua.updateUser('ada', { role: 'member' }, entry('user.role', 'ada')),
          ub.updateUser('grace', { disabled: true }, entry('user.disable', 'grace')),
        ]);
        expect(outcomes.filter((o) => o.status === 'fulfilled'), `round ${round}`).toHaveLength(1);
        expect(outcomes.find((o) => o.status === 'rejected')).toMatchObject({ reason: { code: 'REPRISE_ERR_LAST_ADMIN' } });
        expect(await ua.countAdmins()).toBe(1);
        await ua.updateUser('ada', { role: 'admin' }, entry('user.role', 'ada'));
        await ua.updateUser('grace', { disabled: false }, entry('user.enable', 'grace'));
      }
    });
  });

  describe('filled from a SQLite store', () => {
    it('holds what the SQLite store held, table by table, and goes on numbering after it', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'reprise-pg-copy-'));
      try {
        const path = join(dir, 'reprise.db');
        const lite = new SqliteMetadataStore({ path });
        await lite.init();
        const artifacts = [{ path: 'model/w.pt', size: 3, sha256: 'a'.repeat(64) }];
        const base = makeRunRecord({ status: 'succeeded', endedAt: 1_700_000_100_000, dev: true, project: 'iris' });
        const run = { ...base, manifest: { ...base.manifest, outputs: { ...base.manifest.outputs, artifacts, gate: { status: 'passed' as const, evaluatedAt: 1, results: [] } } } };
        await lite.createRun(run);
        await lite.setArtifacts(run.id, artifacts);
        await lite.logParams(run.id, { later: 'x', flag: true });
        await lite.setTags(run.id, { stage: 'prod' });
        await lite.appendMetrics(run.id, [{ key: 'loss', steps: Float64Array.of(0, 1, 2), ts: Float64Array.of(1, 2, 3), values: Float64Array.of(0.5, NaN, Infinity) }], { id: 'w', seq: 3 });
        await lite.appendHistograms(run.id, [{ key: 'w', points: [{ step: 0, ts: 1, buckets: Float64Array.of(0, 1, 2), stats: null }, { step: 1, ts: 2, buckets: Float64Array.of(0, 1, 3), stats: { min: 0, max: 1, count: 3, sum: NaN, sumSquares: 1 } }] }]);
        await lite.appendNotes(run.id, [{ key: 'summary', step: 0, ts: 1, text: 'done' }]);
        await lite.createModelVersion({ model: 'iris', runId: run.id, alias: 'candidate', note: null, by: 'alice', at: 1_000 });
        await lite.createProject({ name: 'churn', at: 2_000, tags: { team: 'risk' } });
        await lite.addRunInputs(run.id, { datasets: [{ name: 'iris', digest: 'd1', sourceType: 'local', source: '{}', schema: null, profile: null, tags: {} }] });
        const access = lite.accessStore();
        const grace = { name: 'grace', role: 'admin' as const, disabled: false, createdAt: 1_000, createdBy: 'setup', passwordHash: 'scrypt$x' };
        const ada = { ...grace, name: 'ada', role: 'member' as const, disabled: true, passwordHash: null };
        await access.addUser(grace, { at: 1_000, by: 'setup', action: 'user.add', target: 'grace', details: { role: 'admin' } });
        await access.addUser(ada, { at: 1_001, by: 'grace', action: 'user.add', target: 'ada', details: {} });
        await access.setGrant('ada', 'iris', 'observer', { at: 1_002, by: 'grace', action: 'grant.set', target: 'ada', details: { project: 'iris' } });
        const token = { id: 't1', digest: 'digest-t1', user: 'grace', kind: 'user' as const, runId: null, description: 'laptop', createdAt: 1_003, createdBy: 'grace', expiresAt: null };
        await access.addToken(token, null);
        const { digest: _, ...tokenRecord } = token;
        await access.addSession('s1', { user: 'grace', csrf: 'c1', createdAt: 1_004, expiresAt: 9_000 });
        await lite.close();

        const schema = await schemaForTest();
        const store = storeOn(schema);
        await store.init();
        await copyTables(path, store);
        expect(await store.getRun(run.id)).toEqual(run);
        expect(await store.runParams(run.id)).toMatchObject({ later: 'x', flag: true });
        expect((await store.tagsOf([run.id])).get(run.id)).toEqual({ stage: 'prod' });
        const loss = await store.metricSeries(run.id, 'loss');
        expect([...loss.values].map(String)).toEqual(['0.5', 'NaN', 'Infinity']);
        expect((await store.metricSummaries([run.id])).get(run.id)?.loss).toMatchObject({ count: 3, lastStep: 2, last: Infinity, min: 0.5 });
        // The writer's seq came along: its resend is still skipped.
        expect(await store.appendMetrics(run.id, [{ key: 'loss', steps: Float64Array.of(9), ts: Float64Array.of(9), values: Float64Array.of(9) }], { id: 'w', seq: 3 })).toBe(false);
        // Users, grants, tokens and sessions came along, SQLite's 0/1 as booleans and its JSON text as jsonb.
        const copiedAccess = store.accessStore();
        expect(await copiedAccess.listUsers()).toEqual([ada, grace]);
        expect(await copiedAccess.listGrants()).toEqual([{ user: 'ada', project: 'iris', role: 'observer' }]);
        expect(await copiedAccess.tokenByDigest('digest-t1')).toEqual({ ...tokenRecord, revokedAt: null, lastUsedAt: null });
        expect(await copiedAccess.getSession('s1')).toEqual({ user: 'grace', csrf: 'c1', createdAt: 1_004, expiresAt: 9_000 });
        expect((await copiedAccess.auditLog({ limit: 10 })).map((e) => [e.action, e.details])).toEqual([
          ['grant.set', { project: 'iris' }],
          ['user.add', {}],
          ['user.add', { role: 'admin' }],
        ]);
        await copiedAccess.audit({ at: 5_000, by: 'grace', action: 'gc', target: 'blobs', details: {} });
        expect((await copiedAccess.auditLog({ limit: 1 }))[0]?.action).toBe('gc');
        const hist = await store.histogramSeries(run.id, 'w');
        expect(hist.points.map((p) => [p.step, p.stats === null, [...p.buckets]])).toEqual([[0, true, [0, 1, 2]], [1, false, [0, 1, 3]]]);
        expect(await store.runNotes(run.id)).toEqual([{ key: 'summary', step: 0, ts: 1, text: 'done' }]);
        expect(await store.listArtifacts(run.id)).toEqual(artifacts);
        expect((await store.getModelVersion('iris', { alias: 'candidate' }))?.runId).toBe(run.id);
        expect((await store.runInputs([run.id])).get(run.id)?.datasets.map((d) => d.name)).toEqual(['iris']);
        const projects = await store.projectRecords();
        expect(projects.map((p) => p.name)).toEqual(['Default', 'iris', 'churn']);
        // Ids go on after those copied.
        const next = await store.createProject({ name: 'fresh', at: 3_000 });
        expect(next.id).toBeGreaterThan(projects.at(-1)!.id);
        const second = { ...run, id: newRunId() };
        await store.createRun(second);
        await store.setArtifacts(second.id, artifacts);
        expect((await store.createModelVersion({ model: 'iris', runId: second.id, alias: 'candidate', note: null, by: 'bob', at: 4_000 })).version.version).toBe(2);
        expect((await store.modelAudit({ model: 'iris' })).map((e) => e.toVersion)).toEqual([2, 1]);
        await store.appendHistograms(second.id, [{ key: 'w', points: [{ step: 0, ts: 1, buckets: Float64Array.of(0, 1, 2), stats: null }] }]);
        await store.appendMetrics(second.id, [{ key: 'acc', steps: Float64Array.of(0), ts: Float64Array.of(0), values: Float64Array.of(1) }]);
        expect((await store.metricSeries(second.id, 'acc')).steps).toHaveLength(1);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('a server that cannot be used', () => {
    it('refuses a URL that is not postgres:// or postgresql://, with the password masked', async () => {
      for (const url of ['mysql://u:hunter2@db/x', 'sqlite:/tmp/reprise.db', 'not a url', '/var/lib/reprise']) {
        expect(() => checkStoreUrl(url), url).toThrow(expect.objectContaining({ code: 'REPRISE_ERR_STORE_URL_INVALID' }));
        const err = await rejection(new PostgresMetadataStore({ url }).init());
        expect(err, url).toMatchObject({ code: 'REPRISE_ERR_STORE_URL_INVALID' });
        expect(err?.message).not.toContain('hunter2');
      }
      expect(() => checkStoreUrl('postgresql://u@db.internal/reprise')).not.toThrow();
      expect(parsePostgresUrl('postgres://u:s3cret@db.internal:6543/meta')).toMatchObject({ address: 'db.internal:6543', database: 'meta', user: 'u', redacted: 'postgres://u:***@db.internal:6543/meta' });
      expect(parsePostgresUrl('postgres://u@db.internal').address).toBe('db.internal:5432');
    });

    it('says a refused connection is unavailable, naming the server and database but not the password, at once', async () => {
      // Nothing listens on port 1.
      const url = urlWith({ host: '127.0.0.1', port: 1, password: 'hunter2' });
      const t0 = Date.now();
      const err = await rejection(new PostgresMetadataStore({ url }).init());
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(err).toMatchObject({ code: 'REPRISE_ERR_STORE_UNAVAILABLE' });
      expect(err?.message).toContain('127.0.0.1:1');
      expect(err?.message).toContain(new URL(PG_URL).pathname.slice(1));
      expect(err?.message).toMatch(/ECONNREFUSED/);
      expect(JSON.stringify(err)).not.toContain('hunter2');
      expect(err?.message).not.toContain('hunter2');
    });

    it('gives up on a server that accepts but never answers after the connect timeout', async () => {
      const silent = createServer(() => undefined);
      await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
      try {
        const url = urlWith({ host: '127.0.0.1', port: (silent.address() as { port: number }).port });
        const t0 = Date.now();
        const err = await rejection(new PostgresMetadataStore({ url }).init());
        expect(err).toMatchObject({ code: 'REPRISE_ERR_STORE_UNAVAILABLE' });
        expect(Date.now() - t0).toBeLessThan(8_000);
      } finally {
        silent.close();
      }
    }, 15_000);

    it('turns a connection lost later into REPRISE_ERR_STORE_UNAVAILABLE, not a driver error', async () => {
      const schema = await schemaForTest();
      const cut = await proxy();
      const store = storeOn(schema, urlWith({ host: '127.0.0.1', port: cut.port }));
      await store.init();
      const run = makeRunRecord();
      await store.createRun(run);
      expect(await store.getRun(run.id)).toEqual(run);
      await cut.cut();
      for (const call of [() => store.getRun(run.id), () => store.createRun(makeRunRecord()), () => store.listRuns({}), () => store.appendMetrics(run.id, [{ key: 'x', steps: Float64Array.of(0), ts: Float64Array.of(0), values: Float64Array.of(0) }])]) {
        const err = await rejection(call());
        expect(err).toMatchObject({ code: 'REPRISE_ERR_STORE_UNAVAILABLE' });
        expect(err?.message).toContain(`127.0.0.1:${cut.port}`);
      }
    });

    it('turns an administrator ending the session into REPRISE_ERR_STORE_UNAVAILABLE, and goes on with a new connection', async () => {
      const schema = await schemaForTest();
      const store = storeOn(schema);
      await store.init();
      const run = makeRunRecord();
      await store.createRun(run);
      const holder = await admin.connect();
      try {
        await holder.query('BEGIN');
        await holder.query(`SELECT id FROM ${schema}.runs WHERE id = $1 FOR UPDATE`, [run.id]);
        const { rows: me } = await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        // The store's update waits on the row; its session is then ended (57P01).
        const waiting = rejection(store.updateRun(run.id, { status: 'failed' }));
        let pid: number | undefined;
        for (let i = 0; i < 100 && pid === undefined; i++) {
          await new Promise((r) => setTimeout(r, 20));
          const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))', [me[0]!.pid]);
          pid = rows[0]?.pid;
        }
        expect(pid).toBeDefined();
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        const err = await waiting;
        expect(err).toMatchObject({ code: 'REPRISE_ERR_STORE_UNAVAILABLE' });
        await holder.query('ROLLBACK');
      } finally {
        holder.release();
      }
      expect((await store.getRun(run.id))?.status).toBe(run.status);
      expect(await store.updateRun(run.id, { status: 'failed' })).toBe(true);
    });

    it('judges driver errors in one place: connection failures and shutdowns are unavailable, the rest go through', () => {
      const dbError = (code: string) => Object.assign(new pg.DatabaseError('x', 1, 'error'), { code });
      for (const code of ['08006', '08001', '57P01', '57P02', '57P03']) expect(isConnectionFailure(dbError(code)), code).toBe(true);
      for (const code of ['23505', '40001', '42P01', '22P02']) expect(isConnectionFailure(dbError(code)), code).toBe(false);
      expect(isConnectionFailure(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))).toBe(true);
      expect(isConnectionFailure(new Error('Connection terminated unexpectedly'))).toBe(true);
      expect(isConnectionFailure(new Error('duplicate key value violates unique constraint'))).toBe(false);
    });
  });
});
