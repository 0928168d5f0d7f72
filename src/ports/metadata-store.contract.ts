/**
 * The behaviour every MetadataStore adapter must have. An adapter's test calls
 * `runMetadataStoreContract` with a factory for a fresh, empty, not yet initialised
 * store; the suite calls init() itself, and close() before the factory's cleanup.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newRunId } from '../core/ids.js';
import { foldPoint, type SummaryState } from '../core/metric-summary.js';
import type { RunRecord } from '../core/run.js';
import { runManifestSchema, type Artifact, type MetricSummary, type RunManifest } from '../core/run-manifest.js';
import type { ImageRecord, MetadataStore, StoredMetricPoint } from './metadata-store.js';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);
const COMMIT = '0123456789abcdef0123456789abcdef01234567';

/**
 * A complete, valid run as a store receives it. The manifest repeats the record's
 * identity, as the run service writes it, and is checked against the real schema so
 * the fixture cannot drift from what Reprise produces.
 */
export function makeRunRecord(over: Partial<Omit<RunRecord, 'manifest'>> = {}): RunRecord {
  const createdAt = over.createdAt ?? 1_700_000_000_000;
  const base = {
    id: over.id ?? newRunId(),
    name: 'brave-otter-417',
    project: 'mnist',
    status: 'running' as const,
    dev: false,
    createdAt,
    startedAt: createdAt + 10,
    endedAt: null,
    host: 'workstation-1',
    pid: 4242,
    pidStart: 'Mon Jan  1 00:00:00 2024',
    heartbeatAt: createdAt + 20,
    envHash: SHA_A as string | null,
    ...over,
  };
  const manifest: RunManifest = runManifestSchema.parse({
    schemaVersion: 1,
    run: { id: base.id, name: base.name, project: base.project, dev: base.dev, createdAt: base.createdAt },
    code: {
      kind: 'git',
      subdir: '',
      remoteUrl: 'https://example.com/team/mnist.git',
      branch: 'main',
      commit: COMMIT,
      dirty: true,
      patch: { sha256: SHA_A, size: 120 },
      changedFiles: ['train.py'],
    },
    params: {
      file: 'params.yaml',
      values: { epochs: 2, optim: { lr: 0.01, name: 'adam' }, layers: [64, 32] },
      overrides: [{ key: 'epochs', value: 2 }],
      hash: `sha256:${SHA_B}`,
    },
    environment: {
      python: { path: '/usr/bin/python3', version: '3.11.4' },
      os: { platform: 'linux', type: 'Linux', release: '6.1.0' },
      arch: 'x64',
      cpu: { model: 'Some CPU', cores: 8 },
      memoryBytes: 16 * 2 ** 30,
      gpus: [{ name: 'Some GPU', memoryMiB: 24_576, driver: '550.1' }],
      hostname: base.host,
      user: 'alice',
      repriseVersion: '0.1.0',
      nodeVersion: 'v20.0.0',
      requirements: [{ path: 'requirements.txt', sha256: SHA_A }],
      image: null,
      resolved: null,
    },
    pipeline: {
      configFile: 'reprise.yaml',
      stages: [{ name: 'train', cmd: 'python train.py' }],
      seed: 1234,
      seedSource: 'config',
      executor: 'local-process',
      host: base.host,
    },
    execution: {
      startedAt: base.startedAt,
      endedAt: base.endedAt,
      stages: [
        {
          name: 'train',
          cmd: 'python train.py',
          status: 'running',
          startedAt: base.startedAt,
          endedAt: null,
          exitCode: null,
          signal: null,
          logs: null,
        },
      ],
    },
    outputs: {
      // NaN travels as a string in JSON: it must survive the store as written.
      metrics: { loss: { last: 0.25, lastStep: 9, min: 0.2, max: 'NaN', count: 10 } },
      metricsFile: { sha256: SHA_B, size: 300 },
      metricProblems: { count: 1, examples: [{ line: 3, problem: 'not valid JSON' }] },
      artifacts: [{ path: 'out/model.pt', size: 10, sha256: SHA_A }],
      model: null,
    },
    status: base.status,
    failure: null,
  });
  return { ...base, manifest };
}

