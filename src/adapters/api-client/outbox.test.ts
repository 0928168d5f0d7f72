import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batchesToJson } from '../../core/metric-wire.js';
import { batchesFromPoints } from '../../core/metric-series.js';
import { makeRunRecord } from '../../ports/metadata-store.contract.js';
import { startInProcessServer, type InProcessServer } from '../../../test/helpers/in-process-server.js';
import { ApiClient } from './api-client.js';
import { Outbox } from './outbox.js';

const points = (from: number, n: number) =>
  batchesToJson(batchesFromPoints(Array.from({ length: n }, (_, i) => ({ key: 'loss', step: from + i, ts: 1, value: from + i }))));

describe('Outbox', () => {
  let server: InProcessServer;
  let dir: string;
  beforeEach(async () => {
    server = await startInProcessServer();
    dir = mkdtempSync(join(tmpdir(), 'reprise-outbox-'));
  });
  afterEach(async () => {
    await server.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers in order what was queued while the server was away, each once, then removes its file', async () => {
    const api = new ApiClient({ url: server.url, patienceMs: 60_000 });
    const dropped: string[] = [];
    const outbox = new Outbox({ client: api, dir, onDropped: (m) => dropped.push(m) });
    const run = makeRunRecord();
    await api.request({ method: 'POST', path: '/runs', json: run });
    const { home, port } = server;
    await server.stop();
    for (let i = 0; i < 20; i++) outbox.enqueue({ method: 'POST', path: `/runs/${run.id}/metrics`, json: { ...points(i * 10, 10), writer: { id: 'w', seq: i + 1 } } });
    outbox.enqueue({ method: 'PATCH', path: `/runs/${run.id}`, json: { status: 'succeeded', endedAt: 5 } });
    expect(outbox.pending).toBe(21);
    expect(readdirSync(dir)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 400));
    server = await startInProcessServer({ home, port });
    await outbox.close();
    expect(dropped).toEqual([]);
    const series = await server.app.store.metricSeries(run.id, 'loss');
    expect(Array.from(series.steps)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect((await server.app.store.getRun(run.id))?.status).toBe('succeeded');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('takes over entries a process that ended left behind, ahead of its own', async () => {
    const api = new ApiClient({ url: server.url, patienceMs: 10_000 });
    const run = makeRunRecord();
    await api.request({ method: 'POST', path: '/runs', json: run });
    // pid 2^22+1 is above Linux's pid range: surely not running.
    const left = [
      JSON.stringify({ method: 'POST', path: `/runs/${run.id}/metrics`, json: { ...points(0, 5), writer: { id: 'gone', seq: 1 } } }),
      JSON.stringify({ method: 'PUT', path: `/runs/${run.id}/tags`, json: { tags: { from: 'leftover' } } }),
      '{"method": "PUT", "pa',
    ];
    writeFileSync(join(dir, `1-${2 ** 22 + 1}-abcd.jsonl`), `${left.join('\n')}`);
    writeFileSync(join(dir, `2-${process.pid}-live.jsonl`), `${left[1]}\n`);
    const outbox = new Outbox({ client: api, dir, onDropped: () => undefined });
    expect(outbox.adoptLeftovers()).toBe(2);
    outbox.enqueue({ method: 'PUT', path: `/runs/${run.id}/tags`, json: { tags: { from: 'mine' } } });
    await outbox.close();
    expect(Array.from((await server.app.store.metricSeries(run.id, 'loss')).steps)).toEqual([0, 1, 2, 3, 4]);
    expect((await server.app.store.tagsOf([run.id])).get(run.id)).toEqual({ from: 'mine' });
    // The file of a live process (this one) is left to it.
    expect(readdirSync(dir)).toEqual([`2-${process.pid}-live.jsonl`]);
  });

  it('reports an entry the server refuses and goes on with the next', async () => {
    const api = new ApiClient({ url: server.url, patienceMs: 1_000 });
    const dropped: string[] = [];
    const outbox = new Outbox({ client: api, dir, onDropped: (m) => dropped.push(m) });
    const run = makeRunRecord();
    await api.request({ method: 'POST', path: '/runs', json: run });
    outbox.enqueue({ method: 'POST', path: `/runs/${run.id}/metrics`, json: { series: [{ key: 'x', steps: [1], values: ['oops'] }] } });
    outbox.enqueue({ method: 'POST', path: `/runs/${run.id}/metrics`, json: points(0, 3) });
    await outbox.flush();
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toContain('series[0].values[0]');
    expect((await server.app.store.metricSeries(run.id, 'loss')).steps.length).toBe(3);
  });
});

describe('Outbox with log pieces', () => {
  it('sends contiguous pieces of one log as one request, and the log comes out whole', async () => {
    const server = await startInProcessServer();
    const dir = mkdtempSync(join(tmpdir(), 'reprise-outbox-'));
    try {
      let requests = 0;
      const api = new ApiClient({ url: server.url, patienceMs: 1_000 });
      const counting = { request: (r: Parameters<ApiClient['request']>[0]) => (requests++, api.request(r)) } as unknown as ApiClient;
      const run = makeRunRecord();
      await api.request({ method: 'POST', path: '/runs', json: run });
      const outbox = new Outbox({ client: counting, dir, onDropped: () => undefined });
      let offset = 0;
      const lines = Array.from({ length: 500 }, (_, i) => `line ${i}\n`);
      for (const l of lines) {
        outbox.enqueue({ method: 'PUT', path: `/runs/${run.id}/logs/train/combined?offset=${offset}`, bytes: Buffer.from(l) });
        offset += l.length;
      }
      await outbox.close();
      expect((await server.app.catalog.readLiveLog(run, 'train', 'combined', 0)).toString()).toBe(lines.join(''));
      expect(requests).toBeLessThan(50);
    } finally {
      await server.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
