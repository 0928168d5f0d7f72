import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchesFromPoints } from '../../../core/metric-series.js';
import { makeRunRecord, runMetadataStoreContract } from '../../../ports/metadata-store.contract.js';
import { startInProcessServer } from '../../../../test/helpers/in-process-server.js';
import { ApiClient } from '../../api-client/api-client.js';
import { Outbox } from '../../api-client/outbox.js';
import { HttpMetadataStore } from './http-metadata-store.js';

async function httpStore(patienceMs = 0) {
  const server = await startInProcessServer();
  const dir = mkdtempSync(join(tmpdir(), 'reprise-http-store-'));
  const api = new ApiClient({ url: server.url, patienceMs });
  const dropped: string[] = [];
  const store = new HttpMetadataStore({ api, outbox: new Outbox({ client: api, dir, onDropped: (m) => dropped.push(m) }) });
  return {
    server,
    store,
    dropped,
    cleanup: async () => {
      await store.close();
      await server.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

runMetadataStoreContract('HttpMetadataStore (through a real server)', async () => {
  const { store, cleanup } = await httpStore();
  return { store, cleanup };
}, { serverSide: false });

describe('HttpMetadataStore', () => {
  it('numbers its metric appends, so a resend after a lost answer is applied once', async () => {
    const { store, server, cleanup } = await httpStore();
    try {
      await store.init();
      const run = makeRunRecord();
      await store.createRun(run);
      const batch = batchesFromPoints([{ key: 'loss', step: 1, ts: 1, value: 0.5 }]);
      await store.appendMetrics(run.id, batch);
      await store.appendMetrics(run.id, batch);
      expect((await store.metricSeries(run.id, 'loss')).steps.length).toBe(2);
      // The same writer and seq again (what a retry sends) changes nothing.
      expect(await server.app.store.appendMetrics(run.id, batch, { id: 'w', seq: 1 })).toBe(true);
      expect(await server.app.store.appendMetrics(run.id, batch, { id: 'w', seq: 1 })).toBe(false);
      expect((await store.metricSeries(run.id, 'loss')).steps.length).toBe(3);
    } finally {
      await cleanup();
    }
  });

  it('reads its own queued writes', async () => {
    const { store, cleanup } = await httpStore();
    try {
      await store.init();
      const run = makeRunRecord({ status: 'running' });
      await store.createRun(run);
      await store.updateRun(run.id, { status: 'succeeded', endedAt: run.createdAt + 100 });
      await store.setArtifacts(run.id, []);
      expect((await store.getRun(run.id))?.status).toBe('succeeded');
    } finally {
      await cleanup();
    }
  });
});
