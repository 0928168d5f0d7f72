/**
 * @module adapters/metadata-store/postgres/postgres-monitoring-store.test
 * The PostgreSQL monitoring store against a real server (scripts/ensure-postgres.sh starts
 * one; REPRISE_TEST_PG_URL names another): the contract suite, then what several servers
 * sharing one database need (counts added at once all counted, one alert raised for one
 * problem), and a SQLite store's monitoring tables copied over by `reprise migrate`. Each
 * store gets a schema of its own, dropped after. An unreachable server fails these tests
 * rather than skipping them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MONITOR_SETTINGS } from '../../../core/model-monitoring.js';
import { makeAlert, makeBucket, makeSample, makeWindow, runMonitoringStoreContract } from '../../../ports/monitoring-store.contract.js';
import { SqliteMetadataStore } from '../sqlite/sqlite-metadata-store.js';
import { SqliteTableSource } from '../sqlite/sqlite-table-source.js';
import { PostgresMetadataStore } from './postgres-metadata-store.js';

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

runMonitoringStoreContract('PostgresMonitoringStore', async () => {
  const { schema, drop } = await freshSchema();
  const meta = new PostgresMetadataStore({ url: PG_URL, schema, poolSize: 4 });
  await meta.init();
  return {
    store: meta.monitoringStore(),
    cleanup: async () => {
      await meta.close();
      await drop();
    },
  };
});

describe('PostgresMonitoringStore', () => {
  const opened: PostgresMetadataStore[] = [];
  const drops: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    for (const d of drops.splice(0)) await d();
  });

  /** `n` stores on one fresh schema, as `n` servers sharing a database are. */
  async function servers(n: number): Promise<PostgresMetadataStore[]> {
    const { schema, drop } = await freshSchema();
    drops.push(drop);
    const stores = Array.from({ length: n }, () => new PostgresMetadataStore({ url: PG_URL, schema, poolSize: 8 }));
    opened.push(...stores);
    for (const s of stores) await s.init();
    return stores;
  }

  it('counts every request when servers add to the same minute at once', async () => {
    const [one, two] = (await servers(2)).map((s) => s.monitoringStore());
    const rounds = 40;
    const node = (i: number): string => (i % 2 === 0 ? 'node-a' : 'node-b');
    // Each call touches both nodes' buckets, in the order given: the store must not deadlock or lose any.
    await Promise.all(
      Array.from({ length: rounds }, (_, i) =>
        (i % 2 === 0 ? one! : two!).addTraffic([
          makeBucket({ node: node(i), requests: 1, errors: i % 3 === 0 ? 1 : 0, latency: [1, 0, 2] }),
          makeBucket({ node: node(i + 1), requests: 2, errors: 0, latency: [0, 1] }),
        ]),
      ),
    );
    const buckets = await one!.traffic({ model: 'iris', from: 0, to: Number.MAX_SAFE_INTEGER });
    const errorsOn = (parity: number): number => Array.from({ length: rounds }, (_, i) => i).filter((i) => i % 2 === parity && i % 3 === 0).length;
    expect(buckets.map((b) => [b.node, b.requests, b.errors, b.latency])).toEqual([
      ['node-a', rounds / 2 + 2 * (rounds / 2), errorsOn(0), [rounds / 2, rounds / 2, rounds]],
      ['node-b', rounds / 2 + 2 * (rounds / 2), errorsOn(1), [rounds / 2, rounds / 2, rounds]],
    ]);
  });

  it('raises one alert when servers raise the same one at once, and sees it again on every other', async () => {
    const stores = (await servers(3)).map((s) => s.monitoringStore());
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => stores[i % 3]!.raiseAlert(makeAlert({ raisedAt: makeAlert().raisedAt + i }))));
    expect(results.filter((r) => r.raised)).toHaveLength(1);
    expect(new Set(results.map((r) => r.alert.id)).size).toBe(1);
    expect(await stores[0]!.alerts({ open: true })).toHaveLength(1);
  });

  it('keeps every delivery appended at once, and the first of acknowledgements made at once', async () => {
    const stores = (await servers(2)).map((s) => s.monitoringStore());
    const { alert } = await stores[0]!.raiseAlert(makeAlert());
    await Promise.all(Array.from({ length: 10 }, (_, i) => stores[i % 2]!.addAlertDelivery(alert.id, { url: `https://hooks.example.com/${i}`, at: i, ok: true, detail: '200' })));
    expect((await stores[1]!.alert(alert.id))?.deliveries.map((d) => d.url).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `https://hooks.example.com/${i}`).sort());
    const acks = await Promise.all(['grace', 'ada', 'bob', 'eve'].map((by, i) => stores[i % 2]!.ackAlert(alert.id, by, null, 100 + i)));
    // Whichever came first, every caller is told the same acknowledgement.
    expect(new Set(acks.map((a) => `${a.ackedBy}@${a.ackedAt}`)).size).toBe(1);
  });

  it('stores a batch of samples larger than one statement takes', async () => {
    const [store] = (await servers(1)).map((s) => s.monitoringStore());
    const samples = Array.from({ length: 6_000 }, (_, i) => makeSample(`r${String(i).padStart(5, '0')}`, { at: 1_000 + i }));
    await store!.addSamples(samples);
    await store!.addSamples(samples.slice(0, 10).map((s) => ({ ...s, alias: 'resent' })));
    const read = await store!.samples({ model: 'iris', from: 0, to: 1_000_000 });
    expect(read).toHaveLength(6_000);
    expect(read[0]).toEqual(samples[0]);
    expect(read.at(-1)).toEqual(samples.at(-1));
  });

  it('takes the monitoring tables of a SQLite store as reprise migrate copies them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-monitoring-migrate-'));
    try {
      const path = join(dir, 'reprise.db');
      const laptop = new SqliteMetadataStore({ path });
      await laptop.init();
      const local = laptop.monitoringStore();
      await local.setMonitorSettings('iris', DEFAULT_MONITOR_SETTINGS, 'ada', 1);
      await local.putReferenceProfile({ model: 'iris', version: 1, madeAt: 2, profile: { rows: 150, features: [] }, error: null });
      await local.putReferenceProfile({ model: 'iris', version: 2, madeAt: 3, profile: null, error: 'no dataset' });
      await local.addSamples([makeSample('r1', { inputs: [{ a: [1, { b: null }] }] }), makeSample('r2', { outputs: null, error: 'boom' })]);
      await local.addFeedback('r1', ['setosa'], 5);
      await local.addTraffic([makeBucket()]);
      const window = makeWindow(1_000, { live: { labelled: 1, accuracy: NaN, meanAbsoluteError: null } });
      await local.putDriftWindow(window);
      const { alert } = await local.raiseAlert(makeAlert());
      await local.addAlertDelivery(alert.id, { url: 'https://hooks.example.com/a', at: 9, ok: false, detail: '500' });
      const acked = await local.ackAlert(alert.id, 'grace', 'known', 10);
      const open = (await local.raiseAlert(makeAlert({ subject: 'other' }))).alert;
      await laptop.close();

      const [team] = await servers(1);
      const source = new SqliteTableSource(path);
      try {
        const sink = team!.tableSink();
        for (const table of await source.tableNames()) {
          for (let after: string | null = null; ; ) {
            const page: Awaited<ReturnType<SqliteTableSource['readRows']>> = await source.readRows(table, after, 500);
            if (page.rows.length > 0) await sink.writeRows(table, page.rows);
            after = page.next;
            if (after === null) break;
          }
          expect(await sink.countRows(table), table).toBe(await source.countRows(table));
        }
        await sink.finishCopy();
      } finally {
        await source.close();
      }

      const copied = team!.monitoringStore();
      expect(await copied.monitorSettings('iris')).toEqual({ settings: DEFAULT_MONITOR_SETTINGS, updatedAt: 1, updatedBy: 'ada' });
      expect(await copied.referenceProfile('iris', 1)).toEqual({ model: 'iris', version: 1, madeAt: 2, profile: { rows: 150, features: [] }, error: null });
      expect(await copied.referenceProfile('iris', 2)).toMatchObject({ profile: null, error: 'no dataset' });
      expect(await copied.sample('r1')).toEqual(makeSample('r1', { inputs: [{ a: [1, { b: null }] }], feedback: ['setosa'] }));
      expect(await copied.sample('r2')).toEqual(makeSample('r2', { outputs: null, error: 'boom' }));
      expect(await copied.traffic({ model: 'iris', from: 0, to: Number.MAX_SAFE_INTEGER })).toEqual([makeBucket()]);
      await copied.addTraffic([makeBucket()]);
      expect((await copied.traffic({ model: 'iris', from: 0, to: Number.MAX_SAFE_INTEGER }))[0]?.requests).toBe(2 * makeBucket().requests);
      expect(await copied.driftWindows({ model: 'iris', from: 0, to: 2_000 })).toEqual([window]);
      expect(await copied.alerts({})).toEqual([open, acked]);
      // The copied ids are not given again, and the open one is seen again rather than raised twice.
      expect((await copied.raiseAlert(makeAlert({ subject: 'other' }))).raised).toBe(false);
      expect((await copied.raiseAlert(makeAlert({ subject: 'third' }))).alert.id).toBeGreaterThan(open.id);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