/** The store's summary of a series, computed independently by folding every point in order. */
function expectedSummary(points: readonly StoredMetricPoint[]): MetricSummary {
  const s = points.reduce<SummaryState | undefined>((acc, p) => foldPoint(acc, p), undefined)!;
  return { last: s.last, lastStep: s.lastStep, min: s.min, max: s.max, count: s.count };
}

const point = (key: string, step: number, ts: number, value: number): StoredMetricPoint => ({ key, step, ts, value });

export function runMetadataStoreContract(
  name: string,
  create: () => Promise<{ store: MetadataStore; cleanup: () => Promise<void> }>,
): void {
  describe(`${name}: metadata store contract`, () => {
    let store: MetadataStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await create());
      await store.init();
    });

    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    /** Stores runs in the order given and returns them. */
    async function given(...runs: RunRecord[]): Promise<RunRecord[]> {
      for (const r of runs) await store.createRun(r);
      return runs;
    }

    describe('init', () => {
      it('can be called again on an initialised store, keeping what it holds', async () => {
        const [run] = await given(makeRunRecord());
        await store.init();
        expect(await store.getRun(run!.id)).toEqual(run);
      });
    });

    describe('createRun and getRun', () => {
      it('gives back the run exactly as it was stored, manifest included', async () => {
        const run = makeRunRecord({ status: 'queued', startedAt: null, dev: true });
        await store.createRun(run);
        const got = await store.getRun(run.id);
        expect(got).toEqual(run);
        expect(got?.manifest).toEqual(run.manifest);
      });

      it('gives undefined for an unknown id', async () => {
        await given(makeRunRecord());
        expect(await store.getRun(newRunId())).toBeUndefined();
      });

      it('rejects a second run with the same id and keeps the first', async () => {
        const [first] = await given(makeRunRecord({ name: 'first' }));
        await expect(store.createRun(makeRunRecord({ id: first!.id, name: 'second' }))).rejects.toThrow();
        expect((await store.getRun(first!.id))?.name).toBe('first');
      });
    });

    describe('updateRun', () => {
      it('applies every field of a patch and leaves the rest alone', async () => {
        const [run] = await given(makeRunRecord());
        const manifest: RunManifest = { ...run!.manifest, status: 'succeeded', execution: { ...run!.manifest.execution, endedAt: 99 } };
        expect(await store.updateRun(run!.id, { status: 'succeeded', endedAt: 99, heartbeatAt: 98, manifest })).toBe(true);
        expect(await store.getRun(run!.id)).toEqual({ ...run, status: 'succeeded', endedAt: 99, heartbeatAt: 98, manifest });
      });

      it('sets a time back to null when the patch says null', async () => {
        const [run] = await given(makeRunRecord());
        expect(await store.updateRun(run!.id, { startedAt: null })).toBe(true);
        expect((await store.getRun(run!.id))?.startedAt).toBeNull();
      });

      it('applies the patch when the status is one of onlyIf', async () => {
        const [run] = await given(makeRunRecord({ status: 'running' }));
        expect(await store.updateRun(run!.id, { status: 'succeeded', endedAt: 5 }, ['preparing', 'running'])).toBe(true);
        expect(await store.getRun(run!.id)).toMatchObject({ status: 'succeeded', endedAt: 5 });
      });

      it('returns false and changes nothing when the status is not one of onlyIf', async () => {
        // A run already marked lost must not come back as succeeded.
        const [run] = await given(makeRunRecord({ status: 'lost' }));
        const manifest: RunManifest = { ...run!.manifest, status: 'succeeded' };
        expect(await store.updateRun(run!.id, { status: 'succeeded', endedAt: 5, heartbeatAt: 6, manifest }, ['running'])).toBe(false);
        expect(await store.getRun(run!.id)).toEqual(run);
      });

      it('returns false for an unknown run', async () => {
        expect(await store.updateRun(newRunId(), { status: 'failed' })).toBe(false);
      });

      it('changes only the run it names', async () => {
        const [a, b] = await given(makeRunRecord(), makeRunRecord());
        await store.updateRun(a!.id, { status: 'failed' });
        expect(await store.getRun(b!.id)).toEqual(b);
      });
    });

    describe('findRuns', () => {
      it('finds every run with exactly that name, newest first', async () => {
        const [older, other, newer] = await given(
          makeRunRecord({ name: 'calm-heron-7', createdAt: 1_000 }),
          makeRunRecord({ name: 'calm-heron-70', createdAt: 2_000 }),
          makeRunRecord({ name: 'calm-heron-7', createdAt: 3_000 }),
        );
        expect((await store.findRuns('calm-heron-7', 10)).map((r) => r.id)).toEqual([newer!.id, older!.id]);
        expect((await store.findRuns('calm-heron-70', 10)).map((r) => r.id)).toEqual([other!.id]);
        expect(await store.findRuns('calm-heron', 10)).toEqual([]);
      });

      it('finds runs by id prefix, whatever its case', async () => {
        // Two ids that share their first ten characters, as ids made in one millisecond do.
        const [a, b] = await given(
          makeRunRecord({ id: `01hqzv3k8e${'a'.repeat(16)}`, createdAt: 1 }),
          makeRunRecord({ id: `01hqzv3k8e${'b'.repeat(16)}`, createdAt: 2 }),
        );
        expect((await store.findRuns('01hqzv3k8ea', 10)).map((r) => r.id)).toEqual([a!.id]);
        expect((await store.findRuns('01HQZV3K8EA', 10)).map((r) => r.id)).toEqual([a!.id]);
        expect((await store.findRuns('01hQzV3k8e', 10)).map((r) => r.id)).toEqual([b!.id, a!.id]);
        expect(await store.findRuns(b!.id.toUpperCase(), 10)).toEqual([b]);
        expect(await store.findRuns('01hqzv3k8ec', 10)).toEqual([]);
      });

      it('returns full records, at most `limit` of them', async () => {
        const runs = await given(...[1, 2, 3].map((i) => makeRunRecord({ name: 'same', createdAt: i })));
        const found = await store.findRuns('same', 2);
        expect(found).toEqual([runs[2], runs[1]]);
      });

      it('treats % and _ in the ref as plain characters, not wildcards', async () => {
        const [pct, und] = await given(
          makeRunRecord({ name: 'a%b', createdAt: 1 }),
          makeRunRecord({ name: 'a_b', createdAt: 2 }),
          makeRunRecord({ name: 'axb', createdAt: 3 }),
        );
        expect(await store.findRuns('%', 10)).toEqual([]);
        expect(await store.findRuns('_', 10)).toEqual([]);
        expect(await store.findRuns('%b', 10)).toEqual([]);
        expect(await store.findRuns(`${pct!.id.slice(0, 3)}_`, 10)).toEqual([]);
        expect(await store.findRuns(`${pct!.id.slice(0, 3)}%`, 10)).toEqual([]);
        expect((await store.findRuns('a%b', 10)).map((r) => r.id)).toEqual([pct!.id]);
        expect((await store.findRuns('a_b', 10)).map((r) => r.id)).toEqual([und!.id]);
      });

      it('finds nothing in an empty store', async () => {
        expect(await store.findRuns('anything', 10)).toEqual([]);
      });
    });

    describe('listRuns', () => {
      it('lists runs newest first, whatever order they were created in', async () => {
        const runs = await given(...[3, 1, 5, 2, 4].map((t) => makeRunRecord({ createdAt: t * 1_000 })));
        const listed = await store.listRuns({});
        expect(listed.map((r) => r.createdAt)).toEqual([5_000, 4_000, 3_000, 2_000, 1_000]);
        expect(listed[0]).toEqual(runs[2]);
      });

      it('filters by project, statuses and dev, alone and together', async () => {
        const runs = await given(
          makeRunRecord({ project: 'a', status: 'running', dev: false, createdAt: 1 }),
          makeRunRecord({ project: 'a', status: 'failed', dev: true, createdAt: 2 }),
          makeRunRecord({ project: 'b', status: 'succeeded', dev: false, createdAt: 3 }),
          makeRunRecord({ project: 'a', status: 'succeeded', dev: false, createdAt: 4 }),
          makeRunRecord({ project: 'b', status: 'lost', dev: true, createdAt: 5 }),
        );
        const ids = async (q: Parameters<MetadataStore['listRuns']>[0]): Promise<number[]> =>
          (await store.listRuns(q)).map((r) => runs.findIndex((x) => x.id === r.id));
        expect(await ids({ project: 'a' })).toEqual([3, 1, 0]);
        expect(await ids({ statuses: ['succeeded', 'failed'] })).toEqual([3, 2, 1]);
        expect(await ids({ dev: true })).toEqual([4, 1]);
        expect(await ids({ dev: false })).toEqual([3, 2, 0]);
        expect(await ids({ project: 'a', statuses: ['succeeded', 'running'], dev: false })).toEqual([3, 0]);
        expect(await ids({ project: 'c' })).toEqual([]);
        // An empty list of statuses is no filter.
        expect(await ids({ statuses: [] })).toEqual([4, 3, 2, 1, 0]);
      });

      it('returns at most `limit` runs, the newest ones', async () => {
        await given(...[1, 2, 3, 4].map((t) => makeRunRecord({ createdAt: t })));
        expect((await store.listRuns({ limit: 2 })).map((r) => r.createdAt)).toEqual([4, 3]);
      });

      it('returns 100 runs when no limit is given', async () => {
        await given(...Array.from({ length: 103 }, (_, i) => makeRunRecord({ createdAt: i + 1 })));
        const listed = await store.listRuns({});
        expect(listed).toHaveLength(100);
        expect(listed[0]?.createdAt).toBe(103);
      });
    });

    describe('metrics', () => {
      it('returns a series ordered by step, then time, across appends', async () => {
        const [run] = await given(makeRunRecord());
        await store.appendMetrics(run!.id, [point('loss', 2, 20, 0.2), point('acc', 0, 1, 0.5), point('loss', 0, 5, 1)]);
        await store.appendMetrics(run!.id, [point('loss', 1, 30, 0.5), point('loss', 2, 10, 0.3), point('loss', 0, 5, 0.9)]);
        const series = await store.metricSeries(run!.id, 'loss');
        expect(series.map((p) => [p.step, p.ts])).toEqual([
          [0, 5],
          [0, 5],
          [1, 30],
          [2, 10],
          [2, 20],
        ]);
        // Points are never deduplicated, and each keeps its own value.
        expect(series.map((p) => p.value).sort()).toEqual([0.2, 0.3, 0.5, 0.9, 1]);
        expect(series.every((p) => p.key === 'loss')).toBe(true);
        expect(await store.metricSeries(run!.id, 'acc')).toEqual([point('acc', 0, 1, 0.5)]);
      });

      it('gives an empty series for an unknown key or run', async () => {
        const [run] = await given(makeRunRecord());
        await store.appendMetrics(run!.id, [point('loss', 0, 1, 1)]);
        expect(await store.metricSeries(run!.id, 'nope')).toEqual([]);
        expect(await store.metricSeries(newRunId(), 'loss')).toEqual([]);
      });

      it('keeps each run\'s series apart', async () => {
        const [a, b] = await given(makeRunRecord(), makeRunRecord());
        await store.appendMetrics(a!.id, [point('loss', 0, 1, 1)]);
        await store.appendMetrics(b!.id, [point('loss', 0, 1, 2)]);
        expect((await store.metricSeries(a!.id, 'loss')).map((p) => p.value)).toEqual([1]);
        expect((await store.metricSeries(b!.id, 'loss')).map((p) => p.value)).toEqual([2]);
      });

      it('returns NaN, Infinity, -Infinity and awkward doubles exactly as written', async () => {
        const [run] = await given(makeRunRecord());
        const values = [NaN, Infinity, -Infinity, 0.1, -0.0001, 1e-300, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 + 2];
        await store.appendMetrics(run!.id, values.map((v, i) => point('v', i, 1, v)));
        const got = (await store.metricSeries(run!.id, 'v')).map((p) => p.value);
        expect(got).toHaveLength(values.length);
        got.forEach((v, i) => expect(Object.is(v, values[i]), `value ${i}: ${v} vs ${values[i]}`).toBe(true));
      });

      it('accepts an empty batch', async () => {
        const [run] = await given(makeRunRecord());
        await store.appendMetrics(run!.id, []);
        expect(await store.metricSeries(run!.id, 'loss')).toEqual([]);
      });

      it('summarises a series over several appends as folding all its points would', async () => {
        const [run] = await given(makeRunRecord());
        // Out of order, with ties, NaN and infinities, split over three appends.
        const batches = [
          [point('loss', 5, 100, 0.5), point('loss', 1, 90, NaN), point('acc', 0, 1, NaN)],
          [point('loss', 7, 50, 0.4), point('loss', 7, 60, 0.45), point('loss', 3, 200, Infinity), point('acc', 1, 2, NaN)],
          [point('loss', 7, 60, 0.47), point('loss', 2, 300, -Infinity), point('loss', 6, 400, 0.1)],
        ];
        for (const b of batches) await store.appendMetrics(run!.id, b);
        const all = batches.flat();
        const summaries = await store.metricSummaries([run!.id]);
        expect(summaries.get(run!.id)).toEqual({
          loss: expectedSummary(all.filter((p) => p.key === 'loss')),
          acc: expectedSummary(all.filter((p) => p.key === 'acc')),
        });
        // Spelled out, so a wrong fold could not hide the mistake: last is step 7's later point.
        expect(summaries.get(run!.id)?.loss).toEqual({ last: 0.47, lastStep: 7, min: -Infinity, max: Infinity, count: 8 });
        const acc = summaries.get(run!.id)?.acc;
        expect(acc?.count).toBe(2);
        expect([acc?.last, acc?.min, acc?.max].every(Number.isNaN)).toBe(true);
      });

      it('summarises several runs at once and leaves runs without metrics out', async () => {
        const [a, b, c] = await given(makeRunRecord(), makeRunRecord(), makeRunRecord());
        await store.appendMetrics(a!.id, [point('loss', 0, 1, 3), point('loss', 1, 2, 2)]);
        await store.appendMetrics(b!.id, [point('acc', 0, 1, 0.5)]);
        const summaries = await store.metricSummaries([a!.id, b!.id, c!.id]);
        expect(summaries.get(a!.id)).toEqual({ loss: { last: 2, lastStep: 1, min: 2, max: 3, count: 2 } });
        expect(summaries.get(b!.id)).toEqual({ acc: { last: 0.5, lastStep: 0, min: 0.5, max: 0.5, count: 1 } });
        expect(summaries.get(c!.id) ?? {}).toEqual({});
        expect(await store.metricSummaries([])).toEqual(new Map());
      });

      it('summarises when asked about more than 1000 runs at once', async () => {
        // Real runs sit among many unknown ids, some far past the first thousand, so a
        // store that splits the id list into batches must visit every batch.
        const runs = await given(makeRunRecord(), makeRunRecord(), makeRunRecord());
        for (const [i, r] of runs.entries()) await store.appendMetrics(r.id, [point('loss', 0, 1, i)]);
        const ids = Array.from({ length: 1_500 }, () => newRunId());
        ids[0] = runs[0]!.id;
        ids[999] = runs[1]!.id;
        ids[1_499] = runs[2]!.id;
        const summaries = await store.metricSummaries(ids);
        expect([...summaries.keys()].filter((id) => Object.keys(summaries.get(id) ?? {}).length > 0).sort()).toEqual(
          runs.map((r) => r.id).sort(),
        );
        runs.forEach((r, i) => expect(summaries.get(r.id)?.loss?.last).toBe(i));
      });
    });

    describe('artifacts', () => {
      const art = (path: string, size = 1): Artifact => ({ path, size, sha256: SHA_A });

      it('lists a run\'s artifacts sorted by path', async () => {
        const [run] = await given(makeRunRecord());
        await store.setArtifacts(run!.id, [art('out/z.bin', 3), art('model/weights.pt', 2), art('out/a.txt', 1)]);
        expect(await store.listArtifacts(run!.id)).toEqual([art('model/weights.pt', 2), art('out/a.txt', 1), art('out/z.bin', 3)]);
      });

      it('replaces the previous list', async () => {
        const [run] = await given(makeRunRecord());
        await store.setArtifacts(run!.id, [art('a'), art('b')]);
        await store.setArtifacts(run!.id, [art('b', 7), art('c')]);
        expect(await store.listArtifacts(run!.id)).toEqual([art('b', 7), art('c')]);
        await store.setArtifacts(run!.id, []);
        expect(await store.listArtifacts(run!.id)).toEqual([]);
      });

      it('keeps each run\'s list apart', async () => {
        const [a, b] = await given(makeRunRecord(), makeRunRecord());
        await store.setArtifacts(a!.id, [art('a')]);
        await store.setArtifacts(b!.id, [art('b')]);
        await store.setArtifacts(a!.id, [art('a2')]);
        expect(await store.listArtifacts(b!.id)).toEqual([art('b')]);
        expect(await store.listArtifacts(newRunId())).toEqual([]);
      });

      it('stores a long list', async () => {
        const [run] = await given(makeRunRecord());
        const many = Array.from({ length: 1_000 }, (_, i) => art(`f/${String(i).padStart(4, '0')}`, i));
        await store.setArtifacts(run!.id, [...many].reverse());
        expect(await store.listArtifacts(run!.id)).toEqual(many);
      });
    });

    describe('images', () => {
      const image = (ref: string, project: string, createdAt: number): ImageRecord => ({
        ref, digest: `sha256:${SHA_B}`, project, commit: 'c'.repeat(40), envHash: SHA_A, engine: 'docker', createdAt,
      });

      it('lists saved images newest first, for one project or all', async () => {
        await store.saveImage(image('reprise/a:1', 'a', 10));
        await store.saveImage(image('reprise/b:1', 'b', 30));
        await store.saveImage(image('reprise/a:2', 'a', 20));
        expect((await store.listImages()).map((i) => i.ref)).toEqual(['reprise/b:1', 'reprise/a:2', 'reprise/a:1']);
        expect(await store.listImages('a')).toEqual([image('reprise/a:2', 'a', 20), image('reprise/a:1', 'a', 10)]);
      });

      it('replaces an image saved again under the same ref', async () => {
        await store.saveImage(image('reprise/a:1', 'a', 10));
        await store.saveImage({ ...image('reprise/a:1', 'a', 11), digest: `sha256:${SHA_A}`, envHash: null });
        expect(await store.listImages()).toEqual([{ ...image('reprise/a:1', 'a', 11), digest: `sha256:${SHA_A}`, envHash: null }]);
      });
    });

    describe('countRunsByEnvironment', () => {
      it('counts runs per environment key, leaving out runs on the system interpreter', async () => {
        const B = 'b'.repeat(64);
        await given(
          makeRunRecord({ envHash: SHA_A }),
          makeRunRecord({ envHash: B, status: 'failed' }),
          makeRunRecord({ envHash: SHA_A, status: 'succeeded' }),
          makeRunRecord({ envHash: null }),
        );
        expect(await store.countRunsByEnvironment()).toEqual(new Map([[SHA_A, 2], [B, 1]]));
      });

      it('is empty in an empty store', async () => {
        expect((await store.countRunsByEnvironment()).size).toBe(0);
      });
    });
  });
}
