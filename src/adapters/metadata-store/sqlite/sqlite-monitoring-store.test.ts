/**
 * The SQLite monitoring store: the contract suite, on a real store file; then what a store
 * file must keep across processes (another connection sees the counts and alerts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeAlert, makeBucket, makeSample, runMonitoringStoreContract } from '../../../ports/monitoring-store.contract.js';
import { SqliteMetadataStore } from './sqlite-metadata-store.js';

runMonitoringStoreContract('SqliteMonitoringStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-monitoring-'));
  const meta = new SqliteMetadataStore({ path: join(dir, 'reprise.db') });
  await meta.init();
  return {
    store: meta.monitoringStore(),
    cleanup: async () => {
      await meta.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteMonitoringStore', () => {
  const dirs: string[] = [];
  const opened: SqliteMetadataStore[] = [];

  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function storeAt(path: string): Promise<SqliteMetadataStore> {
    const meta = new SqliteMetadataStore({ path });
    opened.push(meta);
    await meta.init();
    return meta;
  }

  it('adds to what another connection to the same file counted, and sees its open alerts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-monitoring-'));
    dirs.push(dir);
    const path = join(dir, 'reprise.db');
    const one = (await storeAt(path)).monitoringStore();
    const two = (await storeAt(path)).monitoringStore();
    await one.addTraffic([makeBucket({ requests: 3, errors: 0, latency: [3] })]);
    await two.addTraffic([makeBucket({ requests: 4, errors: 1, latency: [1, 3] })]);
    await one.addTraffic([makeBucket({ requests: 1, errors: 0, latency: [1] })]);
    expect(await two.traffic({ model: 'iris', from: 0, to: Number.MAX_SAFE_INTEGER })).toEqual([makeBucket({ requests: 8, errors: 1, latency: [5, 3] })]);

    const raised = await one.raiseAlert(makeAlert());
    expect((await two.raiseAlert(makeAlert({ raisedAt: makeAlert().raisedAt + 1 }))).alert.id).toBe(raised.alert.id);
    await two.addSamples([makeSample('r1')]);
    expect(await one.addFeedback('r1', ['setosa'], 1)).toBe(true);
  });

  it('keeps what was stored when the store is opened again, alert ids included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-monitoring-'));
    dirs.push(dir);
    const path = join(dir, 'reprise.db');
    const first = await storeAt(path);
    const { alert } = await first.monitoringStore().raiseAlert(makeAlert());
    await first.monitoringStore().addSamples([makeSample('r1')]);
    await first.close();
    opened.splice(opened.indexOf(first), 1);

    const again = (await storeAt(path)).monitoringStore();
    expect(await again.alert(alert.id)).toEqual(alert);
    expect(await again.sample('r1')).toEqual(makeSample('r1'));
    const next = await again.raiseAlert(makeAlert({ subject: 'other' }));
    expect(next.alert.id).toBeGreaterThan(alert.id);
  });
});
