import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteMetadataStore } from '../adapters/metadata-store/sqlite/sqlite-metadata-store.js';
import { RunFolderLogStore } from '../adapters/run-log-store/run-folder/run-folder-log-store.js';
import { batchesFromPoints } from '../core/metric-series.js';
import { makeRunRecord } from '../ports/metadata-store.fixtures.js';
import { RunEventBus, type RunEvent } from './run-events.js';
import { StoreWatcher } from './store-watcher.js';
import { TrackingService } from './tracking-service.js';

describe('StoreWatcher', () => {
  let dir: string;
  let store: SqliteMetadataStore;
  let logs: RunFolderLogStore;
  let events: RunEventBus;
  let tracking: TrackingService;
  let watcher: StoreWatcher;
  let seen: RunEvent[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reprise-watch-'));
    store = new SqliteMetadataStore({ path: join(dir, 'reprise.db') });
    await store.init();
    logs = new RunFolderLogStore({ runsDir: join(dir, 'runs') });
    events = new RunEventBus();
    tracking = new TrackingService({ store, logs, events });
    watcher = new StoreWatcher({ store, logs, events, reportedElsewhere: (id) => tracking.reports(id) });
    seen = [];
    events.subscribe((e) => seen.push(e));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes what a run writing the store directly does: status, new points, whole log lines, its end', async () => {
    // As a local `reprise run` without REPRISE_SERVER does: straight into the store and its folder.
    const run = makeRunRecord({ status: 'running' });
    await store.createRun(run);
    await watcher.tick();
    expect(seen).toEqual([{ type: 'run', runId: run.id, project: run.project, status: 'running' }]);

    seen.length = 0;
    await store.appendMetrics(run.id, batchesFromPoints([{ key: 'loss', step: 1, ts: 1, value: 0.5 }, { key: 'loss', step: 2, ts: 2, value: 0.25 }]));
    await store.appendHistograms(run.id, [{ key: 'weights', points: [{ step: 1, ts: 1, buckets: Float64Array.from([0, 1, 3]), stats: null }] }]);
    await logs.append(run.id, 'train', 'combined', 0, Buffer.from('epoch 1\nepoch 2 (half a li'));
    await watcher.tick();
    expect(seen).toEqual([
      { type: 'metrics', runId: run.id, keys: { loss: { count: 2, step: 2, value: 0.25 } } },
      { type: 'histograms', runId: run.id, keys: ['weights'] },
      { type: 'log', runId: run.id, stage: 'train', file: 'combined', offset: 0, text: 'epoch 1\n' },
    ]);

    seen.length = 0;
    await watcher.tick();
    expect(seen, 'nothing new, nothing said').toEqual([]);

    await logs.append(run.id, 'train', 'combined', 26, Buffer.from('ne)\n'));
    await store.updateRun(run.id, { status: 'succeeded', endedAt: run.createdAt + 100 });
    await watcher.tick();
    expect(seen).toEqual([{ type: 'run', runId: run.id, project: run.project, status: 'succeeded' }]);
  });

  it('leaves runs that report through the server to the tracking service, and is idle with no listener', async () => {
    const remote = makeRunRecord({ status: 'running' });
    await tracking.createRun(remote);
    seen.length = 0;
    await store.appendMetrics(remote.id, batchesFromPoints([{ key: 'loss', step: 1, ts: 1, value: 1 }]));
    await watcher.tick();
    expect(seen).toEqual([]);

    const quiet = new RunEventBus();
    const idle = new StoreWatcher({ store, logs, events: quiet, reportedElsewhere: () => false });
    await idle.tick();
    const later: RunEvent[] = [];
    quiet.subscribe((e) => later.push(e));
    await idle.tick();
    // A first look with someone listening tells what is there already.
    expect(later.map((e) => e.type)).toEqual(['run', 'metrics']);
  });
});
