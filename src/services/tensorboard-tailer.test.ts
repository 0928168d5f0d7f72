import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteMetadataStore } from '../adapters/metadata-store/sqlite/sqlite-metadata-store.js';
import { fileVersionRecord, scalarRecord, sessionStartRecord } from '../core/tfevents/event-encoder.js';
import { makeRunRecord } from '../ports/metadata-store.contract.js';
import { HPARAM_TAG_PREFIX, TensorboardTailer } from './tensorboard-tailer.js';

describe('TensorboardTailer', () => {
  let dir: string;
  let store: SqliteMetadataStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reprise-tbtail-'));
    store = new SqliteMetadataStore({ path: join(dir, 'reprise.db') });
    await store.init();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores a run's event files at stop, keeping an hparam that contradicts the run's param as a tag", async () => {
    const run = makeRunRecord({ status: 'running' });
    await store.createRun(run);
    await store.logParams(run.id, { lr: 0.1 });
    const tb = join(dir, 'tb');
    mkdirSync(tb);
    writeFileSync(
      join(tb, 'events.out.tfevents.1700000000.host'),
      Buffer.concat([fileVersionRecord(1000), sessionStartRecord({ lr: 0.01, optimizer: 'adam' }, 'g', 1000), scalarRecord('loss', 0, 2000, 0.5)]),
    );
    const problems: unknown[] = [];
    const tailer = new TensorboardTailer({ dir: tb, store, runId: run.id, onProblem: (p) => problems.push(p) });
    const report = await tailer.stop();
    expect(report).toEqual({ files: 1, records: 3, skipped: 0, examples: [] });
    expect(problems).toEqual([]);
    expect(await store.runParams(run.id)).toMatchObject({ lr: 0.1, optimizer: 'adam' });
    expect((await store.tagsOf([run.id])).get(run.id)).toEqual({ [`${HPARAM_TAG_PREFIX}lr`]: '0.01' });
    expect([...(await store.metricSeries(run.id, 'loss')).values]).toEqual([0.5]);
  });
});
