/**
 * The behaviour every MetadataStore adapter must have. An adapter's test calls
 * `runMetadataStoreContract` with a factory for a fresh, empty, not yet initialised
 * store; the suite calls init() itself, and close() before the factory's cleanup.
 * Everything here goes through the port: the same suite runs against a store behind
 * an HTTP server.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newRunId } from '../core/ids.js';
import { downsample } from '../core/downsample.js';
import { samplePoints, type HistogramPoint, type HistogramStats } from '../core/histogram.js';
import { batchesFromPoints, pointsOf, type MetricColumns, type MetricPoint } from '../core/metric-series.js';
import { foldPoint, type SummaryState } from '../core/metric-summary.js';
import type { Params } from '../core/params.js';
import type { RunNote } from '../core/run-note.js';
import type { RunRecord } from '../core/run.js';
import { parseRunFilter, parseRunOrder, type FilterExpr, type FilterField } from '../core/run-filter.js';
import type { GateOutcome } from '../core/gates.js';
import type { RetentionMark } from '../core/retention.js';
import type { Artifact, MetricSummary, RunManifest } from '../core/run-manifest.js';
import type { Verification } from '../core/verification.js';
import type { ImageRecord, MetadataStore, MetricWriter, NewModelVersion, RunQuery } from './metadata-store.js';
import { claimFor, COMMIT, gateOutcomes, makeQueuedRun, makeRunRecord, SHA_A, SHA_B } from './metadata-store.fixtures.js';
import type { WorkerRegistration } from '../core/queue.js';
import { DEFAULT_PROJECT } from '../core/project-record.js';
import type { LoggedModelRecord } from '../core/client-records.js';

export { FIXTURE_PARAMS, makeRunRecord, type RunRecordOptions } from './metadata-store.fixtures.js';

/** The store's summary of a series, computed independently by folding every point in order. */
function expectedSummary(points: readonly MetricPoint[]): MetricSummary {
  const s = points.reduce<SummaryState | undefined>((acc, p) => foldPoint(acc, p), undefined)!;
  return { last: s.last, lastStep: s.lastStep, lastTs: s.lastTs, min: s.min, max: s.max, count: s.count };
}

const point = (key: string, step: number, ts: number, value: number): MetricPoint => ({ key, step, ts, value });

/** Points sorted as a store gives them back: by step, then time, then arrival. */
function sortedPoints(points: readonly MetricPoint[]): MetricPoint[] {
  return points
    .map((p, i) => ({ p, i }))
    .sort((a, b) => a.p.step - b.p.step || a.p.ts - b.p.ts || a.i - b.i)
    .map(({ p }) => p);
}

/** Three Float64Arrays of one length, as the port promises. */
function expectColumns(c: MetricColumns, length: number): void {
  for (const col of [c.steps, c.ts, c.values]) {
    expect(col).toBeInstanceOf(Float64Array);
    expect(col).toHaveLength(length);
  }
}

/** The filter AST for `text`, parsed as a user's filter is. */
function filter(text: string): NonNullable<RunQuery['filter']> {
  const f = parseRunFilter(text);
  if (f === undefined) throw new Error(`empty filter ${JSON.stringify(text)}`);
  return f;
}

export interface ContractOptions {
  /**
   * Whether the store is the server's own, which keeps what never leaves the server: a
   * link's secret and the credentials in its URL. Over HTTP they are withheld.
   */
  readonly serverSide: boolean;
}

export function runMetadataStoreContract(
  name: string,
  create: () => Promise<{ store: MetadataStore; cleanup: () => Promise<void> }>,
  options: ContractOptions,
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

    /** Appends points given in row form, grouped into one batch per key. */
    function append(runId: string, points: readonly MetricPoint[], writer?: MetricWriter): Promise<boolean> {
      return store.appendMetrics(runId, batchesFromPoints(points), writer);
    }

    /** One key's series in row form. */
    async function series(runId: string, key: string): Promise<MetricPoint[]> {
      const c = await store.metricSeries(runId, key);
      expectColumns(c, c.steps.length);
      return pointsOf(key, c);
    }

    /** Every run of a query, page after page, with the pages' sizes. */
    async function allPages(query: RunQuery): Promise<{ ids: string[]; sizes: number[] }> {
      const ids: string[] = [];
      const sizes: number[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 100; i++) {
        const page = await store.listRuns(cursor === undefined ? query : { ...query, cursor });
        ids.push(...page.runs.map((r) => r.id));
        sizes.push(page.runs.length);
        if (page.nextCursor === null) return { ids, sizes };
        cursor = page.nextCursor;
      }
      throw new Error('more than 100 pages: the cursor does not advance');
    }

    describe('init', () => {
      it('can be called again on an initialised store, keeping what it holds', async () => {
        const [run] = await given(makeRunRecord());
        await append(run!.id, [point('loss', 0, 1, 0.5)]);
        await store.setTags(run!.id, { stage: 'prod' });
        await store.init();
        expect(await store.getRun(run!.id)).toEqual(run);
        expect(await series(run!.id, 'loss')).toEqual([point('loss', 0, 1, 0.5)]);
        expect((await store.tagsOf([run!.id])).get(run!.id)).toEqual({ stage: 'prod' });
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

    describe('listDataReads', () => {
      const pinned = (asOf: number, tables: string[], snapshot: { rows: number; contentHash: string } | null): NonNullable<RunManifest['data']>[number] => ({
        name: 'train',
        source: { name: 'lake', kind: 'lake', url: null, timeColumn: null },
        query: `SELECT * FROM ${tables.join(' JOIN ')}`,
        asOf,
        pinnedAs: 'submit',
        format: 'parquet',
        tables,
        snapshot: snapshot && {
          ...snapshot,
          schema: [{ name: 'id', type: 'BIGINT' }],
          blob: { sha256: 'a'.repeat(64), size: 10 },
          materializedAt: asOf + 5,
          ms: 3,
          from: 'query',
          check: null,
        },
      });

      it('lists the runs that read a table, as of when, with what they got once materialized', async () => {
        const a = makeRunRecord({ name: 'reads-a', createdAt: 1_000 });
        const b = makeRunRecord({ name: 'reads-b', createdAt: 2_000 });
        const c = makeRunRecord({ name: 'no-data', createdAt: 3_000 });
        await given(
          { ...a, manifest: { ...a.manifest, data: [pinned(900, ['sales', 'regions'], null)] } },
          { ...b, manifest: { ...b.manifest, data: [pinned(1_900, ['sales'], null)] } },
          c,
        );
        const reads = await store.listDataReads({ source: 'lake', table: 'sales' });
        expect(reads.map((r) => [r.runName, r.name, r.asOf, r.rows, r.contentHash])).toEqual([
          ['reads-b', 'train', 1_900, null, null],
          ['reads-a', 'train', 900, null, null],
        ]);
        expect(reads[0]).toMatchObject({ runId: b.id, project: b.project, status: b.status, createdAt: 2_000 });
        expect((await store.listDataReads({ source: 'lake', table: 'regions' })).map((r) => r.runId)).toEqual([a.id]);
        expect(await store.listDataReads({ source: 'warehouse', table: 'sales' })).toEqual([]);

        const materialized = { ...a.manifest, data: [pinned(900, ['sales', 'regions'], { rows: 42, contentHash: 'f'.repeat(64) })] };
        expect(await store.updateRun(a.id, { manifest: materialized })).toBe(true);
        const after = await store.listDataReads({ source: 'lake', table: 'sales' });
        expect(after.find((r) => r.runId === a.id)).toMatchObject({ rows: 42, contentHash: 'f'.repeat(64) });
        // A guarded update that does not apply changes the reads neither.
        expect(await store.updateRun(b.id, { manifest: { ...b.manifest, data: [pinned(1_900, ['other'], null)] } }, ['queued'])).toBe(false);
        expect((await store.listDataReads({ source: 'lake', table: 'sales' })).map((r) => r.runId)).toContain(b.id);
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
        const { runs: listed, nextCursor } = await store.listRuns({});
        expect(listed.map((r) => r.createdAt)).toEqual([5_000, 4_000, 3_000, 2_000, 1_000]);
        expect(listed[0]).toEqual(runs[2]);
        // Everything fit on one page.
        expect(nextCursor).toBeNull();
      });

      it('orders newest first by default, as created desc does', async () => {
        await given(...[3, 1, 5, 2, 4].map((t) => makeRunRecord({ createdAt: t * 1_000 })));
        const byDefault = (await store.listRuns({})).runs.map((r) => r.id);
        expect((await store.listRuns({ order: parseRunOrder('created desc') })).runs.map((r) => r.id)).toEqual(byDefault);
        expect((await store.listRuns({ order: parseRunOrder('created') })).runs.map((r) => r.id)).toEqual([...byDefault].reverse());
      });

      it('filters by project, statuses and dev, alone and together', async () => {
        const runs = await given(
          makeRunRecord({ project: 'a', status: 'running', dev: false, createdAt: 1 }),
          makeRunRecord({ project: 'a', status: 'failed', dev: true, createdAt: 2 }),
          makeRunRecord({ project: 'b', status: 'succeeded', dev: false, createdAt: 3 }),
          makeRunRecord({ project: 'a', status: 'succeeded', dev: false, createdAt: 4 }),
          makeRunRecord({ project: 'b', status: 'lost', dev: true, createdAt: 5 }),
        );
        const ids = async (q: RunQuery): Promise<number[]> =>
          (await store.listRuns(q)).runs.map((r) => runs.findIndex((x) => x.id === r.id));
        expect(await ids({ project: 'a' })).toEqual([3, 1, 0]);
        expect(await ids({ statuses: ['succeeded', 'failed'] })).toEqual([3, 2, 1]);
        expect(await ids({ dev: true })).toEqual([4, 1]);
        expect(await ids({ dev: false })).toEqual([3, 2, 0]);
        expect(await ids({ project: 'a', statuses: ['succeeded', 'running'], dev: false })).toEqual([3, 0]);
        expect(await ids({ project: 'c' })).toEqual([]);
        // An empty list of statuses is no filter.
        expect(await ids({ statuses: [] })).toEqual([4, 3, 2, 1, 0]);
      });

      it('returns at most `limit` runs, the newest ones, and a cursor to the rest', async () => {
        await given(...[1, 2, 3, 4].map((t) => makeRunRecord({ createdAt: t })));
        const first = await store.listRuns({ limit: 2 });
        expect(first.runs.map((r) => r.createdAt)).toEqual([4, 3]);
        expect(first.nextCursor).not.toBeNull();
        const second = await store.listRuns({ limit: 2, cursor: first.nextCursor! });
        expect(second.runs.map((r) => r.createdAt)).toEqual([2, 1]);
        // The page that ends the list says so, even when it is full.
        expect(second.nextCursor).toBeNull();
      });

      it('returns 100 runs when no limit is given', async () => {
        await given(...Array.from({ length: 103 }, (_, i) => makeRunRecord({ createdAt: i + 1 })));
        const { runs: listed, nextCursor } = await store.listRuns({});
        expect(listed).toHaveLength(100);
        expect(listed[0]?.createdAt).toBe(103);
        const rest = await store.listRuns({ cursor: nextCursor! });
        expect(rest.runs.map((r) => r.createdAt)).toEqual([3, 2, 1]);
        expect(rest.nextCursor).toBeNull();
      });

      it('gives an empty last page for an empty store', async () => {
        expect(await store.listRuns({})).toEqual({ runs: [], nextCursor: null });
        expect(await store.listRuns({ filter: filter('params.lr < 1'), order: parseRunOrder('metrics.loss desc') })).toEqual({ runs: [], nextCursor: null });
      });
    });

    describe('run search', () => {
      /**
       * Four runs (index = age, oldest first) with params, metrics and tags:
       *   0: project a, succeeded, lr 0.1,   adam, epochs 10, layers [64,32]; loss 0.9 0.3 0.5; stage=prod
       *   1: project a, failed, dev, lr 0.01, sgd, epochs 20;                  loss 1.0 0.2;     stage=dev
       *   2: project b, succeeded, lr 0.001, adam, epochs 10, dropout 0.5;     no metrics;       no tags
       *   3: project b, running, lr 0.05,    adam, epochs 5;                   loss 0.1 0.4;     stage=prod owner=bob
       */
      async function fixture(): Promise<RunRecord[]> {
        const runs = await given(
          makeRunRecord({
            project: 'a', status: 'succeeded', createdAt: 1_000,
            params: { optim: { lr: 0.1, name: 'adam' }, epochs: 10, layers: [64, 32] },
          }),
          makeRunRecord({ project: 'a', status: 'failed', dev: true, createdAt: 2_000, params: { optim: { lr: 0.01, name: 'sgd' }, epochs: 20 } }),
          makeRunRecord({
            project: 'b', status: 'succeeded', createdAt: 3_000,
            params: { optim: { lr: 0.001, name: 'adam' }, epochs: 10, dropout: 0.5 },
          }),
          makeRunRecord({ project: 'b', status: 'running', createdAt: 4_000, params: { optim: { lr: 0.05, name: 'adam' }, epochs: 5 } }),
        );
        const loss = (values: number[]): MetricPoint[] => values.map((v, step) => point('loss', step, 100 + step, v));
        await append(runs[0]!.id, loss([0.9, 0.3, 0.5]));
        await append(runs[1]!.id, loss([1.0, 0.2]));
        await append(runs[3]!.id, loss([0.1, 0.4]));
        await store.setTags(runs[0]!.id, { stage: 'prod' });
        await store.setTags(runs[1]!.id, { stage: 'dev' });
        await store.setTags(runs[3]!.id, { stage: 'prod', owner: 'bob' });
        return runs;
      }

      /** The fixture indexes of the runs a query finds, in the order listed. */
      async function found(runs: readonly RunRecord[], text: string, more: RunQuery = {}): Promise<number[]> {
        const page = await store.listRuns({ ...more, filter: filter(text) });
        return page.runs.map((r) => runs.findIndex((x) => x.id === r.id));
      }

      /** The fixture indexes in an order. */
      async function ordered(runs: readonly RunRecord[], order: string, more: RunQuery = {}): Promise<number[]> {
        const page = await store.listRuns({ ...more, order: parseRunOrder(order) });
        return page.runs.map((r) => runs.findIndex((x) => x.id === r.id));
      }

      it('compares numeric params as numbers, nested keys by their dotted name', async () => {
        const runs = await fixture();
        expect(await found(runs, 'params.optim.lr < 0.05')).toEqual([2, 1]);
        expect(await found(runs, 'params.optim.lr <= 0.05')).toEqual([3, 2, 1]);
        expect(await found(runs, 'params.optim.lr = 0.01')).toEqual([1]);
        expect(await found(runs, 'params.optim.lr != 0.01')).toEqual([3, 2, 0]);
        // 5 < 10 < 20 as numbers; as text "5" would sort after "20".
        expect(await found(runs, 'params.epochs > 5')).toEqual([2, 1, 0]);
        expect(await found(runs, 'params.epochs >= 10 and params.epochs < 20')).toEqual([2, 0]);
        expect(await found(runs, 'params.epochs = 10')).toEqual([2, 0]);
        expect(await found(runs, 'params.epochs = 7')).toEqual([]);
      });

      it('compares string params as text, lists by their JSON text', async () => {
        const runs = await fixture();
        expect(await found(runs, "params.optim.name = 'adam'")).toEqual([3, 2, 0]);
        expect(await found(runs, "params.optim.name != 'adam'")).toEqual([1]);
        expect(await found(runs, "params.optim.name = 'ADAM'")).toEqual([]);
        expect(await found(runs, "params.optim.name like 'sg%'")).toEqual([1]);
        expect(await found(runs, "params.layers = '[64,32]'")).toEqual([0]);
        // A param is a leaf: the object above it is not one.
        expect(await found(runs, "params.optim = 'adam'")).toEqual([]);
      });

      it('finds runs where a param is missing with is null, and the others with is not null', async () => {
        const runs = await fixture();
        expect(await found(runs, 'params.dropout is null')).toEqual([3, 1, 0]);
        expect(await found(runs, 'params.dropout is not null')).toEqual([2]);
        expect(await found(runs, 'params.never_set is null')).toEqual([3, 2, 1, 0]);
        expect(await found(runs, 'params.never_set is not null')).toEqual([]);
      });

      it('filters on the last, min and max of a metric', async () => {
        const runs = await fixture();
        // last: 0.5, 0.2, none, 0.4; min: 0.3, 0.2, none, 0.1; max: 0.9, 1.0, none, 0.4.
        expect(await found(runs, 'metrics.loss < 0.45')).toEqual([3, 1]);
        expect(await found(runs, 'last(metrics.loss) < 0.45')).toEqual([3, 1]);
        expect(await found(runs, 'min(metrics.loss) >= 0.2')).toEqual([1, 0]);
        expect(await found(runs, 'max(metrics.loss) < 0.95')).toEqual([3, 0]);
        expect(await found(runs, 'max(metrics.loss) = 1')).toEqual([1]);
        expect(await found(runs, 'metrics.loss is null')).toEqual([2]);
        expect(await found(runs, 'metrics.loss is not null')).toEqual([3, 1, 0]);
        expect(await found(runs, 'metrics.acc > 0')).toEqual([]);
      });

      it('filters on tags', async () => {
        const runs = await fixture();
        expect(await found(runs, "tags.stage = 'prod'")).toEqual([3, 0]);
        expect(await found(runs, "tags.stage != 'prod'")).toEqual([1]);
        expect(await found(runs, "tags.owner = 'bob'")).toEqual([3]);
        expect(await found(runs, 'tags.stage is null')).toEqual([2]);
        expect(await found(runs, 'tags.owner is not null')).toEqual([3]);
      });

      it('filters on status, project, dev and creation time', async () => {
        const runs = await fixture();
        expect(await found(runs, "status = 'succeeded'")).toEqual([2, 0]);
        expect(await found(runs, "status != 'succeeded'")).toEqual([3, 1]);
        expect(await found(runs, "project = 'b'")).toEqual([3, 2]);
        expect(await found(runs, 'dev = true')).toEqual([1]);
        expect(await found(runs, 'dev = false')).toEqual([3, 2, 0]);
        expect(await found(runs, 'created >= 2000 and created < 4000')).toEqual([2, 1]);
        // A date is read as UTC: 2.5 s after the epoch.
        expect(await found(runs, "created < '1970-01-01T00:00:02.500Z'")).toEqual([1, 0]);
        expect(await found(runs, `id = '${runs[2]!.id}'`)).toEqual([2]);
      });

      it('filters with in and not in lists', async () => {
        const runs = await fixture();
        expect(await found(runs, "status in ('failed', 'running')")).toEqual([3, 1]);
        expect(await found(runs, "status not in ('failed', 'running')")).toEqual([2, 0]);
        expect(await found(runs, 'params.epochs in (5, 20)')).toEqual([3, 1]);
        expect(await found(runs, 'params.epochs not in (10)')).toEqual([3, 1]);
        expect(await found(runs, "params.optim.name in ('sgd', 'nadam')")).toEqual([1]);
        expect(await found(runs, "tags.stage in ('dev', 'qa')")).toEqual([1]);
        expect(await found(runs, "project in ('a')")).toEqual([1, 0]);
      });

      it('combines conditions with and, or, not and parentheses', async () => {
        const runs = await fixture();
        expect(await found(runs, "params.optim.name = 'adam' and metrics.loss < 0.45")).toEqual([3]);
        expect(await found(runs, "tags.stage = 'dev' or params.epochs = 5")).toEqual([3, 1]);
        expect(await found(runs, "not params.optim.name = 'adam'")).toEqual([1]);
        // not of a condition on a param includes the runs without that param.
        expect(await found(runs, 'not params.dropout = 0.5')).toEqual([3, 1, 0]);
        expect(await found(runs, "not (status = 'succeeded' or dev = true)")).toEqual([3]);
        expect(await found(runs, "(project = 'a' or tags.owner = 'bob') and not metrics.loss > 0.45")).toEqual([3, 1]);
        expect(await found(runs, "status = 'succeeded' and (params.dropout is not null or tags.stage = 'prod')")).toEqual([2, 0]);
      });

      it('applies a filter together with project, statuses and dev', async () => {
        const runs = await fixture();
        expect(await found(runs, 'params.epochs >= 10', { project: 'a' })).toEqual([1, 0]);
        expect(await found(runs, "params.optim.name = 'adam'", { statuses: ['succeeded'] })).toEqual([2, 0]);
        expect(await found(runs, 'params.epochs >= 10', { dev: false })).toEqual([2, 0]);
        expect(await found(runs, 'params.epochs >= 10', { project: 'a', limit: 1 })).toEqual([1]);
      });

      it('finds params logged and tags set after the run was created', async () => {
        const runs = await fixture();
        await store.logParams(runs[2]!.id, { seed: 7, 'data.split': 'val' });
        await store.setTags(runs[2]!.id, { stage: 'prod' });
        expect(await found(runs, 'params.seed = 7')).toEqual([2]);
        expect(await found(runs, "params.data.split = 'val'")).toEqual([2]);
        expect(await found(runs, "tags.stage = 'prod'")).toEqual([3, 2, 0]);
        await store.setTags(runs[0]!.id, { stage: 'archived' });
        await store.deleteTag(runs[3]!.id, 'stage');
        expect(await found(runs, "tags.stage = 'prod'")).toEqual([2]);
        expect(await found(runs, 'tags.stage is null')).toEqual([3]);
      });

      it('finds metrics appended after a first search', async () => {
        const runs = await fixture();
        expect(await found(runs, 'metrics.loss < 0.15')).toEqual([]);
        await append(runs[0]!.id, [point('loss', 3, 200, 0.05)]);
        await append(runs[2]!.id, [point('loss', 0, 200, 0.01)]);
        expect(await found(runs, 'metrics.loss < 0.15')).toEqual([2, 0]);
      });

      it('orders by a metric, runs without it last in both directions', async () => {
        const runs = await fixture();
        expect(await ordered(runs, 'metrics.loss desc')).toEqual([0, 3, 1, 2]);
        expect(await ordered(runs, 'metrics.loss asc')).toEqual([1, 3, 0, 2]);
        expect(await ordered(runs, 'min(metrics.loss) asc')).toEqual([3, 1, 0, 2]);
        expect(await ordered(runs, 'max(metrics.loss) desc')).toEqual([1, 0, 3, 2]);
        expect(await ordered(runs, 'metrics.loss desc', { filter: filter("project = 'b'") })).toEqual([3, 2]);
      });

      it('orders by a param, numbers as numbers, runs without it last', async () => {
        const runs = await fixture();
        expect(await ordered(runs, 'params.optim.lr asc')).toEqual([2, 1, 3, 0]);
        expect(await ordered(runs, 'params.optim.lr desc')).toEqual([0, 3, 1, 2]);
        const byEpochs = await ordered(runs, 'params.epochs asc');
        expect(byEpochs[0]).toBe(3);
        expect(byEpochs.slice(1, 3).sort()).toEqual([0, 2]);
        expect(byEpochs[3]).toBe(1);
        const byDropout = await ordered(runs, 'params.dropout desc');
        expect(byDropout[0]).toBe(2);
        expect(byDropout.slice(1).sort()).toEqual([0, 1, 3]);
        const byName = await ordered(runs, 'params.optim.name desc');
        expect(byName[0]).toBe(1);
      });

      it('orders by creation time and by a tag', async () => {
        const runs = await fixture();
        expect(await ordered(runs, 'created asc')).toEqual([0, 1, 2, 3]);
        expect(await ordered(runs, 'created desc')).toEqual([3, 2, 1, 0]);
        expect(await ordered(runs, 'created')).toEqual([0, 1, 2, 3]);
        const byStage = await ordered(runs, 'tags.stage asc');
        expect(byStage[0]).toBe(1);
        expect(byStage.slice(1, 3).sort()).toEqual([0, 3]);
        expect(byStage[3]).toBe(2);
      });

      // Reprise's text grammar cannot ask for a case-sensitive like (MLflow's LIKE does), and
      // a store over HTTP receives filters as that text: the server's own store answers these.
      it.skipIf(!options.serverSide)('matches a case-sensitive like letter for letter, with only % and _ as wildcards', async () => {
        const names = ['ResNet-50', 'resnet-18', 'a*b', 'a?b', 'a[1]b', 'axb', 'A%B'];
        const runs = await given(...names.map((name, i) => makeRunRecord({ name, createdAt: 1_000 + i, params: { arch: name } })));
        for (const [i, r] of runs.entries()) await store.setTags(r.id, { model: names[i]! });
        const like = (field: FilterField, value: string, op: 'like' | 'not like' = 'like'): FilterExpr => ({ kind: 'cmp', field, op, value, caseSensitive: true });
        const which = async (f: FilterExpr): Promise<string[]> =>
          (await store.listRuns({ filter: f, order: parseRunOrder('created') })).runs.map((r) => names[runs.findIndex((x) => x.id === r.id)]!);
        const fields: FilterField[] = [{ kind: 'attr', name: 'name' }, { kind: 'tag', key: 'model' }, { kind: 'param', key: 'arch' }];
        for (const field of fields) {
          const at = JSON.stringify(field);
          expect(await which(like(field, 'ResNet%')), at).toEqual(['ResNet-50']);
          expect(await which(like(field, 'resnet%')), at).toEqual(['resnet-18']);
          expect(await which(like(field, 'RESNET%')), at).toEqual([]);
          expect(await which(like(field, '%Net-__')), at).toEqual(['ResNet-50']);
          expect(await which(like(field, 'a_b')), at).toEqual(['a*b', 'a?b', 'axb']);
          // GLOB's own wildcards in the pattern stand for themselves.
          expect(await which(like(field, 'a*b')), at).toEqual(['a*b']);
          expect(await which(like(field, 'a?b')), at).toEqual(['a?b']);
          expect(await which(like(field, 'a[1]b')), at).toEqual(['a[1]b']);
          expect(await which(like(field, 'a[%')), at).toEqual(['a[1]b']);
          expect(await which(like(field, 'A%B')), at).toEqual(['A%B']);
          expect(await which(like(field, 'resnet%', 'not like')), at).toEqual(names.filter((n) => n !== 'resnet-18'));
          // Without the flag, like still ignores case.
          expect(await which({ kind: 'cmp', field, op: 'like', value: 'RESNET%' }), at).toEqual(['ResNet-50', 'resnet-18']);
        }
        // A run without the tag or param matches neither like nor not like.
        const bare = await given(makeRunRecord({ name: 'bare', createdAt: 2_000, params: {} }));
        expect((await store.listRuns({ filter: like({ kind: 'tag', key: 'model' }, '%', 'not like') })).runs.map((r) => r.id)).not.toContain(bare[0]!.id);
        expect((await store.listRuns({ filter: like({ kind: 'tag', key: 'model' }, '%') })).runs.map((r) => r.id)).not.toContain(bare[0]!.id);
      });
    });

    describe('paging', () => {
      /** Nine runs with ties in every sort value, and some without the metric or the param. */
      const SPECS: readonly { createdAt: number; acc?: number; epochs?: number }[] = [
        { createdAt: 1, acc: 0.5, epochs: 3 },
        { createdAt: 1, epochs: 1 },
        { createdAt: 2, acc: 0.5 },
        { createdAt: 2, acc: 0.9, epochs: 3 },
        { createdAt: 2, epochs: 3 },
        { createdAt: 3, acc: 0.1, epochs: 1 },
        { createdAt: 3, acc: 0.5 },
        { createdAt: 4, acc: 0.9, epochs: 2 },
        { createdAt: 5, acc: 0.5, epochs: 1 },
      ];

      async function pagingFixture(): Promise<RunRecord[]> {
        const runs = await given(
          ...SPECS.map((s, i) => makeRunRecord({ createdAt: s.createdAt, name: `run-${i}`, params: s.epochs === undefined ? {} : { epochs: s.epochs } })),
        );
        for (const [i, s] of SPECS.entries()) if (s.acc !== undefined) await append(runs[i]!.id, [point('acc', 0, 1, s.acc)]);
        return runs;
      }

      const ORDERS: readonly [string, (s: (typeof SPECS)[number]) => number | undefined][] = [
        ['created asc', (s) => s.createdAt],
        ['created desc', (s) => s.createdAt],
        ['metrics.acc desc', (s) => s.acc],
        ['metrics.acc asc', (s) => s.acc],
        ['params.epochs asc', (s) => s.epochs],
        ['params.epochs desc', (s) => s.epochs],
      ];

      for (const [text, valueOf] of ORDERS) {
        it(`visits every run exactly once in pages of 2, ordered by ${text}`, async () => {
          const runs = await pagingFixture();
          const order = parseRunOrder(text);
          const { ids, sizes } = await allPages({ order, limit: 2 });
          expect(new Set(ids).size).toBe(ids.length);
          expect([...ids].sort()).toEqual(runs.map((r) => r.id).sort());
          expect(sizes).toEqual([2, 2, 2, 2, 1]);
          // The pages together are the one long page.
          expect(ids).toEqual((await store.listRuns({ order, limit: 100 })).runs.map((r) => r.id));
          // In order, runs without the value last.
          const values = ids.map((id) => valueOf(SPECS[runs.findIndex((r) => r.id === id)]!));
          const present = values.filter((v): v is number => v !== undefined);
          expect(values.slice(present.length).every((v) => v === undefined)).toBe(true);
          const sorted = [...present].sort((a, b) => (order.direction === 'asc' ? a - b : b - a));
          expect(present).toEqual(sorted);
        });
      }

      it('pages past runs whose metric is infinite', async () => {
        // ±Infinity are legal metric values; a page may end on either.
        const values = [Infinity, 1, -Infinity, 0.5, undefined, Infinity];
        const runs = await given(...values.map((_, i) => makeRunRecord({ createdAt: i + 1 })));
        for (const [i, v] of values.entries()) if (v !== undefined) await append(runs[i]!.id, [point('loss', 0, 1, v)]);
        for (const [text, expected] of [
          ['metrics.loss desc', [Infinity, Infinity, 1, 0.5, -Infinity, undefined]],
          ['metrics.loss asc', [-Infinity, 0.5, 1, Infinity, Infinity, undefined]],
        ] as const) {
          for (const limit of [1, 2]) {
            const { ids } = await allPages({ order: parseRunOrder(text), limit });
            expect(ids.map((id) => values[runs.findIndex((r) => r.id === id)]), `${text}, pages of ${limit}`).toEqual(expected);
          }
        }
      });

      it('pages through a filtered search', async () => {
        const runs = await pagingFixture();
        const query: RunQuery = { filter: filter('params.epochs >= 2 or metrics.acc = 0.5'), order: parseRunOrder('metrics.acc desc'), limit: 2 };
        const { ids } = await allPages(query);
        const expected = runs.filter((_, i) => (SPECS[i]!.epochs ?? 0) >= 2 || SPECS[i]!.acc === 0.5).map((r) => r.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect([...ids].sort()).toEqual([...expected].sort());
      });

      it('pages with the default order, newest first', async () => {
        const runs = await pagingFixture();
        const { ids } = await allPages({ limit: 2 });
        expect([...ids].sort()).toEqual(runs.map((r) => r.id).sort());
        const created = ids.map((id) => runs.find((r) => r.id === id)!.createdAt);
        expect(created).toEqual([...created].sort((a, b) => b - a));
      });

      it('never repeats or skips a run when runs are created between pages', async () => {
        const runs = await pagingFixture();
        const order = parseRunOrder('created desc');
        const seen: string[] = [];
        let page = await store.listRuns({ order, limit: 2 });
        seen.push(...page.runs.map((r) => r.id));
        let extra = 0;
        while (page.nextCursor !== null) {
          // One run newer than all, one as old as the last one listed.
          await given(makeRunRecord({ createdAt: 100 + extra }), makeRunRecord({ createdAt: page.runs[page.runs.length - 1]!.createdAt }));
          extra++;
          page = await store.listRuns({ order, limit: 2, cursor: page.nextCursor });
          seen.push(...page.runs.map((r) => r.id));
          if (extra > 50) throw new Error('the cursor does not advance');
        }
        expect(new Set(seen).size).toBe(seen.length);
        for (const r of runs) expect(seen).toContain(r.id);
      });

      it('rejects a cursor used with another order, or one it never gave out', async () => {
        await pagingFixture();
        const first = await store.listRuns({ order: parseRunOrder('created desc'), limit: 2 });
        expect(first.nextCursor).not.toBeNull();
        const cursor = first.nextCursor!;
        for (const other of ['created asc', 'metrics.acc desc', 'params.epochs desc']) {
          await expect(store.listRuns({ order: parseRunOrder(other), limit: 2, cursor })).rejects.toMatchObject({ code: 'REPRISE_ERR_ARG_INVALID' });
        }
        await expect(store.listRuns({ limit: 2, cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: 'REPRISE_ERR_ARG_INVALID' });
        // The same order, written out or by default, takes it.
        expect((await store.listRuns({ order: parseRunOrder('created desc'), limit: 2, cursor })).runs).toHaveLength(2);
        expect((await store.listRuns({ limit: 2, cursor })).runs).toHaveLength(2);
      });
    });

    describe('metrics', () => {
      it('downsamples a history as core/downsample does the whole series, read in pieces or not', async () => {
        const [run] = await given(makeRunRecord());
        // 5,000 growing steps over many appends (stored in pieces), with a spike, a dip, NaN and Infinity.
        const rising = Array.from({ length: 5000 }, (_, i) =>
          point('loss', i, 1_000 + i, i === 1234 ? 99 : i === 4321 ? -99 : i === 10 ? NaN : i === 20 ? Infinity : Math.sin(i / 50)),
        );
        for (let i = 0; i < rising.length; i += 700) await append(run!.id, rising.slice(i, i + 700));
        // Steps out of order: the store must sort before it samples.
        const shuffled = Array.from({ length: 3000 }, (_, i) => point('acc', (i * 7919) % 3000, i, (i % 97) / 97));
        await append(run!.id, shuffled);
        for (const key of ['loss', 'acc']) {
          const whole = await store.metricSeries(run!.id, key);
          for (const sample of [{ maxPoints: 100 }, { maxPoints: 1001 }, { maxPoints: 3 }, { maxPoints: 4 }, { maxPoints: 8 }, { maxPoints: 12 }, { maxPoints: 500, method: 'lttb' as const }, { maxPoints: 10_000 }]) {
            const got = await store.metricHistory(run!.id, key, sample);
            expect(got.total, `${key} ${JSON.stringify(sample)}`).toBe(whole.steps.length);
            expect(pointsOf(key, got.points), `${key} ${JSON.stringify(sample)}`).toEqual(pointsOf(key, downsample(whole, sample.maxPoints, sample.method)));
          }
        }
        const sampled = await store.metricHistory(run!.id, 'loss', { maxPoints: 200 });
        expect(Array.from(sampled.points.values)).toContain(99);
        expect(Array.from(sampled.points.values)).toContain(-99);
        expect(await store.metricHistory(run!.id, 'nothing', { maxPoints: 10 })).toEqual({ total: 0, points: { steps: new Float64Array(0), ts: new Float64Array(0), values: new Float64Array(0) } });
      });

      it('returns a series ordered by step, then time, across appends', async () => {
        const [run] = await given(makeRunRecord());
        await append(run!.id, [point('loss', 2, 20, 0.2), point('acc', 0, 1, 0.5), point('loss', 0, 5, 1)]);
        await append(run!.id, [point('loss', 1, 30, 0.5), point('loss', 2, 10, 0.3), point('loss', 0, 5, 0.9)]);
        const loss = await series(run!.id, 'loss');
        // Points are never deduplicated, and each keeps its own value; the two at (0, 5) in arrival order.
        expect(loss).toEqual([point('loss', 0, 5, 1), point('loss', 0, 5, 0.9), point('loss', 1, 30, 0.5), point('loss', 2, 10, 0.3), point('loss', 2, 20, 0.2)]);
        expect(await series(run!.id, 'acc')).toEqual([point('acc', 0, 1, 0.5)]);
      });

      it('keeps several values per step, ordered by time, then arrival', async () => {
        const [run] = await given(makeRunRecord());
        await append(run!.id, [point('loss', 1, 10, 0.1), point('loss', 1, 10, 0.2), point('loss', 0, 50, 9)]);
        await append(run!.id, [point('loss', 1, 10, 0.3), point('loss', 1, 5, 0.4), point('loss', 1, 20, 0.5), point('loss', 1, 10, 0.6)]);
        expect(await series(run!.id, 'loss')).toEqual([
          point('loss', 0, 50, 9),
          point('loss', 1, 5, 0.4),
          point('loss', 1, 10, 0.1),
          point('loss', 1, 10, 0.2),
          point('loss', 1, 10, 0.3),
          point('loss', 1, 10, 0.6),
          point('loss', 1, 20, 0.5),
        ]);
        expect((await store.metricSummaries([run!.id])).get(run!.id)?.loss).toEqual({ last: 0.5, lastStep: 1, lastTs: 20, min: 0.1, max: 9, count: 7 });
      });

      it('gives empty columns for an unknown key or run', async () => {
        const [run] = await given(makeRunRecord());
        await append(run!.id, [point('loss', 0, 1, 1)]);
        expectColumns(await store.metricSeries(run!.id, 'nope'), 0);
        expectColumns(await store.metricSeries(run!.id, 'Loss'), 0);
        expectColumns(await store.metricSeries(newRunId(), 'loss'), 0);
      });

      it('keeps each run\'s series apart', async () => {
        const [a, b] = await given(makeRunRecord(), makeRunRecord());
        await append(a!.id, [point('loss', 0, 1, 1)]);
        await append(b!.id, [point('loss', 0, 1, 2)]);
        expect((await series(a!.id, 'loss')).map((p) => p.value)).toEqual([1]);
        expect((await series(b!.id, 'loss')).map((p) => p.value)).toEqual([2]);
      });

      it('returns NaN, Infinity, -Infinity and awkward doubles exactly as written', async () => {
        const [run] = await given(makeRunRecord());
        const values = [NaN, Infinity, -Infinity, 0.1, -0.0001, 1e-300, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 + 2];
        await append(run!.id, values.map((v, i) => point('v', i, 1, v)));
        const got = await store.metricSeries(run!.id, 'v');
        expectColumns(got, values.length);
        got.values.forEach((v, i) => expect(Object.is(v, values[i]), `value ${i}: ${v} vs ${values[i]}`).toBe(true));
        expect([...got.steps]).toEqual(values.map((_, i) => i));
      });

      it('keeps large steps and real timestamps', async () => {
        const [run] = await given(makeRunRecord());
        const pts = [point('x', 2 ** 40, 1_700_000_000_123, 1), point('x', 0, 1_700_000_000_000, 2), point('x', 2 ** 53 - 1, 1, 3)];
        await append(run!.id, pts);
        expect(await series(run!.id, 'x')).toEqual(sortedPoints(pts));
      });

      it('accepts an empty list of batches, and a batch without points', async () => {
        const [run] = await given(makeRunRecord());
        expect(await store.appendMetrics(run!.id, [])).toBe(true);
        expect(await store.appendMetrics(run!.id, [{ key: 'loss', steps: new Float64Array(0), ts: new Float64Array(0), values: new Float64Array(0) }])).toBe(true);
        expectColumns(await store.metricSeries(run!.id, 'loss'), 0);
      });

      it('takes batches whose columns are views into a larger buffer', async () => {
        const [run] = await given(makeRunRecord());
        const buf = new Float64Array([99, 0, 1, 2, 99, 10, 11, 12, 99, 0.5, 0.25, 0.125, 99]);
        const view = (at: number): Float64Array => buf.subarray(at, at + 3);
        await store.appendMetrics(run!.id, [{ key: 'loss', steps: view(1), ts: view(5), values: view(9) }]);
        expect(await series(run!.id, 'loss')).toEqual([point('loss', 0, 10, 0.5), point('loss', 1, 11, 0.25), point('loss', 2, 12, 0.125)]);
      });

      it('comes back sorted by step after out-of-order appends', async () => {
        const [run] = await given(makeRunRecord());
        // Three blocks of 1,200 steps, the last block first, each in appends of 100.
        const all: MetricPoint[] = [];
        for (const first of [2_400, 0, 1_200]) {
          for (let from = first; from < first + 1_200; from += 100) {
            const part = Array.from({ length: 100 }, (_, i) => point('loss', from + i, 5_000 - from - i, Math.cos(from + i)));
            await append(run!.id, part);
            all.push(...part);
          }
        }
        const got = await series(run!.id, 'loss');
        expect(got.map((p) => p.step)).toEqual(Array.from({ length: 3_600 }, (_, i) => i));
        expect(got).toEqual(sortedPoints(all));
        expect((await store.metricSummaries([run!.id])).get(run!.id)?.loss).toEqual(expectedSummary(all));
        expect((await store.metricSummaries([run!.id])).get(run!.id)?.loss?.lastStep).toBe(3_599);
      });

      it('keeps a series of thousands of points appended a few at a time, for two keys at once', async () => {
        const [run] = await given(makeRunRecord());
        const all: MetricPoint[] = [];
        for (let from = 0; from < 2_500; from += 10) {
          const part: MetricPoint[] = [];
          for (let i = from; i < from + 10; i++) {
            part.push(point('loss', i, 1_000 + i, 1 / (i + 1)), point('acc', i, 1_000 + i, i % 97 === 0 ? NaN : i / 2_500));
          }
          expect(await append(run!.id, part)).toBe(true);
          all.push(...part);
        }
        for (const key of ['loss', 'acc']) {
          const expected = all.filter((p) => p.key === key);
          expect(await series(run!.id, key)).toEqual(expected);
          expect((await store.metricSummaries([run!.id])).get(run!.id)?.[key]).toEqual(expectedSummary(expected));
        }
      });

      it('keeps a series appended in one big append, and in appends of sizes around 1024', async () => {
        const [run] = await given(makeRunRecord());
        const big = Array.from({ length: 5_000 }, (_, i) => point('big', i, i * 10, Math.sin(i)));
        expect(await append(run!.id, big)).toBe(true);
        const uneven = Array.from({ length: 5_000 }, (_, i) => point('uneven', i, i * 10, i % 1_000 === 7 ? NaN : Math.sin(i)));
        let at = 0;
        for (const size of [1, 1_023, 1, 1_024, 1_025, 2, 1_000, 924]) {
          await append(run!.id, uneven.slice(at, at + size));
          at += size;
        }
        expect(at).toBe(5_000);
        // And a big append that lands after small ones.
        const mixed = Array.from({ length: 3_000 }, (_, i) => point('mixed', i, i, i));
        await append(run!.id, mixed.slice(0, 3));
        await append(run!.id, mixed.slice(3, 2_990));
        await append(run!.id, mixed.slice(2_990));
        const summaries = (await store.metricSummaries([run!.id])).get(run!.id);
        for (const [key, points] of [['big', big], ['uneven', uneven], ['mixed', mixed]] as const) {
          expect(await series(run!.id, key)).toEqual(points);
          expect(summaries?.[key]).toEqual(expectedSummary(points));
        }
        expect(summaries?.big?.count).toBe(5_000);
        expect(summaries?.mixed).toEqual({ last: 2_999, lastStep: 2_999, lastTs: 2_999, min: 0, max: 2_999, count: 3_000 });
      });

      it('skips an append whose writer and seq were already applied', async () => {
        const [run, other] = await given(makeRunRecord(), makeRunRecord());
        const w = (seq: number): MetricWriter => ({ id: 'writer-a', seq });
        expect(await append(run!.id, [point('loss', 0, 1, 1), point('acc', 0, 1, 0.1)], w(1))).toBe(true);
        // A resend of the same append: nothing is added, to any key.
        expect(await append(run!.id, [point('loss', 0, 1, 1), point('acc', 0, 1, 0.1)], w(1))).toBe(false);
        expect(await series(run!.id, 'loss')).toEqual([point('loss', 0, 1, 1)]);
        expect(await series(run!.id, 'acc')).toEqual([point('acc', 0, 1, 0.1)]);
        expect((await store.metricSummaries([run!.id])).get(run!.id)?.loss?.count).toBe(1);

        expect(await append(run!.id, [point('loss', 1, 2, 2)], w(2))).toBe(true);
        expect(await append(run!.id, [point('loss', 1, 2, 2)], w(2))).toBe(false);
        // An older seq arriving late is a resend too.
        expect(await append(run!.id, [point('loss', 0, 1, 1)], w(1))).toBe(false);
        // Another writer counts its own seqs.
        expect(await append(run!.id, [point('loss', 1, 3, 7)], { id: 'writer-b', seq: 1 })).toBe(true);
        expect(await append(run!.id, [point('loss', 1, 3, 7)], { id: 'writer-b', seq: 1 })).toBe(false);
        // Without a writer nothing is skipped.
        expect(await append(run!.id, [point('loss', 2, 4, 3)])).toBe(true);
        expect(await append(run!.id, [point('loss', 2, 4, 3)])).toBe(true);
        // A writer's seqs belong to one run.
        expect(await append(other!.id, [point('loss', 0, 1, 5)], w(1))).toBe(true);

        expect((await series(run!.id, 'loss')).map((p) => p.value)).toEqual([1, 2, 7, 3, 3]);
        expect((await store.metricSummaries([run!.id])).get(run!.id)?.loss).toEqual({ last: 3, lastStep: 2, lastTs: 4, min: 1, max: 7, count: 5 });
        expect(await series(other!.id, 'loss')).toEqual([point('loss', 0, 1, 5)]);
        expect(await append(run!.id, [point('loss', 3, 5, 4)], w(3))).toBe(true);
        expect((await series(run!.id, 'loss')).map((p) => p.value)).toEqual([1, 2, 7, 3, 3, 4]);
      });

      it('summarises a series over several appends as folding all its points would', async () => {
        const [run] = await given(makeRunRecord());
        // Out of order, with ties, NaN and infinities, split over three appends.
        const batches = [
          [point('loss', 5, 100, 0.5), point('loss', 1, 90, NaN), point('acc', 0, 1, NaN)],
          [point('loss', 7, 50, 0.4), point('loss', 7, 60, 0.45), point('loss', 3, 200, Infinity), point('acc', 1, 2, NaN)],
          [point('loss', 7, 60, 0.47), point('loss', 2, 300, -Infinity), point('loss', 6, 400, 0.1)],
        ];
        for (const b of batches) await append(run!.id, b);
        const all = batches.flat();
        const summaries = await store.metricSummaries([run!.id]);
        expect(summaries.get(run!.id)).toEqual({
          loss: expectedSummary(all.filter((p) => p.key === 'loss')),
          acc: expectedSummary(all.filter((p) => p.key === 'acc')),
        });
        // Spelled out, so a wrong fold could not hide the mistake: last is step 7's later point.
        expect(summaries.get(run!.id)?.loss).toEqual({ last: 0.47, lastStep: 7, lastTs: 60, min: -Infinity, max: Infinity, count: 8 });
        const acc = summaries.get(run!.id)?.acc;
        expect(acc?.count).toBe(2);
        expect([acc?.last, acc?.min, acc?.max].every(Number.isNaN)).toBe(true);
      });

      it('summarises several runs at once and leaves runs without metrics out', async () => {
        const [a, b, c] = await given(makeRunRecord(), makeRunRecord(), makeRunRecord());
        await append(a!.id, [point('loss', 0, 1, 3), point('loss', 1, 2, 2)]);
        await append(b!.id, [point('acc', 0, 1, 0.5)]);
        const summaries = await store.metricSummaries([a!.id, b!.id, c!.id]);
        expect(summaries.get(a!.id)).toEqual({ loss: { last: 2, lastStep: 1, lastTs: 2, min: 2, max: 3, count: 2 } });
        expect(summaries.get(b!.id)).toEqual({ acc: { last: 0.5, lastStep: 0, lastTs: 1, min: 0.5, max: 0.5, count: 1 } });
        expect(summaries.get(c!.id) ?? {}).toEqual({});
        expect(await store.metricSummaries([])).toEqual(new Map());
      });

      it('summarises when asked about more than 1000 runs at once', async () => {
        // Real runs sit among many unknown ids, some far past the first thousand, so a
        // store that splits the id list into batches must visit every batch.
        const runs = await given(makeRunRecord(), makeRunRecord(), makeRunRecord());
        for (const [i, r] of runs.entries()) await append(r.id, [point('loss', 0, 1, i)]);
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

    describe('histograms and notes', () => {
      /** A point with `k` buckets of width 1 from `step`, counts from `seed`, and stats unless `stats` is null. */
      const hist = (step: number, ts: number, k = 3, seed = step, stats: HistogramStats | null | undefined = undefined): HistogramPoint => {
        const buckets = new Float64Array(k * 3);
        for (let b = 0; b < k; b++) {
          buckets[b * 3] = step + b;
          buckets[b * 3 + 1] = step + b + 1;
          buckets[b * 3 + 2] = (seed * 7 + b) % 11;
        }
        return { step, ts, buckets, stats: stats === undefined ? { min: step, max: step + k, count: k, sum: seed, sumSquares: seed * seed } : stats };
      };

      /** Every number of a point, compared with Object.is: -0, denormals and the last bit count. */
      function expectSamePoints(got: readonly HistogramPoint[], want: readonly HistogramPoint[]): void {
        expect(got).toHaveLength(want.length);
        got.forEach((g, i) => {
          const w = want[i]!;
          const where = `point ${i} (step ${w.step})`;
          expect(g.buckets, where).toBeInstanceOf(Float64Array);
          expect([g.step, g.ts], where).toEqual([w.step, w.ts]);
          expect(g.buckets.length, where).toBe(w.buckets.length);
          g.buckets.forEach((v, j) => expect(Object.is(v, w.buckets[j]), `${where}, bucket value ${j}: ${v} vs ${w.buckets[j]}`).toBe(true));
          if (w.stats === null) expect(g.stats, where).toBeNull();
          else for (const f of ['min', 'max', 'count', 'sum', 'sumSquares'] as const) expect(Object.is(g.stats?.[f], w.stats[f]), `${where}, stats.${f}: ${g.stats?.[f]} vs ${w.stats[f]}`).toBe(true);
        });
      }

      /** Points sorted as a store gives them back: by step, then time, then arrival. */
      const inOrder = (points: readonly HistogramPoint[]): HistogramPoint[] =>
        points
          .map((p, i) => ({ p, i }))
          .sort((a, b) => a.p.step - b.p.step || a.p.ts - b.p.ts || a.i - b.i)
          .map(({ p }) => p);

      const note = (key: string, step: number, ts: number, text: string): RunNote => ({ key, step, ts, text });

      it('returns a key\'s points by step, then time, then arrival, several per step, across appends', async () => {
        const [run] = await given(makeRunRecord());
        const first = [hist(2, 20, 3, 1), hist(0, 5, 3, 2), hist(1, 10, 3, 3), hist(1, 10, 3, 4)];
        const second = [hist(1, 10, 3, 5), hist(1, 7, 3, 6), hist(0, 5, 3, 7), hist(3, 1, 3, 8)];
        await store.appendHistograms(run!.id, [{ key: 'weights', points: first }, { key: 'grads', points: [hist(0, 1)] }]);
        await store.appendHistograms(run!.id, [{ key: 'weights', points: second }]);
        const got = await store.histogramSeries(run!.id, 'weights');
        expect(got.total).toBe(8);
        // The three at (1, 10) keep the order they arrived in; every point is kept.
        expect(got.points.map((p) => [p.step, p.ts, p.buckets[2]])).toEqual([
          [0, 5, 14 % 11],
          [0, 5, 49 % 11],
          [1, 7, 42 % 11],
          [1, 10, 21 % 11],
          [1, 10, 28 % 11],
          [1, 10, 35 % 11],
          [2, 20, 7 % 11],
          [3, 1, 56 % 11],
        ]);
        expectSamePoints(got.points, inOrder([...first, ...second]));
        expectSamePoints((await store.histogramSeries(run!.id, 'grads')).points, [hist(0, 1)]);
      });

      it('keeps buckets and stats as the exact float64 values written, null stats, and points without buckets', async () => {
        const [run] = await given(makeRunRecord());
        const M = Number.MAX_VALUE;
        const tiny = Number.MIN_VALUE;
        const third = 0.1 + 0.2;
        // Valid buckets (in order, counts >= 0) made of awkward doubles.
        const buckets = Float64Array.from([-M, -1e-300, 0.1, -1e-300, tiny, 2 ** 53 + 2, tiny, 0.1, 1e-300, 0.1, third, 3, third, M, 7.000000000000001]);
        const points: HistogramPoint[] = [
          { step: 0, ts: 1_700_000_000_123, buckets, stats: { min: -M, max: M, count: 2 ** 53 + 2, sum: third, sumSquares: 1e-300 } },
          { step: 1, ts: 1_700_000_000_124, buckets: buckets.slice(3, 9), stats: null },
          { step: 2, ts: 1_700_000_000_125, buckets: new Float64Array(0), stats: { min: 0, max: 0, count: 0, sum: 0, sumSquares: 0 } },
          { step: 3, ts: 1_700_000_000_126, buckets: new Float64Array(0), stats: null },
          { step: 2 ** 40, ts: 1_700_000_000_127, buckets: Float64Array.from([-tiny, tiny, 1]), stats: { min: -tiny, max: tiny, count: 1, sum: -tiny, sumSquares: 0 } },
        ];
        await store.appendHistograms(run!.id, [{ key: 'awkward', points }]);
        expectSamePoints((await store.histogramSeries(run!.id, 'awkward')).points, points);
        expectSamePoints((await store.histogramSeries(run!.id, 'awkward', { maxPoints: 2 })).points, [points[0]!, points[4]!]);
      });

      it('takes points whose buckets are views into a larger buffer', async () => {
        const [run] = await given(makeRunRecord());
        const buf = new Float64Array([99, 0, 1, 5, 1, 2, 6, 99]);
        await store.appendHistograms(run!.id, [{ key: 'w', points: [{ step: 0, ts: 1, buckets: buf.subarray(1, 7), stats: null }] }]);
        expect([...(await store.histogramSeries(run!.id, 'w')).points[0]!.buckets]).toEqual([0, 1, 5, 1, 2, 6]);
      });

      it('samples a long series to at most maxPoints, spread evenly with the first and the last kept', async () => {
        const [run] = await given(makeRunRecord());
        // 600 points over 300 steps (two per step, the second earlier in time), in appends of 150, steps descending.
        const all: HistogramPoint[] = [];
        for (let step = 299; step >= 0; step--) all.push(hist(step, 10_000 + step, 4, step), hist(step, 5_000 + step, 4, step + 1, null));
        for (let i = 0; i < all.length; i += 150) await store.appendHistograms(run!.id, [{ key: 'w', points: all.slice(i, i + 150) }]);
        const ordered = inOrder(all);
        const whole = await store.histogramSeries(run!.id, 'w');
        expect(whole.total).toBe(600);
        expectSamePoints(whole.points, ordered);
        for (const max of [1, 2, 3, 7, 100, 599, 600, 601, 20_000]) {
          const got = await store.histogramSeries(run!.id, 'w', { maxPoints: max });
          expect(got.total, `maxPoints ${max}`).toBe(600);
          expect(got.points.length, `maxPoints ${max}`).toBeLessThanOrEqual(max);
          expectSamePoints(got.points, samplePoints(ordered, max));
          if (max >= 2) {
            expectSamePoints([got.points[0]!], [ordered[0]!]);
            expectSamePoints([got.points.at(-1)!], [ordered.at(-1)!]);
          }
        }
        expect((await store.histogramSeries(run!.id, 'w', { maxPoints: 100 })).points).toHaveLength(100);
      });

      it('lists a run\'s histogram keys by key: points, first and last step, the time of the last point', async () => {
        const [run, other] = await given(makeRunRecord(), makeRunRecord());
        expect(await store.histogramKeys(run!.id)).toEqual([]);
        await store.appendHistograms(run!.id, [
          { key: 'weights/b', points: [hist(5, 50), hist(1, 10), hist(5, 40)] },
          { key: 'weights/a', points: [hist(0, 7)] },
        ]);
        await store.appendHistograms(run!.id, [{ key: 'weights/b', points: [hist(9, 30), hist(3, 99)] }]);
        await store.appendHistograms(other!.id, [{ key: 'weights/c', points: [hist(0, 1)] }]);
        expect(await store.histogramKeys(run!.id)).toEqual([
          { key: 'weights/a', count: 1, firstStep: 0, lastStep: 0, lastTs: 7 },
          { key: 'weights/b', count: 5, firstStep: 1, lastStep: 9, lastTs: 30 },
        ]);
        expect((await store.histogramKeys(other!.id)).map((h) => h.key)).toEqual(['weights/c']);
        expect(await store.histogramKeys(newRunId())).toEqual([]);
      });

      it('gives none for an unknown key or run, and keeps each run\'s points apart', async () => {
        const [a, b] = await given(makeRunRecord(), makeRunRecord());
        await store.appendHistograms(a!.id, [{ key: 'w', points: [hist(0, 1, 2, 1)] }]);
        await store.appendHistograms(b!.id, [{ key: 'w', points: [hist(0, 1, 2, 2), hist(1, 2, 2, 3)] }]);
        for (const opts of [undefined, { maxPoints: 10 }]) {
          expect(await store.histogramSeries(a!.id, 'nope', opts)).toEqual({ total: 0, points: [] });
          expect(await store.histogramSeries(a!.id, 'W', opts)).toEqual({ total: 0, points: [] });
          expect(await store.histogramSeries(newRunId(), 'w', opts)).toEqual({ total: 0, points: [] });
        }
        expectSamePoints((await store.histogramSeries(a!.id, 'w')).points, [hist(0, 1, 2, 1)]);
        expectSamePoints((await store.histogramSeries(b!.id, 'w')).points, [hist(0, 1, 2, 2), hist(1, 2, 2, 3)]);
      });

      it('accepts an empty append, and a batch without points', async () => {
        const [run] = await given(makeRunRecord());
        await store.appendHistograms(run!.id, []);
        await store.appendHistograms(run!.id, [{ key: 'w', points: [] }]);
        await store.appendNotes(run!.id, []);
        expect(await store.histogramKeys(run!.id)).toEqual([]);
        expect(await store.runNotes(run!.id)).toEqual([]);
      });

      it('refuses appends to an unknown run', async () => {
        await given(makeRunRecord());
        const id = newRunId();
        await expect(store.appendHistograms(id, [{ key: 'w', points: [hist(0, 1)] }])).rejects.toMatchObject({ code: 'REPRISE_ERR_RUN_NOT_FOUND' });
        await expect(store.appendNotes(id, [note('n', 0, 1, 'x')])).rejects.toMatchObject({ code: 'REPRISE_ERR_RUN_NOT_FOUND' });
        expect(await store.histogramKeys(id)).toEqual([]);
        expect(await store.runNotes(id)).toEqual([]);
      });

      it('keeps notes by key, step, then arrival; one key\'s with `key`', async () => {
        const [run, other] = await given(makeRunRecord(), makeRunRecord());
        const text = '# Epoch 3\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nünïcødé ✓ 😀 and "quotes"';
        await store.appendNotes(run!.id, [note('summary', 3, 30, text), note('config', 0, 5, 'lr=0.1'), note('summary', 1, 10, 'first'), note('summary', 3, 20, 'same step')]);
        await store.appendNotes(run!.id, [note('summary', 1, 5, 'later, earlier time'), note('summary', 0, 1, ''), note('config', 0, 6, 'again')]);
        await store.appendNotes(other!.id, [note('summary', 0, 1, 'other run')]);
        expect(await store.runNotes(run!.id)).toEqual([
          note('config', 0, 5, 'lr=0.1'),
          note('config', 0, 6, 'again'),
          note('summary', 0, 1, ''),
          note('summary', 1, 10, 'first'),
          note('summary', 1, 5, 'later, earlier time'),
          note('summary', 3, 30, text),
          note('summary', 3, 20, 'same step'),
        ]);
        expect(await store.runNotes(run!.id, { key: 'config' })).toEqual([note('config', 0, 5, 'lr=0.1'), note('config', 0, 6, 'again')]);
        expect(await store.runNotes(run!.id, { key: 'nope' })).toEqual([]);
        expect(await store.runNotes(run!.id, {})).toHaveLength(7);
        expect(await store.runNotes(other!.id)).toEqual([note('summary', 0, 1, 'other run')]);
        expect(await store.runNotes(newRunId())).toEqual([]);
      });

      it('imports a run with its histograms and notes, all or nothing, and one without them', async () => {
        const run = makeRunRecord({ status: 'succeeded', endedAt: 1_700_000_100_000 });
        const points = [hist(2, 20, 5), hist(0, 1, 5, 0, null), hist(2, 20, 0, 9)];
        const notes = [note('summary', 2, 20, 'done'), note('summary', 0, 1, 'start')];
        const base = { run, params: {}, tags: {}, artifacts: [], metrics: [] };
        expect(await store.importRun({ ...base, histograms: [{ key: 'w', points }, { key: 'empty', points: [] }], notes })).toBe(true);
        expect(await store.histogramKeys(run.id)).toEqual([{ key: 'w', count: 3, firstStep: 0, lastStep: 2, lastTs: 20 }]);
        expectSamePoints((await store.histogramSeries(run.id, 'w')).points, inOrder(points));
        expect(await store.runNotes(run.id)).toEqual([notes[1], notes[0]]);
        // Again: nothing is added.
        expect(await store.importRun({ ...base, histograms: [{ key: 'w', points }], notes })).toBe(false);
        expect((await store.histogramSeries(run.id, 'w')).total).toBe(3);
        expect(await store.runNotes(run.id)).toHaveLength(2);
        // A run from a bundle written before histograms and notes were kept.
        const older = makeRunRecord({ status: 'failed', endedAt: 1_700_000_100_000 });
        expect(await store.importRun({ ...base, run: older })).toBe(true);
        expect(await store.histogramKeys(older.id)).toEqual([]);
        expect(await store.runNotes(older.id)).toEqual([]);
      });
    });

    describe('params', () => {
      it('records the manifest\'s params under dotted keys when the run is created, lists as JSON text', async () => {
        const [run] = await given(makeRunRecord());
        expect(await store.runParams(run!.id)).toEqual({ epochs: 2, 'optim.lr': 0.01, 'optim.name': 'adam', layers: '[64,32]' });
      });

      it('keeps every kind of leaf: deep keys, booleans, null, text, lists of anything', async () => {
        const [run] = await given(
          makeRunRecord({
            params: { a: { b: { c: 1, d: -2.5e-8 } }, flag: true, off: false, none: null, text: 'x y "z"', list: [1, 'two', { three: 3 }], empty: {} },
          }),
        );
        expect(await store.runParams(run!.id)).toEqual({
          'a.b.c': 1,
          'a.b.d': -2.5e-8,
          flag: true,
          off: false,
          none: null,
          text: 'x y "z"',
          list: '[1,"two",{"three":3}]',
        });
      });

      it('records a manifest with hundreds of params, and logs hundreds at once', async () => {
        const values: Params = {};
        for (let i = 0; i < 30; i++) values[`group${i}`] = Object.fromEntries(Array.from({ length: 20 }, (_, j) => [`p${j}`, i * 100 + j]));
        const [run] = await given(makeRunRecord({ params: values }));
        const logged = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`logged.k${i}`, `v${i}`]));
        await store.logParams(run!.id, logged);
        const got = await store.runParams(run!.id);
        expect(Object.keys(got)).toHaveLength(30 * 20 + 500);
        expect(got['group29.p19']).toBe(2_919);
        expect(got['group0.p0']).toBe(0);
        expect(got['logged.k499']).toBe('v499');
      });

      it('gives no params for a run without any', async () => {
        const [run] = await given(makeRunRecord({ params: {} }));
        expect(await store.runParams(run!.id)).toEqual({});
      });

      it('adds params logged later beside the manifest\'s', async () => {
        const [run] = await given(makeRunRecord());
        await store.logParams(run!.id, { batch: 32, 'optim.momentum': 0.9, note: 'warm start', cuda: true });
        await store.logParams(run!.id, {});
        await store.logParams(run!.id, { seed: 7 });
        expect(await store.runParams(run!.id)).toEqual({
          epochs: 2,
          'optim.lr': 0.01,
          'optim.name': 'adam',
          layers: '[64,32]',
          batch: 32,
          'optim.momentum': 0.9,
          note: 'warm start',
          cuda: true,
          seed: 7,
        });
      });

      it('accepts a param set again with the same value', async () => {
        const [run] = await given(makeRunRecord());
        await store.logParams(run!.id, { batch: 32 });
        await store.logParams(run!.id, { batch: 32, 'optim.lr': 0.01, layers: '[64,32]', 'optim.name': 'adam', extra: 'x' });
        expect(await store.runParams(run!.id)).toEqual({ epochs: 2, 'optim.lr': 0.01, 'optim.name': 'adam', layers: '[64,32]', batch: 32, extra: 'x' });
      });

      it('refuses another value for a param already set, and changes nothing', async () => {
        const [run] = await given(makeRunRecord());
        await store.logParams(run!.id, { batch: 32 });
        const before = await store.runParams(run!.id);
        const immutable = { code: 'REPRISE_ERR_PARAM_IMMUTABLE' };
        await expect(store.logParams(run!.id, { 'optim.lr': 0.02 })).rejects.toMatchObject(immutable);
        await expect(store.logParams(run!.id, { batch: 64 })).rejects.toMatchObject(immutable);
        // Another type is another value: the text "2" is not the number 2.
        await expect(store.logParams(run!.id, { epochs: '2' })).rejects.toMatchObject(immutable);
        await expect(store.logParams(run!.id, { batch: null })).rejects.toMatchObject(immutable);
        // A refused call sets none of its params, not even the new ones.
        await expect(store.logParams(run!.id, { fresh: 1, batch: 64, later: 'x' })).rejects.toMatchObject(immutable);
        expect(await store.runParams(run!.id)).toEqual(before);
      });

      it('keeps each run\'s params apart', async () => {
        const [a, b] = await given(makeRunRecord(), makeRunRecord({ params: { epochs: 5 } }));
        await store.logParams(a!.id, { batch: 32 });
        await store.logParams(b!.id, { batch: 64 });
        expect(await store.runParams(a!.id)).toMatchObject({ epochs: 2, batch: 32 });
        expect(await store.runParams(b!.id)).toEqual({ epochs: 5, batch: 64 });
      });
    });

    describe('tags', () => {
      it('sets tags, replacing the values of keys already set and keeping the others', async () => {
        const [run] = await given(makeRunRecord());
        await store.setTags(run!.id, { stage: 'dev', owner: 'alice' });
        await store.setTags(run!.id, { stage: 'prod', note: '' });
        await store.setTags(run!.id, {});
        expect((await store.tagsOf([run!.id])).get(run!.id)).toEqual({ stage: 'prod', owner: 'alice', note: '' });
      });

      it('deletes a tag and says whether it existed', async () => {
        const [run] = await given(makeRunRecord());
        await store.setTags(run!.id, { stage: 'dev', owner: 'alice' });
        expect(await store.deleteTag(run!.id, 'stage')).toBe(true);
        expect(await store.deleteTag(run!.id, 'stage')).toBe(false);
        expect(await store.deleteTag(run!.id, 'never')).toBe(false);
        expect((await store.tagsOf([run!.id])).get(run!.id)).toEqual({ owner: 'alice' });
        expect(await store.deleteTag(run!.id, 'owner')).toBe(true);
        expect((await store.tagsOf([run!.id])).get(run!.id) ?? {}).toEqual({});
        // A deleted tag can be set again.
        await store.setTags(run!.id, { stage: 'qa' });
        expect((await store.tagsOf([run!.id])).get(run!.id)).toEqual({ stage: 'qa' });
      });

      it('gives the tags of several runs at once, leaving runs without tags out', async () => {
        const [a, b, c] = await given(makeRunRecord(), makeRunRecord(), makeRunRecord());
        await store.setTags(a!.id, { stage: 'prod' });
        await store.setTags(b!.id, { stage: 'dev', owner: 'bob' });
        const tags = await store.tagsOf([a!.id, b!.id, c!.id, newRunId()]);
        expect(tags.get(a!.id)).toEqual({ stage: 'prod' });
        expect(tags.get(b!.id)).toEqual({ stage: 'dev', owner: 'bob' });
        expect(tags.get(c!.id) ?? {}).toEqual({});
        expect((await store.tagsOf([])).size).toBe(0);
        expect((await store.tagsOf([b!.id])).has(a!.id)).toBe(false);
      });

      it('gives tags when asked about more than 1000 runs at once', async () => {
        const runs = await given(makeRunRecord(), makeRunRecord(), makeRunRecord());
        for (const [i, r] of runs.entries()) await store.setTags(r.id, { n: String(i) });
        const ids = Array.from({ length: 1_500 }, () => newRunId());
        ids[0] = runs[0]!.id;
        ids[999] = runs[1]!.id;
        ids[1_499] = runs[2]!.id;
        const tags = await store.tagsOf(ids);
        runs.forEach((r, i) => expect(tags.get(r.id)).toEqual({ n: String(i) }));
      });
    });

    describe('an unknown run', () => {
      // As listArtifacts and metricSeries do: reads about a run the store does not hold
      // answer as for a run that has nothing yet.
      it('has no params, no tags to delete and none to list', async () => {
        await given(makeRunRecord());
        const id = newRunId();
        expect(await store.runParams(id)).toEqual({});
        expect(await store.deleteTag(id, 'stage')).toBe(false);
        expect((await store.tagsOf([id])).get(id) ?? {}).toEqual({});
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

    describe('projects, keys, counts and timelines', () => {
      it('sums each project by status and dev, with its first and latest activity', async () => {
        await given(
          makeRunRecord({ project: 'vision', status: 'succeeded', createdAt: 1000, heartbeatAt: 1500 }),
          makeRunRecord({ project: 'vision', status: 'failed', createdAt: 2000, heartbeatAt: 2100 }),
          makeRunRecord({ project: 'vision', status: 'succeeded', dev: true, createdAt: 3000, heartbeatAt: 9000 }),
          makeRunRecord({ project: 'audio', status: 'running', createdAt: 500, heartbeatAt: 700 }),
        );
        const projects = await store.listProjects();
        expect(projects.map((p) => p.name)).toEqual(['audio', 'vision']);
        const vision = projects[1]!;
        expect(vision).toMatchObject({ runs: 3, devRuns: 1, byStatus: { succeeded: 2, failed: 1 }, firstRunAt: 1000 });
        expect(vision.lastActivityAt).toBeGreaterThanOrEqual(9000);
        expect(projects[0]).toMatchObject({ runs: 1, devRuns: 0, byStatus: { running: 1 }, firstRunAt: 500 });
      });

      it('has no projects in an empty store', async () => {
        expect(await store.listProjects()).toEqual([]);
      });

      it("lists the param, metric and tag keys of one project's runs, or of all", async () => {
        const [a, b] = await given(
          makeRunRecord({ project: 'vision', params: { lr: 0.1, optim: { name: 'sgd' } } }),
          makeRunRecord({ project: 'audio', params: { rate: 16000 } }),
        );
        await append(a!.id, [point('val_acc', 1, 1, 0.5)]);
        await append(b!.id, [point('wer', 1, 1, 0.2)]);
        await store.setTags(a!.id, { stage: 'candidate' });
        await store.logParams(b!.id, { extra: 'x' });
        expect(await store.runKeys('vision')).toEqual({ params: ['lr', 'optim.name'], metrics: ['val_acc'], tags: ['stage'] });
        expect(await store.runKeys('audio')).toEqual({ params: ['extra', 'rate'], metrics: ['wer'], tags: [] });
        expect(await store.runKeys()).toEqual({ params: ['extra', 'lr', 'optim.name', 'rate'], metrics: ['val_acc', 'wer'], tags: ['stage'] });
        expect(await store.runKeys('nobody')).toEqual({ params: [], metrics: [], tags: [] });
      });

      it('counts what a query matches, whatever its limit or order', async () => {
        const runs = await given(
          ...Array.from({ length: 7 }, (_, i) => makeRunRecord({ project: i < 5 ? 'p' : 'q', status: i % 2 ? 'failed' : 'succeeded', params: { lr: i / 10 } })),
        );
        expect(await store.countRuns({})).toBe(7);
        expect(await store.countRuns({ project: 'p', limit: 1 })).toBe(5);
        expect(await store.countRuns({ project: 'p', statuses: ['failed'] })).toBe(2);
        expect(await store.countRuns({ filter: filter('params.lr >= 0.3') })).toBe(4);
        expect(await store.countRuns({ project: 'zzz' })).toBe(0);
        expect(runs).toHaveLength(7);
      });

      it("gives a project's runs oldest first with their status and times", async () => {
        const [late, early, other] = await given(
          makeRunRecord({ project: 'p', createdAt: 5000, status: 'failed' }),
          makeRunRecord({ project: 'p', createdAt: 1000, dev: true }),
          makeRunRecord({ project: 'q', createdAt: 3000 }),
        );
        const t = await store.runTimeline('p');
        expect(t.map((r) => r.id)).toEqual([early!.id, late!.id]);
        expect(t[0]).toEqual({ id: early!.id, name: early!.name, status: early!.status, dev: true, createdAt: 1000, endedAt: early!.endedAt });
        expect(t[1]).toMatchObject({ status: 'failed', dev: false, createdAt: 5000 });
        expect(await store.runTimeline('none')).toEqual([]);
        expect(other!.project).toBe('q');
      });

      it('gives the params of many runs at once, logged ones included', async () => {
        const [a, b, c] = await given(makeRunRecord({ params: { lr: 0.1 } }), makeRunRecord({ params: { lr: 0.2, depth: 3 } }), makeRunRecord({ params: {} }));
        await store.logParams(a!.id, { note: 'first' });
        const p = await store.paramsOf([a!.id, b!.id, c!.id, newRunId()]);
        expect(p.get(a!.id)).toEqual({ lr: 0.1, note: 'first' });
        expect(p.get(b!.id)).toEqual({ depth: 3, lr: 0.2 });
        expect(p.has(c!.id)).toBe(false);
        expect((await store.paramsOf([])).size).toBe(0);
      });
    });

    describe('imported runs and verifications', () => {
      const finished = (over: Parameters<typeof makeRunRecord>[0] = {}) =>
        makeRunRecord({ status: 'succeeded', endedAt: 1_700_000_100_000, ...over });

      it('imports a run with its params, tags, artifacts and series, once', async () => {
        const run = finished({ params: { lr: 0.1 } });
        const series = batchesFromPoints([point('loss', 1, 10, 0.5), point('loss', 2, 20, NaN), point('acc', 1, 10, 0.9)]);
        const artifacts: Artifact[] = [{ path: 'model/w.bin', size: 3, sha256: SHA_B }];
        expect(await store.importRun({ run, params: { note: 'later' }, tags: { team: 'a' }, artifacts, metrics: series })).toBe(true);
        expect(await store.getRun(run.id)).toEqual(run);
        expect(await store.runParams(run.id)).toEqual({ lr: 0.1, note: 'later' });
        expect((await store.tagsOf([run.id])).get(run.id)).toEqual({ team: 'a' });
        expect(await store.listArtifacts(run.id)).toEqual(artifacts);
        const loss = await store.metricSeries(run.id, 'loss');
        expect([...loss.steps]).toEqual([1, 2]);
        expect(Number.isNaN(loss.values[1])).toBe(true);
        expect((await store.metricSummaries([run.id])).get(run.id)?.acc).toMatchObject({ last: 0.9, count: 1 });

        // The same run again changes nothing.
        const again = { ...run, name: 'other-name' };
        expect(await store.importRun({ run: again, params: {}, tags: { team: 'b' }, artifacts: [], metrics: series })).toBe(false);
        expect((await store.getRun(run.id))?.name).toBe(run.name);
        expect((await store.tagsOf([run.id])).get(run.id)).toEqual({ team: 'a' });
        expect((await store.metricSeries(run.id, 'loss')).steps).toHaveLength(2);
      });

      it('keeps checks of two runs, found from either run, the latest per pair', async () => {
        const [a, b, c] = await given(finished(), finished(), finished());
        const check = (original: string, reproduction: string, checkedAt: number, verdict: Verification['verdict']): Verification => ({
          original,
          reproduction,
          verdict,
          checkedAt,
          rules: { tolerance: { loss: 1e-6 }, ignore: ['duration'] },
          compared: { metrics: 1, artifacts: 1 },
          ignored: [],
          differences: verdict === 'exact' ? [] : [{ kind: 'metric', name: 'loss', original: 0.5, reproduction: 'NaN', delta: 'NaN', tolerance: 1e-6, outcome: 'diverged' }],
          environment: [{ what: 'python', original: '3.11.4', reproduction: null }],
        });
        await store.saveVerification(check(a!.id, b!.id, 1000, 'diverged'));
        await store.saveVerification(check(a!.id, c!.id, 2000, 'exact'));
        await store.saveVerification(check(a!.id, b!.id, 3000, 'exact'));
        const found = await store.verificationsOf([a!.id, b!.id, c!.id]);
        expect(found.get(a!.id)?.map((v) => [v.reproduction, v.verdict])).toEqual([[b!.id, 'exact'], [c!.id, 'exact']]);
        expect(found.get(b!.id)).toEqual([check(a!.id, b!.id, 3000, 'exact')]);
        expect(found.get(c!.id)?.[0]?.original).toBe(a!.id);
        const [d] = await given(finished());
        expect((await store.verificationsOf([d!.id])).has(d!.id)).toBe(false);
        await store.saveVerification(check(a!.id, d!.id, 4000, 'diverged'));
        expect((await store.verificationsOf([d!.id])).get(d!.id)?.[0]?.differences[0]).toMatchObject({ name: 'loss', reproduction: 'NaN' });
      });
    });

    describe('model store and retention', () => {
      const ENDED = 1_700_000_100_000;
      const passedGate: GateOutcome = { status: 'passed', evaluatedAt: ENDED, results: [] };
      // Listed by path, as the store lists artifacts, so either list gives the same files.
      const MODEL_OUTPUT: Artifact[] = [
        { path: 'model/config/labels.json', size: 7, sha256: SHA_B },
        { path: 'model/weights.pt', size: 100, sha256: SHA_A },
        { path: 'out/report.txt', size: 3, sha256: SHA_A },
      ];

      /** A finished run with the gate outcome and artifacts given (by default one that may be promoted), stored. */
      async function finishedRun(
        opts: { status?: RunRecord['status']; gate?: GateOutcome | null; artifacts?: Artifact[]; params?: Params; createdAt?: number } = {},
      ): Promise<RunRecord> {
        const base = makeRunRecord({
          status: opts.status ?? 'succeeded',
          endedAt: ENDED,
          ...(opts.params ? { params: opts.params } : {}),
          ...(opts.createdAt !== undefined ? { createdAt: opts.createdAt } : {}),
        });
        const gate = opts.gate === undefined ? passedGate : opts.gate;
        const artifacts = opts.artifacts ?? MODEL_OUTPUT;
        const run: RunRecord = { ...base, manifest: { ...base.manifest, outputs: { ...base.manifest.outputs, artifacts, ...(gate ? { gate } : {}) } } };
        await store.createRun(run);
        await store.setArtifacts(run.id, artifacts);
        return run;
      }

      /** Promotes `run`; async so that every refusal reaches the caller as a rejection (checked on its own below). */
      async function promote(run: RunRecord | { id: string }, model = 'iris', over: Partial<NewModelVersion> = {}) {
        return store.createModelVersion({ model, runId: run.id, alias: 'candidate', note: null, by: 'alice', at: Date.now(), ...over });
      }

      /** A mark as `reprise keep`, `reprise flag` or gc records it. */
      const mark = (state: 'kept' | 'flagged' | 'deleted', until: number | null = null): RetentionMark => ({
        state,
        until,
        reason: state === 'deleted' ? 'artifacts deleted by gc' : `${state} by bob`,
        manual: state !== 'deleted',
        by: 'bob',
        at: Date.now(),
      });

      /** Nothing of a refused promotion may be left behind. */
      async function expectNothingWritten(run: RunRecord): Promise<void> {
        expect(await store.listModels()).toEqual([]);
        expect(await store.modelAudit({})).toEqual([]);
        expect((await store.modelVersionsOfRuns([run.id])).has(run.id)).toBe(false);
        expect((await store.retentionMarks([run.id])).has(run.id)).toBe(false);
      }

      it('makes version 1 and the alias on a first promotion, version 2 and moves the alias on the next', async () => {
        const first = await finishedRun({ params: { lr: 0.1 } });
        const second = await finishedRun({ params: { lr: 0.2 } });
        const before = Date.now();

        const one = await promote(first, 'iris', { note: 'baseline' });
        expect(one.alias).toEqual({ alias: 'candidate', from: null, to: 1 });
        expect(one.version).toMatchObject({
          model: 'iris',
          version: 1,
          runId: first.id,
          runName: first.name,
          project: first.project,
          createdBy: 'alice',
          note: 'baseline',
          bytes: 107,
          aliases: ['candidate'],
        });
        expect(one.version.createdAt).toBeGreaterThanOrEqual(before);

        const two = await promote(second);
        expect(two.alias).toEqual({ alias: 'candidate', from: 1, to: 2 });
        expect(two.version).toMatchObject({ version: 2, runId: second.id, note: null, aliases: ['candidate'] });

        const models = await store.listModels();
        expect(models).toHaveLength(1);
        expect(models[0]).toMatchObject({ name: 'iris', versions: 2, latestVersion: 2, aliases: { candidate: 2 } });
        const shown = await store.modelVersions('iris');
        expect(shown?.model).toEqual(models[0]);
        expect(shown?.versions.map((v) => [v.version, v.aliases])).toEqual([
          [2, ['candidate']],
          [1, []],
        ]);
        expect(await store.modelVersions('nobody')).toBeUndefined();
      });

      it('records the model files relative to the model folder, and the lineage of the run', async () => {
        const run = await finishedRun({ params: { lr: 0.1, optim: { name: 'sgd' } } });
        const { version } = await promote(run);
        expect(version.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 }))).toEqual([
          { path: 'config/labels.json', size: 7, sha256: SHA_B },
          { path: 'weights.pt', size: 100, sha256: SHA_A },
        ]);
        expect(version.lineage.run).toEqual({ id: run.id, name: run.name, project: run.project, createdAt: run.createdAt, endedAt: ENDED });
        expect(version.lineage.code).toMatchObject({ kind: 'git', commit: COMMIT });
        expect(version.lineage.params).toEqual({ lr: 0.1, optim: { name: 'sgd' } });
        expect(version.lineage.paramsHash).toBe(run.manifest.params.hash);
        expect(version.lineage.gate).toEqual(passedGate);
        // NaN stays a string in the lineage's metrics, as in the manifest.
        expect(version.lineage.metrics).toEqual(run.manifest.outputs.metrics);
      });

      it('answers a refusal with a rejected promise, never a throw', async () => {
        // Callers chain on the promise (.catch, Promise.all): a throw would escape them.
        const run = await finishedRun({ status: 'failed' });
        let answer: Promise<unknown> | undefined;
        expect(() => {
          answer = store.createModelVersion({ model: 'iris', runId: run.id, alias: 'candidate', note: null, by: 'alice', at: Date.now() });
        }).not.toThrow();
        await expect(answer).rejects.toMatchObject({ code: 'REPRISE_ERR_PROMOTION_REFUSED' });
      });

      it('refuses the same run twice for one model, writing nothing more', async () => {
        const run = await finishedRun();
        await promote(run);
        await expect(promote(run, 'iris', { alias: 'production' })).rejects.toMatchObject({ code: 'REPRISE_ERR_PROMOTION_REFUSED' });
        expect(await store.listModels()).toEqual([expect.objectContaining({ versions: 1, aliases: { candidate: 1 } })]);
        expect(await store.modelAudit({})).toHaveLength(1);
      });

      it('lets the same run become a version of another model', async () => {
        const run = await finishedRun();
        await promote(run, 'iris');
        expect((await promote(run, 'iris-small')).version).toMatchObject({ model: 'iris-small', version: 1 });
        expect((await store.listModels()).map((m) => m.name)).toEqual(['iris', 'iris-small']);
      });

      it('refuses a run that did not succeed and writes nothing', async () => {
        const run = await finishedRun({ status: 'failed' });
        await expect(promote(run)).rejects.toMatchObject({ code: 'REPRISE_ERR_PROMOTION_REFUSED' });
        await expectNothingWritten(run);
      });

      it('refuses a run that failed its gates, listing them, and writes nothing', async () => {
        const gate = gateOutcomes(ENDED).failed;
        const run = await finishedRun({ gate });
        const e = await promote(run).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(e).toMatchObject({ code: 'REPRISE_ERR_PROMOTION_REFUSED' });
        expect((e as Error).message).toContain('val_loss (min) is 0.6, not <= 0.4');
        expect((e as Error).message).not.toContain('- acc');
        await expectNothingWritten(run);
      });

      it('refuses a run without model files as an invalid model and writes nothing', async () => {
        const run = await finishedRun({ artifacts: [{ path: 'out/report.txt', size: 3, sha256: SHA_A }] });
        await expect(promote(run)).rejects.toMatchObject({ code: 'REPRISE_ERR_MODEL_INVALID' });
        await expectNothingWritten(run);
      });

      it('refuses an unknown run and writes nothing', async () => {
        const [known] = await given(makeRunRecord());
        await expect(promote({ id: newRunId() })).rejects.toMatchObject({ code: 'REPRISE_ERR_RUN_NOT_FOUND' });
        await expectNothingWritten(known!);
      });

      it('leaves the model as it was when a later promotion is refused', async () => {
        const good = await finishedRun();
        await promote(good);
        const failed = await finishedRun({ status: 'failed' });
        const models = await store.listModels();
        await expect(promote(failed)).rejects.toMatchObject({ code: 'REPRISE_ERR_PROMOTION_REFUSED' });
        expect(await store.listModels()).toEqual(models);
        expect((await store.getModelVersion('iris', { alias: 'candidate' }))?.runId).toBe(good.id);
      });

      it('finds a version by number or by alias, and nothing for an unknown one', async () => {
        const [a, b] = [await finishedRun(), await finishedRun()];
        await promote(a);
        await promote(b);
        expect(await store.getModelVersion('iris', { version: 1 })).toMatchObject({ version: 1, runId: a.id, aliases: [] });
        expect(await store.getModelVersion('iris', { alias: 'candidate' })).toMatchObject({ version: 2, runId: b.id, aliases: ['candidate'] });
        expect(await store.getModelVersion('iris', { version: 3 })).toBeUndefined();
        expect(await store.getModelVersion('iris', { alias: 'production' })).toBeUndefined();
        expect(await store.getModelVersion('nobody', { version: 1 })).toBeUndefined();
      });

      it('moves an alias to an existing version, with an audit entry, newest first', async () => {
        const [a, b] = [await finishedRun(), await finishedRun()];
        await promote(a);
        await promote(b, 'iris', { by: 'carol', note: 'retrained' });
        expect(await store.moveAlias({ model: 'iris', alias: 'production', version: 1, note: 'first to ship', by: 'bob', at: Date.now() })).toEqual({
          alias: 'production',
          from: null,
          to: 1,
        });
        expect(await store.moveAlias({ model: 'iris', alias: 'candidate', version: 1, note: null, by: 'bob', at: Date.now() })).toEqual({ alias: 'candidate', from: 2, to: 1 });
        expect((await store.getModelVersion('iris', { version: 1 }))?.aliases).toEqual(['candidate', 'production']);
        expect((await store.getModelVersion('iris', { version: 2 }))?.aliases).toEqual([]);
        expect((await store.listModels())[0]?.aliases).toEqual({ candidate: 1, production: 1 });

        const audit = await store.modelAudit({ model: 'iris' });
        expect(audit.map(({ action, by, alias, fromVersion, toVersion, runId, note }) => ({ action, by, alias, fromVersion, toVersion, runId, note }))).toEqual([
          { action: 'alias', by: 'bob', alias: 'candidate', fromVersion: 2, toVersion: 1, runId: a.id, note: null },
          { action: 'alias', by: 'bob', alias: 'production', fromVersion: null, toVersion: 1, runId: a.id, note: 'first to ship' },
          { action: 'promote', by: 'carol', alias: 'candidate', fromVersion: 1, toVersion: 2, runId: b.id, note: 'retrained' },
          { action: 'promote', by: 'alice', alias: 'candidate', fromVersion: null, toVersion: 1, runId: a.id, note: null },
        ]);
        expect(audit.every((e) => e.model === 'iris' && typeof e.at === 'number')).toBe(true);
        expect(new Set(audit.map((e) => e.id)).size).toBe(4);
        expect(await store.modelAudit({ model: 'iris', limit: 1 })).toEqual([audit[0]]);
        expect(await store.modelAudit({ model: 'nobody' })).toEqual([]);
      });

      it('keeps the audit of each model apart, and lists every model without one', async () => {
        const run = await finishedRun();
        await promote(run, 'iris');
        await promote(run, 'churn');
        expect((await store.modelAudit({ model: 'churn' })).map((e) => e.model)).toEqual(['churn']);
        expect((await store.modelAudit({})).map((e) => e.model)).toEqual(['churn', 'iris']);
      });

      it('refuses to move an alias to a missing version or model', async () => {
        await promote(await finishedRun());
        const audit = await store.modelAudit({});
        await expect(store.moveAlias({ model: 'iris', alias: 'production', version: 2, note: null, by: 'bob', at: Date.now() })).rejects.toMatchObject({
          code: 'REPRISE_ERR_MODEL_NOT_FOUND',
        });
        await expect(store.moveAlias({ model: 'nobody', alias: 'production', version: 1, note: null, by: 'bob', at: Date.now() })).rejects.toMatchObject({
          code: 'REPRISE_ERR_MODEL_NOT_FOUND',
        });
        expect(await store.modelAudit({})).toEqual(audit);
        expect((await store.listModels())[0]?.aliases).toEqual({ candidate: 1 });
      });

      it('gives the versions made from each run, with their aliases', async () => {
        const [a, b, c] = [await finishedRun(), await finishedRun(), await finishedRun()];
        await promote(a, 'iris');
        await promote(b, 'iris');
        await promote(a, 'churn', { alias: 'production' });
        const found = await store.modelVersionsOfRuns([a.id, b.id, c.id, newRunId()]);
        expect([...found.get(a.id)!].sort((x, y) => x.model.localeCompare(y.model))).toEqual([
          { model: 'churn', version: 1, aliases: ['production'] },
          { model: 'iris', version: 1, aliases: [] },
        ]);
        expect(found.get(b.id)).toEqual([{ model: 'iris', version: 2, aliases: ['candidate'] }]);
        expect(found.has(c.id)).toBe(false);
        expect(found.size).toBe(2);
        expect((await store.modelVersionsOfRuns([])).size).toBe(0);
      });

      it('pins a promoted run, which then takes no other mark', async () => {
        const run = await finishedRun();
        await promote(run);
        const pinned = (await store.retentionMarks([run.id])).get(run.id);
        expect(pinned).toMatchObject({ state: 'pinned', until: null, manual: false });
        expect(pinned?.reason).toContain('iris');
        await expect(store.setRetention(run.id, mark('flagged', ENDED))).rejects.toMatchObject({ code: 'REPRISE_ERR_RUN_PINNED' });
        await expect(store.setRetention(run.id, mark('kept'))).rejects.toMatchObject({ code: 'REPRISE_ERR_RUN_PINNED' });
        expect((await store.retentionMarks([run.id])).get(run.id)).toEqual(pinned);
      });

      it('records a mark, replaces it with the next, and leaves out runs without one', async () => {
        const [a, b] = [await finishedRun({ status: 'failed' }), await finishedRun()];
        expect((await store.retentionMarks([a.id, b.id])).size).toBe(0);
        const kept = mark('kept');
        await store.setRetention(a.id, kept);
        expect((await store.retentionMarks([a.id, b.id])).get(a.id)).toMatchObject({ state: 'kept', until: null, reason: kept.reason, manual: true, by: 'bob' });
        const flagged = mark('flagged', ENDED + 5);
        await store.setRetention(a.id, flagged);
        const marks = await store.retentionMarks([a.id, b.id]);
        expect(marks.get(a.id)).toMatchObject({ state: 'flagged', until: ENDED + 5, reason: flagged.reason, manual: true, by: 'bob' });
        expect(typeof marks.get(a.id)?.at).toBe('number');
        expect(marks.has(b.id)).toBe(false);
        expect((await store.retentionMarks([])).size).toBe(0);
      });

      it('refuses a mark for an unknown run', async () => {
        await expect(store.setRetention(newRunId(), mark('kept'))).rejects.toMatchObject({ code: 'REPRISE_ERR_RUN_NOT_FOUND' });
      });

      it('keeps a deleted run deleted, and never promotes it', async () => {
        const run = await finishedRun();
        await store.setRetention(run.id, mark('deleted', ENDED + 10));
        await expect(store.setRetention(run.id, mark('kept'))).rejects.toMatchObject({ code: 'REPRISE_ERR_RETENTION_INVALID' });
        await expect(store.setRetention(run.id, mark('flagged', ENDED))).rejects.toMatchObject({ code: 'REPRISE_ERR_RETENTION_INVALID' });
        expect((await store.retentionMarks([run.id])).get(run.id)).toMatchObject({ state: 'deleted', reason: 'artifacts deleted by gc' });
        await expect(promote(run)).rejects.toMatchObject({ code: 'REPRISE_ERR_PROMOTION_REFUSED' });
        expect(await store.listModels()).toEqual([]);
        expect((await store.retentionMarks([run.id])).get(run.id)?.state).toBe('deleted');
      });

      it('takes the mark gc records, which names no one', async () => {
        const run = await finishedRun({ status: 'failed' });
        const gc: RetentionMark = { state: 'deleted', until: ENDED + 10, reason: 'artifacts deleted by gc', manual: false, by: null, at: ENDED + 10 };
        await store.setRetention(run.id, gc);
        expect((await store.retentionMarks([run.id])).get(run.id)).toMatchObject({ state: 'deleted', reason: gc.reason, manual: false, by: null });
      });

      it("filters runs by their gate outcome, following changes to the manifest's gate", async () => {
        const failedGate: GateOutcome = { status: 'failed', evaluatedAt: ENDED, results: [] };
        const noneGate: GateOutcome = { status: 'none', evaluatedAt: ENDED, results: [] };
        const passed = await finishedRun({ createdAt: 1_000 });
        const failed = await finishedRun({ createdAt: 2_000, gate: failedGate });
        const none = await finishedRun({ createdAt: 3_000, gate: noneGate });
        const [running] = await given(makeRunRecord({ createdAt: 4_000, status: 'running' }));
        const ids = async (text: string) => (await store.listRuns({ filter: filter(text) })).runs.map((r) => r.id);

        expect(await ids("gate = 'passed'")).toEqual([passed.id]);
        expect(await ids("gate = 'failed'")).toEqual([failed.id]);
        expect(await ids("gate in ('passed', 'none')")).toEqual([none.id, passed.id]);
        expect(await store.countRuns({ filter: filter("gate = 'passed'") })).toBe(1);

        // A later `reprise gate` rewrites the outcome in the manifest.
        const regated: RunManifest = { ...failed.manifest, outputs: { ...failed.manifest.outputs, gate: passedGate } };
        expect(await store.updateRun(failed.id, { manifest: regated })).toBe(true);
        expect(await ids("gate = 'passed'")).toEqual([failed.id, passed.id]);
        expect(await ids("gate = 'failed'")).toEqual([]);
        const demoted: RunManifest = { ...passed.manifest, outputs: { ...passed.manifest.outputs, gate: failedGate } };
        expect(await store.updateRun(passed.id, { manifest: demoted })).toBe(true);
        expect(await ids("gate = 'passed'")).toEqual([failed.id]);
        expect(await ids("gate = 'failed'")).toEqual([passed.id]);
        // A run still going has no outcome, so no outcome matches it.
        expect(await ids("gate in ('passed', 'failed', 'none')")).not.toContain(running!.id);
      });
    });
    describe('the queue', () => {
      const workerNamed = (id: string, over: Partial<WorkerRegistration> = {}): WorkerRegistration => ({
        id,
        name: `agent ${id.slice(-4)}`,
        kind: 'agent',
        host: 'agent-host',
        pid: 777,
        queues: ['default'],
        slots: 2,
        gpus: ['0', '1'],
        version: '0.1.0',
        startedAt: 4_000,
        ...over,
      });

      it('hands out queued runs by priority, then oldest first, each to one worker, marked preparing and held', async () => {
        const old = makeQueuedRun({ createdAt: 1_000, id: newRunId(1_000) });
        const urgent = makeQueuedRun({ createdAt: 3_000, id: newRunId(3_000), priority: 5 });
        const young = makeQueuedRun({ createdAt: 2_000, id: newRunId(2_000) });
        const elsewhere = makeQueuedRun({ createdAt: 500, id: newRunId(500), queue: 'gpu' });
        await store.submitRuns([old, urgent, young, elsewhere]);
        const w = newRunId();
        await store.registerWorker(workerNamed(w));

        const first = await store.claimRun(claimFor(w));
        expect(first?.id).toBe(urgent.id);
        expect(first).toMatchObject({ status: 'preparing', host: 'agent-host', pid: 777 });
        expect(first!.heartbeatAt).toBeGreaterThanOrEqual(5_000);
        expect(first?.manifest.status).toBe('preparing');
        expect((await store.claimRun(claimFor(w)))?.id).toBe(old.id);
        expect((await store.claimRun(claimFor(w)))?.id).toBe(young.id);
        expect(await store.claimRun(claimFor(w))).toBeUndefined();
        expect((await store.claimRun(claimFor(w, { queues: ['gpu', 'default'] })))?.id).toBe(elsewhere.id);
        expect(await store.runHolder(urgent.id)).toEqual({ status: 'preparing', worker: w });
        expect(await store.runHolder(newRunId())).toBeUndefined();
        const held = (await store.listWorkers(0)).find((x) => x.id === w);
        expect([...(held?.runs ?? [])].sort()).toEqual([urgent.id, old.id, young.id, elsewhere.id].sort());
      });

      it('never gives one run to two claims at once', async () => {
        const runs = Array.from({ length: 12 }, (_, i) => makeQueuedRun({ createdAt: 1_000 + i, id: newRunId(1_000 + i) }));
        await store.submitRuns(runs);
        const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => store.claimRun(claimFor(`w${i % 4}`))));
        const got = claims.filter((c) => c !== undefined).map((c) => c.id);
        expect(got.sort()).toEqual(runs.map((r) => r.id).sort());
      });

      it("gives a run only to a worker with the GPUs it needs, and one GPU each where the worker has GPUs", async () => {
        const two = makeQueuedRun({ createdAt: 1_000, id: newRunId(1_000), gpus: 2 });
        const unsaid = makeQueuedRun({ createdAt: 2_000, id: newRunId(2_000), gpus: null });
        const none = makeQueuedRun({ createdAt: 3_000, id: newRunId(3_000), gpus: 0 });
        await store.submitRuns([two, unsaid, none]);
        // A machine without GPUs: only the runs that need none (the unsaid one needs none there).
        expect((await store.claimRun(claimFor('cpu')))?.id).toBe(unsaid.id);
        expect((await store.claimRun(claimFor('cpu')))?.id).toBe(none.id);
        expect(await store.claimRun(claimFor('cpu'))).toBeUndefined();
        // One free GPU is not enough for two.
        expect(await store.claimRun(claimFor('gpu', { hasGpus: true, freeGpus: 1 }))).toBeUndefined();
        expect((await store.claimRun(claimFor('gpu', { hasGpus: true, freeGpus: 2 })))?.id).toBe(two.id);
      });

      it('waits for a run when asked to, and takes one queued while it waits', async () => {
        const t0 = Date.now();
        expect(await store.claimRun(claimFor('w', { waitMs: 300 }))).toBeUndefined();
        expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
        const late = makeQueuedRun({ id: newRunId() });
        const waiting = store.claimRun(claimFor('w', { waitMs: 5_000 }));
        await new Promise((r) => setTimeout(r, 250));
        await store.submitRuns([late]);
        expect((await waiting)?.id).toBe(late.id);
      });

      it("renews only the runs a worker holds, says which were canceled or are gone, and marks the worker seen", async () => {
        const [a, b, c] = [1, 2, 3].map((i) => makeQueuedRun({ createdAt: 1_000 + i, id: newRunId(1_000 + i) }));
        await store.submitRuns([a!, b!, c!]);
        await store.registerWorker(workerNamed('w1'));
        await store.registerWorker(workerNamed('w2'));
        await store.claimRun(claimFor('w1'));
        await store.claimRun(claimFor('w1'));
        await store.claimRun(claimFor('w2'));
        expect(await store.requestCancel(b!.id, { by: 'bob', at: 6_000 })).toBe(true);
        const before = await store.getRun(c!.id);
        const beat = await store.heartbeat({ at: 9_000, runIds: [a!.id, b!.id, c!.id, 'nonexistent'], worker: 'w1' });
        expect(beat).toEqual({ [a!.id]: 'running', [b!.id]: 'cancel', [c!.id]: 'gone', nonexistent: 'gone' });
        expect((await store.getRun(a!.id))?.heartbeatAt).toBeGreaterThanOrEqual(9_000);
        expect((await store.getRun(c!.id))?.heartbeatAt).toBe(before?.heartbeatAt);
        expect((await store.listWorkers(8_000)).map((w) => w.id)).toEqual(['w1']);
        await expect(store.heartbeat({ at: 9_000, runIds: [], worker: 'never-registered' })).rejects.toMatchObject({ code: 'REPRISE_ERR_WORKER_NOT_FOUND' });
        // A run that ended is gone for everyone; a foreground run beats without a worker.
        const [fg] = await given(makeRunRecord({ status: 'running' }));
        expect(await store.heartbeat({ at: 9_500, runIds: [fg!.id] })).toEqual({ [fg!.id]: 'running' });
        expect(await store.requestCancel(fg!.id, { by: 'bob', at: 9_600 })).toBe(true);
        expect(await store.heartbeat({ at: 9_700, runIds: [fg!.id] })).toEqual({ [fg!.id]: 'cancel' });
        expect(await store.updateRun(fg!.id, { status: 'canceled', endedAt: 9_800 })).toBe(true);
        expect(await store.heartbeat({ at: 9_900, runIds: [fg!.id] })).toEqual({ [fg!.id]: 'gone' });
        expect(await store.requestCancel(fg!.id, { by: 'bob', at: 9_950 })).toBe(false);
      });

      it('settles a lost run and queues its retry in one step, once', async () => {
        const q = makeQueuedRun({ id: newRunId(1_000), createdAt: 1_000 });
        await store.submitRuns([q]);
        const claimed = (await store.claimRun(claimFor('w1')))!;
        const retry = makeQueuedRun({ id: newRunId(2_000), createdAt: 2_000, attempt: 2 });
        const lost = { ...claimed.manifest, status: 'lost' as const };
        expect(await store.settleLostRun(claimed.id, { status: 'lost', endedAt: 1_500, manifest: lost }, retry)).toBe(true);
        expect((await store.getRun(claimed.id))?.status).toBe('lost');
        expect((await store.getRun(retry.id))?.status).toBe('queued');
        // Settled already: nothing applies, no second retry.
        const again = makeQueuedRun({ id: newRunId(3_000), createdAt: 3_000, attempt: 2 });
        expect(await store.settleLostRun(claimed.id, { status: 'lost', endedAt: 1_500, manifest: lost }, again)).toBe(false);
        expect(await store.getRun(again.id)).toBeUndefined();
        expect((await store.claimRun(claimFor('w2')))?.id).toBe(retry.id);
      });

      it('queues a sweep with its runs all or nothing, and counts its runs by status', async () => {
        const sweepId = newRunId(1_000);
        const sweep = { id: sweepId, name: 'grid-a', project: 'mnist', createdAt: 1_000, createdBy: 'alice', spec: { kind: 'grid', axes: [{ key: 'lr', values: [0.1, 0.2] }] }, description: 'grid lr (2 runs)', runs: 2 };
        const runs = [0, 1].map((index) => makeQueuedRun({ id: newRunId(1_000 + index), createdAt: 1_000 + index, sweep: { id: sweepId, name: 'grid-a', index } }));
        // A duplicate id fails the whole submission: neither the sweep nor any run is left.
        await expect(store.submitRuns([runs[0]!, runs[0]!], sweep)).rejects.toThrow();
        expect(await store.listSweeps({})).toEqual([]);
        expect(await store.getRun(runs[0]!.id)).toBeUndefined();

        await store.submitRuns(runs, sweep);
        await store.claimRun(claimFor('w'));
        const [listed] = await store.listSweeps({ project: 'mnist' });
        expect(listed).toMatchObject({ id: sweepId, name: 'grid-a', runs: 2, createdBy: 'alice', byStatus: { preparing: 1, queued: 1 } });
        expect(listed?.spec).toEqual(sweep.spec);
        expect(await store.listSweeps({ project: 'other' })).toEqual([]);
        expect((await store.findSweeps('grid-a', 5)).map((s) => s.id)).toEqual([sweepId]);
        expect((await store.findSweeps(sweepId.slice(0, 8).toUpperCase(), 5)).map((s) => s.id)).toEqual([sweepId]);
        const inSweep = await store.listRuns({ filter: filter(`sweep = '${sweepId}'`), order: parseRunOrder('created asc') });
        expect(inSweep.runs.map((r) => r.id)).toEqual(runs.map((r) => r.id));
        expect(await store.countRuns({ filter: filter("queue = 'default' and status = 'queued'") })).toBe(1);
      });

      it('remembers a hook delivery with the runs it queued, and queues nothing for the same delivery again', async () => {
        const first = makeQueuedRun({ id: newRunId(1_000) });
        const delivery = { provider: 'github' as const, id: 'd-1', project: 'mnist', receivedAt: 1_000, commit: COMMIT, runIds: [first.id] };
        await store.submitRuns([first], undefined, delivery);
        expect(await store.hookDelivery('github', 'd-1', 'mnist')).toEqual(delivery);
        const second = makeQueuedRun({ id: newRunId(2_000) });
        const err = await store.submitRuns([second], undefined, { ...delivery, runIds: [second.id] }).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'REPRISE_ERR_HOOK_DELIVERY_SEEN' });
        expect(await store.getRun(second.id)).toBeUndefined();
        // The same id from another host, or for another project, is another delivery.
        await store.submitRuns([second], undefined, { ...delivery, provider: 'gitlab', runIds: [second.id] });
        expect(await store.getRun(second.id)).toBeDefined();
        expect(await store.hookDelivery('github', 'd-1', 'other')).toBeUndefined();
      });

      it('finds runs by what started them, and runs older than triggers by what their manifest implies', async () => {
        const merged = makeQueuedRun({ id: newRunId(1_000) });
        merged.manifest.trigger = {
          kind: 'merge', by: 'grace', provider: 'github', repository: 'https://git.example.com/acme/ml', branch: 'main', commit: COMMIT, before: null,
          author: { name: 'Ada', email: null }, message: 'm', delivery: 'd', url: null, image: null,
        };
        const submitted = makeQueuedRun({ id: newRunId(2_000) });
        const foreground = makeRunRecord({ id: newRunId(3_000) });
        await store.submitRuns([merged, submitted]);
        await store.createRun(foreground);
        const kinds = async (text: string): Promise<string[]> => (await store.listRuns({ filter: filter(text), order: parseRunOrder('created asc') })).runs.map((r) => r.id);
        expect(await kinds("trigger = 'merge'")).toEqual([merged.id]);
        expect(await kinds("trigger = 'submit'")).toEqual([submitted.id]);
        expect(await kinds("trigger = 'run'")).toEqual([foreground.id]);
        expect(await store.countRuns({ filter: filter("trigger != 'merge'") })).toBe(2);
      });

      it('links projects to repositories; the secret stays with the server', async () => {
        const link = { project: 'mnist', url: 'https://bot:t0ken@git.example.com/acme/ml.git', branch: 'main', queue: null, path: 'ml', createdAt: 1_000, createdBy: 'alice', updatedAt: 1_000 };
        await store.saveRepositoryLink(link, 'secret-0123456789abcdef');
        await store.saveRepositoryLink({ ...link, project: 'cifar', url: '/srv/git/cifar.git', queue: 'gpu', path: '' }, 'another-secret-0123456');
        const listed = await store.repositoryLinks();
        expect(listed.map((l) => l.project)).toEqual(['cifar', 'mnist']);
        expect(listed[1]).toMatchObject({ branch: 'main', queue: null, path: 'ml', createdBy: 'alice' });
        expect(listed[0]).toMatchObject({ url: '/srv/git/cifar.git', queue: 'gpu' });
        expect(JSON.stringify(listed)).not.toContain('secret-0123456789abcdef');
        if (options.serverSide) {
          expect(listed[1]!.url).toBe(link.url);
          expect(await store.repositoryLinkSecret('mnist')).toBe('secret-0123456789abcdef');
          expect(await store.repositoryLinkSecret('nope')).toBeUndefined();
        } else {
          expect(listed[1]!.url).toBe('https://bot:***@git.example.com/acme/ml.git');
          await expect(store.repositoryLinkSecret('mnist')).rejects.toMatchObject({ code: 'REPRISE_ERR_REPO_LINK_INVALID' });
        }
        // Linking again changes the link and keeps when and by whom it was made.
        await store.saveRepositoryLink({ ...link, url: 'https://git.example.com/acme/ml2.git', branch: 'release', createdAt: 5_000, createdBy: 'bob', updatedAt: 5_000 }, 'secret-0123456789abcdef-2');
        expect((await store.repositoryLinks('mnist'))[0]).toMatchObject({ url: 'https://git.example.com/acme/ml2.git', branch: 'release', createdAt: 1_000, createdBy: 'alice' });
        if (options.serverSide) expect(await store.repositoryLinkSecret('mnist')).toBe('secret-0123456789abcdef-2');
        expect(await store.deleteRepositoryLink('mnist')).toBe(true);
        expect(await store.deleteRepositoryLink('mnist')).toBe(false);
        expect((await store.repositoryLinks()).map((l) => l.project)).toEqual(['cifar']);
      });

      it('lists workers seen since a time with the active runs they hold, and those that stopped', async () => {
        await store.registerWorker(workerNamed('w1', { startedAt: 1_000 }));
        await store.registerWorker(workerNamed('w2', { startedAt: 2_000, gpus: [], kind: 'server', queues: ['a', 'b'] }));
        await store.submitRuns([makeQueuedRun({ id: newRunId() })]);
        const run = (await store.claimRun(claimFor('w2')))!;
        await store.stopWorker('w1', 3_000);
        const listed = await store.listWorkers(0);
        expect(listed.map((w) => w.id)).toEqual(['w2', 'w1']);
        expect(listed[0]).toMatchObject({ kind: 'server', queues: ['a', 'b'], gpus: [], slots: 2, stoppedAt: null, runs: [run.id] });
        expect(listed[1]).toMatchObject({ gpus: ['0', '1'], runs: [] });
        expect(listed[1]!.stoppedAt).toBeGreaterThanOrEqual(3_000);
        expect(listed[1]!.seenAt).toBe(listed[1]!.stoppedAt);
        expect((await store.listWorkers(2_500)).map((w) => w.id)).toEqual(['w1']);
        // Ended runs are no longer held.
        await store.updateRun(run.id, { status: 'succeeded', endedAt: 4_000 });
        expect((await store.listWorkers(0))[0]?.runs).toEqual([]);
      });
    });

    // What the MLflow-compatible API relies on. Most of it is written only in the server's
    // own process (the HTTP adapter refuses it), hence the gate on `serverSide`.
    describe('projects as records, and what MLflow clients record', () => {
      const serverIt = it.skipIf(!options.serverSide);
      const ENDED = 1_700_000_100_000;
      const passedGate: GateOutcome = { status: 'passed', evaluatedAt: ENDED, results: [] };
      const art = (path: string, size = 1): Artifact => ({ path, size, sha256: SHA_A });

      /** A run that succeeded and passed its gates, with `artifacts` as its manifest and stored list. */
      async function passedRun(artifacts: Artifact[] = [art('model/MLmodel', 5), art('model/model.pkl', 50)], over: { project?: string } = {}): Promise<RunRecord> {
        const base = makeRunRecord({ status: 'succeeded', endedAt: ENDED, ...over });
        const run: RunRecord = { ...base, manifest: { ...base.manifest, outputs: { ...base.manifest.outputs, artifacts, gate: passedGate } } };
        await store.createRun(run);
        await store.setArtifacts(run.id, artifacts);
        return run;
      }

      const ids = async (q: RunQuery): Promise<string[]> => (await store.listRuns(q)).runs.map((r) => r.id);

      let modelSeq = 0;
      /** A logged model as the MLflow API first records it, with a new id (`m-` and 32 hex digits). */
      const logged = (run: RunRecord, name: string, over: Partial<LoggedModelRecord> = {}): Omit<LoggedModelRecord, 'path'> => ({
        id: `m-${(++modelSeq).toString(16).padStart(32, '0')}`,
        project: run.project,
        name,
        runId: run.id,
        status: 'pending',
        statusMessage: null,
        modelType: null,
        createdAt: 1_000,
        updatedAt: 1_000,
        params: {},
        tags: {},
        ...over,
      });

      it('holds the Default project (id 0) from the start, and a record for each project a run is recorded in', async () => {
        const fresh = await store.projectRecords();
        expect(fresh).toEqual([expect.objectContaining({ id: DEFAULT_PROJECT.id, name: DEFAULT_PROJECT.name, deletedAt: null, tags: {}, registerFrom: 'promoted' })]);
        await given(makeRunRecord({ project: 'mnist', createdAt: 1_000 }), makeRunRecord({ project: 'cifar', createdAt: 2_000 }), makeRunRecord({ project: 'mnist', createdAt: 3_000 }));
        await store.submitRuns([makeQueuedRun({ project: 'queued-only' })]);
        const records = await store.projectRecords();
        expect(records.map((p) => p.name)).toEqual(['Default', 'mnist', 'cifar', 'queued-only']);
        // Numbers grow in the order projects first appear, and none is reused.
        const numbers = records.map((p) => p.id);
        expect(numbers[0]).toBe(0);
        for (let i = 1; i < numbers.length; i++) expect(numbers[i]).toBeGreaterThan(numbers[i - 1]!);
        const mnist = records[1]!;
        expect(mnist).toMatchObject({ deletedAt: null, tags: {}, registerFrom: 'promoted' });
        expect(await store.projectRecord({ name: 'mnist' })).toEqual(mnist);
        expect(await store.projectRecord({ id: mnist.id })).toEqual(mnist);
        expect(await store.projectRecord({ id: 0 })).toEqual(records[0]);
        expect(await store.projectRecord({ name: 'nope' })).toBeUndefined();
        expect(await store.projectRecord({ id: numbers.at(-1)! + 100 })).toBeUndefined();
      });

      it("changes a project's model policy and keeps it", async () => {
        await given(makeRunRecord({ project: 'mnist' }));
        const changed = await store.updateProject('mnist', { at: 5_000, registerFrom: 'passed' });
        expect(changed).toMatchObject({ name: 'mnist', registerFrom: 'passed', deletedAt: null });
        expect((await store.projectRecord({ name: 'mnist' }))?.registerFrom).toBe('passed');
        expect((await store.updateProject('mnist', { at: 6_000, registerFrom: 'promoted' })).registerFrom).toBe('promoted');
        expect((await store.projectRecord({ name: 'mnist' }))?.registerFrom).toBe('promoted');
        await expect(store.updateProject('nope', { at: 7_000, registerFrom: 'passed' })).rejects.toMatchObject({ code: 'REPRISE_ERR_PROJECT_NOT_FOUND' });
      });

      serverIt('creates a project with tags, and refuses a taken name, a deleted project\'s and one made by a run included', async () => {
        await given(makeRunRecord({ project: 'mnist' }));
        const made = await store.createProject({ name: 'churn', at: 2_000, tags: { team: 'risk' } });
        expect(made).toMatchObject({ name: 'churn', createdAt: 2_000, updatedAt: 2_000, deletedAt: null, tags: { team: 'risk' }, registerFrom: 'promoted' });
        expect(made.id).toBeGreaterThan((await store.projectRecord({ name: 'mnist' }))!.id);
        expect(await store.projectRecord({ id: made.id })).toEqual(made);
        const bare = await store.createProject({ name: 'bare', at: 3_000 });
        expect(bare.tags).toEqual({});
        expect(bare.id).toBeGreaterThan(made.id);

        for (const taken of ['churn', 'mnist', 'Default']) {
          await expect(store.createProject({ name: taken, at: 4_000 }), taken).rejects.toMatchObject({ code: 'REPRISE_ERR_PROJECT_EXISTS' });
        }
        await store.updateProject('churn', { at: 5_000, deletedAt: 5_000 });
        await expect(store.createProject({ name: 'churn', at: 6_000 })).rejects.toMatchObject({ code: 'REPRISE_ERR_PROJECT_EXISTS' });
        expect((await store.projectRecords()).filter((p) => p.name === 'churn')).toHaveLength(1);
      });

      serverIt('sets and removes tags of a project', async () => {
        await store.createProject({ name: 'churn', at: 1_000, tags: { team: 'risk', stage: 'dev' } });
        const changed = await store.updateProject('churn', { at: 2_000, setTags: { stage: 'prod', owner: 'ada' }, deleteTags: ['team', 'never-set'] });
        expect(changed).toMatchObject({ tags: { stage: 'prod', owner: 'ada' }, updatedAt: 2_000, createdAt: 1_000 });
        expect((await store.projectRecord({ name: 'churn' }))?.tags).toEqual({ stage: 'prod', owner: 'ada' });
        await expect(store.updateProject('nope', { at: 3_000, setTags: { a: 'b' } })).rejects.toMatchObject({ code: 'REPRISE_ERR_PROJECT_NOT_FOUND' });
      });

      serverIt('deletes a project with its runs, and a restore brings back only the runs deleted with it', async () => {
        const [a, b, alone, other] = await given(
          makeRunRecord({ project: 'mnist', createdAt: 1_000 }),
          makeRunRecord({ project: 'mnist', createdAt: 2_000 }),
          makeRunRecord({ project: 'mnist', createdAt: 3_000 }),
          makeRunRecord({ project: 'cifar', createdAt: 4_000 }),
        );
        expect(await store.setRunDeleted(alone!.id, 10_000)).toBe(true);

        const deleted = await store.updateProject('mnist', { at: 20_000, deletedAt: 20_000 });
        expect(deleted.deletedAt).toBe(20_000);
        expect((await store.getRun(a!.id))?.deletedAt).toBe(20_000);
        expect((await store.getRun(b!.id))?.deletedAt).toBe(20_000);
        // The run deleted on its own keeps its own time.
        expect((await store.getRun(alone!.id))?.deletedAt).toBe(10_000);
        expect(await ids({ project: 'mnist' })).toEqual([]);
        expect(await ids({})).toEqual([other!.id]);
        expect(await ids({ project: 'mnist', deleted: 'only' })).toEqual([alone!.id, b!.id, a!.id]);

        // Deleting it again changes nothing.
        await store.updateProject('mnist', { at: 25_000, deletedAt: 25_000 });
        expect((await store.getRun(a!.id))?.deletedAt).toBe(20_000);

        const restored = await store.updateProject('mnist', { at: 30_000, deletedAt: null });
        expect(restored.deletedAt).toBeNull();
        expect(await ids({ project: 'mnist' })).toEqual([b!.id, a!.id]);
        expect((await store.getRun(a!.id))?.deletedAt ?? null).toBeNull();
        expect((await store.getRun(alone!.id))?.deletedAt).toBe(10_000);
        expect(await ids({ project: 'mnist', deleted: 'only' })).toEqual([alone!.id]);
        expect((await store.getRun(other!.id))?.deletedAt ?? null).toBeNull();
      });

      serverIt('leaves deleted runs out of listings and counts unless asked for', async () => {
        const [a, b, c] = await given(makeRunRecord({ createdAt: 1_000 }), makeRunRecord({ createdAt: 2_000 }), makeRunRecord({ createdAt: 3_000 }));
        expect(await store.setRunDeleted(b!.id, 5_000)).toBe(true);
        expect(await ids({})).toEqual([c!.id, a!.id]);
        expect(await ids({ deleted: 'exclude' })).toEqual([c!.id, a!.id]);
        expect(await ids({ deleted: 'only' })).toEqual([b!.id]);
        expect(await ids({ deleted: 'include' })).toEqual([c!.id, b!.id, a!.id]);
        expect(await store.countRuns({})).toBe(2);
        expect(await store.countRuns({ deleted: 'only' })).toBe(1);
        expect(await store.countRuns({ deleted: 'include' })).toBe(3);
        // With a filter and in pages too.
        expect(await ids({ deleted: 'include', filter: filter(`attributes.created >= 2000`) })).toEqual([c!.id, b!.id]);
        expect((await allPages({ deleted: 'include', limit: 1 })).ids).toEqual([c!.id, b!.id, a!.id]);
        expect((await allPages({ limit: 1 })).ids).toEqual([c!.id, a!.id]);
        // Still there by id, saying when it was deleted.
        expect(await store.getRun(b!.id)).toEqual({ ...b, deletedAt: 5_000 });

        expect(await store.setRunDeleted(b!.id, null)).toBe(true);
        expect(await ids({})).toEqual([c!.id, b!.id, a!.id]);
        expect((await store.getRun(b!.id))?.deletedAt ?? null).toBeNull();
        expect(await store.setRunDeleted(newRunId(), 6_000)).toBe(false);
      });

      serverIt('lists the runs of any of several projects, and none for an empty list', async () => {
        const [a, b, c] = await given(
          makeRunRecord({ project: 'a', createdAt: 1_000 }),
          makeRunRecord({ project: 'b', createdAt: 2_000 }),
          makeRunRecord({ project: 'c', createdAt: 3_000 }),
        );
        expect(await ids({ projects: ['a', 'c'] })).toEqual([c!.id, a!.id]);
        expect(await ids({ projects: ['b', 'nope'] })).toEqual([b!.id]);
        expect(await ids({ projects: [] })).toEqual([]);
        expect(await store.countRuns({ projects: [] })).toBe(0);
        expect(await store.countRuns({ projects: ['a', 'b', 'c'] })).toBe(3);
        // With `project` both must hold.
        expect(await ids({ project: 'a', projects: ['a', 'b'] })).toEqual([a!.id]);
        expect(await ids({ project: 'c', projects: ['a', 'b'] })).toEqual([]);
        await store.setRunDeleted(a!.id, 5_000);
        expect(await ids({ projects: ['a', 'c'] })).toEqual([c!.id]);
        expect(await ids({ projects: ['a', 'c'], deleted: 'include' })).toEqual([c!.id, a!.id]);
      });

      serverIt('renames a run, its manifest with it', async () => {
        const [run] = await given(makeRunRecord({ name: 'old-name' }));
        expect(await store.renameRun(run!.id, 'new-name')).toBe(true);
        const got = await store.getRun(run!.id);
        expect(got?.name).toBe('new-name');
        expect(got?.manifest.run.name).toBe('new-name');
        expect({ ...got, name: run!.name, manifest: { ...got!.manifest, run: { ...got!.manifest.run, name: run!.name } } }).toEqual(run);
        expect((await store.findRuns('new-name', 5)).map((r) => r.id)).toEqual([run!.id]);
        expect(await store.findRuns('old-name', 5)).toEqual([]);
        expect(await store.renameRun(newRunId(), 'x')).toBe(false);
      });

      serverIt('adds artifacts one by one, replacing those of the same path', async () => {
        const [run, other] = await given(makeRunRecord(), makeRunRecord());
        await store.setArtifacts(run!.id, [art('a.txt', 1), art('plots/b.png', 2)]);
        await store.addArtifacts(run!.id, [art('plots/c.png', 3), art('a.txt', 10)]);
        await store.addArtifacts(run!.id, []);
        expect(await store.listArtifacts(run!.id)).toEqual([art('a.txt', 10), art('plots/b.png', 2), art('plots/c.png', 3)]);
        expect(await store.listArtifacts(other!.id)).toEqual([]);
      });

      serverIt('removes an artifact path and everything under it, not a sibling sharing its prefix, with % and _ taken literally', async () => {
        const [run] = await given(makeRunRecord());
        const all = ['a/b', 'a/b/c.txt', 'a/b/d/e.txt', 'a/bc', 'a/bc/f.txt', 'a_b/g', 'axb/h', 'p%/i', 'p%q/j', 'z.txt'];
        await store.addArtifacts(run!.id, all.map((p) => art(p)));
        const left = async () => (await store.listArtifacts(run!.id)).map((a) => a.path);
        expect(await store.removeArtifacts(run!.id, 'a/b')).toBe(3);
        expect(await left()).toEqual(['a/bc', 'a/bc/f.txt', 'a_b/g', 'axb/h', 'p%/i', 'p%q/j', 'z.txt']);
        expect(await store.removeArtifacts(run!.id, 'a_b')).toBe(1);
        expect(await store.removeArtifacts(run!.id, 'p%')).toBe(1);
        expect(await left()).toEqual(['a/bc', 'a/bc/f.txt', 'axb/h', 'p%q/j', 'z.txt']);
        expect(await store.removeArtifacts(run!.id, 'z.txt')).toBe(1);
        expect(await store.removeArtifacts(run!.id, 'nothing/here')).toBe(0);
        expect(await left()).toEqual(['a/bc', 'a/bc/f.txt', 'axb/h', 'p%q/j']);
      });

      serverIt('records the datasets a run read once per name and digest, and the models it took in or put out', async () => {
        const [run, other, none] = await given(makeRunRecord(), makeRunRecord(), makeRunRecord());
        const ds = (name: string, digest: string, context = 'training') => ({
          name,
          digest,
          sourceType: 'local',
          source: JSON.stringify({ uri: `/data/${name}.csv` }),
          schema: null,
          profile: JSON.stringify({ num_rows: 150 }),
          tags: { 'mlflow.data.context': context },
        });
        await store.addRunInputs(run!.id, { datasets: [ds('iris', 'd1'), ds('iris', 'd2')] });
        // The same dataset again (a second log_input) is still one.
        await store.addRunInputs(run!.id, { datasets: [ds('iris', 'd1')], models: [{ modelId: 'm-in', direction: 'input', step: 0 }] });
        await store.addRunInputs(run!.id, { models: [{ modelId: 'm-out', direction: 'output', step: 7 }] });
        await store.addRunInputs(other!.id, { datasets: [ds('wine', 'd3', 'eval')] });

        const found = await store.runInputs([run!.id, other!.id, none!.id, newRunId()]);
        const mine = found.get(run!.id)!;
        expect(mine.datasets.map((d) => [d.name, d.digest])).toEqual([
          ['iris', 'd1'],
          ['iris', 'd2'],
        ]);
        expect(mine.datasets[0]).toEqual(ds('iris', 'd1'));
        expect([...mine.models].sort((x, y) => x.modelId.localeCompare(y.modelId))).toEqual([
          { modelId: 'm-in', direction: 'input', step: 0 },
          { modelId: 'm-out', direction: 'output', step: 7 },
        ]);
        expect(found.get(other!.id)).toEqual({ datasets: [ds('wine', 'd3', 'eval')], models: [] });
        expect(found.has(none!.id)).toBe(false);
        expect(found.size).toBe(2);
        expect((await store.runInputs([])).size).toBe(0);
      });

      serverIt("gives a logged model its name as folder, a second of that name in the run models/<id>, and keeps the folder on update", async () => {
        const [run, other] = await given(makeRunRecord({ project: 'mnist' }), makeRunRecord({ project: 'cifar' }));
        const first = await store.saveLoggedModel(logged(run!, 'model', { createdAt: 1_000 }));
        expect(first.path).toBe('model');
        const second = await store.saveLoggedModel(logged(run!, 'model', { createdAt: 2_000 }));
        expect(second.path).toBe(`models/${second.id}`);
        // Another run's model of the same name takes its own run's folder of that name.
        const elsewhere = await store.saveLoggedModel(logged(other!, 'model', { createdAt: 3_000 }));
        expect(elsewhere.path).toBe('model');

        const ready = await store.saveLoggedModel({ ...logged(run!, 'model'), id: first.id, status: 'ready', updatedAt: 4_000, params: { alpha: '0.5' }, tags: { flavor: 'sklearn' } });
        expect(ready).toMatchObject({ id: first.id, path: 'model', status: 'ready', updatedAt: 4_000, params: { alpha: '0.5' }, tags: { flavor: 'sklearn' } });
        expect(await store.loggedModel(first.id)).toEqual(ready);
        expect(await store.loggedModel('m-00000000000000000000000000000000')).toBeUndefined();

        expect((await store.loggedModels({})).map((m) => m.id)).toEqual([elsewhere.id, second.id, first.id]);
        expect((await store.loggedModels({ projects: ['mnist'] })).map((m) => m.id)).toEqual([second.id, first.id]);
        expect((await store.loggedModels({ projects: ['mnist', 'cifar'] })).map((m) => m.id)).toEqual([elsewhere.id, second.id, first.id]);
        expect((await store.loggedModels({ runId: other!.id })).map((m) => m.id)).toEqual([elsewhere.id]);
        expect((await store.loggedModels({ projects: ['cifar'], runId: run!.id }))).toEqual([]);

        expect(await store.deleteLoggedModel(second.id)).toBe(true);
        expect(await store.deleteLoggedModel(second.id)).toBe(false);
        expect(await store.loggedModel(second.id)).toBeUndefined();
        expect((await store.loggedModels({ runId: run!.id })).map((m) => m.id)).toEqual([first.id]);
      });

      serverIt('creates an empty registered model with a description and tags, refusing a taken name', async () => {
        const made = await store.createModel({ name: 'churn', by: 'alice', description: 'who leaves', tags: { team: 'risk' }, at: 1_000 });
        expect(made).toEqual({ name: 'churn', createdAt: 1_000, updatedAt: 1_000, description: 'who leaves', tags: { team: 'risk' }, versions: 0, latestVersion: 0, aliases: {} });
        expect(await store.listModels()).toEqual([made]);
        expect(await store.modelVersions('churn')).toEqual({ model: made, versions: [] });
        await expect(store.createModel({ name: 'churn', by: 'bob', description: null, tags: {}, at: 2_000 })).rejects.toMatchObject({ code: 'REPRISE_ERR_MODEL_EXISTS' });
        // A name taken by a promotion too.
        await store.createModelVersion({ model: 'iris', runId: (await passedRun()).id, alias: 'candidate', note: null, by: 'alice', at: 3_000 });
        await expect(store.createModel({ name: 'iris', by: 'bob', description: null, tags: {}, at: 4_000 })).rejects.toMatchObject({ code: 'REPRISE_ERR_MODEL_EXISTS' });
        expect(await store.listModels()).toEqual([made, expect.objectContaining({ name: 'iris', versions: 1 })]);
      });

      serverIt('registers a version without moving an alias, with its description and tags, and audits it', async () => {
        await store.createModel({ name: 'iris', by: 'alice', description: null, tags: {}, at: 1_000 });
        const run = await passedRun();
        const made = await store.createModelVersion({ model: 'iris', runId: run.id, alias: null, description: 'first try', tags: { source: 'mlflow' }, note: null, by: 'bob', at: 2_000 });
        expect(made.alias).toBeNull();
        expect(made.version).toMatchObject({ model: 'iris', version: 1, runId: run.id, aliases: [], description: 'first try', tags: { source: 'mlflow' }, path: 'model', createdBy: 'bob' });
        expect(made.version.files.map((f) => f.path)).toEqual(['MLmodel', 'model.pkl']);
        expect((await store.listModels())[0]).toMatchObject({ name: 'iris', versions: 1, latestVersion: 1, aliases: {} });
        const audit = await store.modelAudit({ model: 'iris' });
        expect(audit).toHaveLength(1);
        expect(audit[0]).toMatchObject({ action: 'promote', by: 'bob', fromVersion: null, toVersion: 1, runId: run.id });
        // Registered is promoted: the run is pinned.
        expect((await store.retentionMarks([run.id])).get(run.id)?.state).toBe('pinned');
      });

      serverIt("registers from another folder of the run's stored artifacts, as a client uploaded them", async () => {
        // A client's run: nothing in the manifest's outputs, its files added one by one.
        const run = await passedRun([]);
        await store.addArtifacts(run.id, [art('clf/MLmodel', 4), art('clf/model.pkl', 40), art('clf/sub/conda.yaml', 3), art('clfx/other.bin', 9), art('plots/fig.png', 2)]);
        await expect(store.createModelVersion({ model: 'iris', runId: run.id, alias: null, note: null, by: 'bob', at: 1_000 })).rejects.toMatchObject({ code: 'REPRISE_ERR_MODEL_INVALID' });
        await expect(store.createModelVersion({ model: 'iris', runId: run.id, alias: null, path: 'nothing', note: null, by: 'bob', at: 1_000 })).rejects.toMatchObject({
          code: 'REPRISE_ERR_MODEL_INVALID',
        });
        expect(await store.listModels()).toEqual([]);
        const { version } = await store.createModelVersion({ model: 'iris', runId: run.id, alias: null, path: 'clf', note: null, by: 'bob', at: 2_000 });
        expect(version.path).toBe('clf');
        expect(version.files).toEqual([
          { path: 'MLmodel', size: 4, sha256: SHA_A },
          { path: 'model.pkl', size: 40, sha256: SHA_A },
          { path: 'sub/conda.yaml', size: 3, sha256: SHA_A },
        ]);
        expect(version.bytes).toBe(47);
        expect(await store.getModelVersion('iris', { version: 1 })).toEqual(version);
      });

      serverIt('changes the description and tags of a model and of a version', async () => {
        const run = await passedRun();
        await store.createModelVersion({ model: 'iris', runId: run.id, alias: 'candidate', tags: { a: '1', b: '2' }, note: null, by: 'alice', at: 1_000 });
        const model = await store.updateModel('iris', { description: 'flowers', setTags: { team: 'botany', stage: 'dev' }, at: 2_000 });
        expect(model).toMatchObject({ name: 'iris', description: 'flowers', tags: { team: 'botany', stage: 'dev' }, updatedAt: 2_000, versions: 1, aliases: { candidate: 1 } });
        // Without a description the description stays; null clears it.
        expect(await store.updateModel('iris', { setTags: { stage: 'prod' }, deleteTags: ['team'], at: 3_000 })).toMatchObject({ description: 'flowers', tags: { stage: 'prod' } });
        expect(await store.updateModel('iris', { description: null, at: 4_000 })).toMatchObject({ description: null, tags: { stage: 'prod' } });
        expect((await store.listModels())[0]).toMatchObject({ description: null, tags: { stage: 'prod' }, updatedAt: 4_000 });

        const version = await store.updateModelVersion('iris', 1, { description: 'the first', setTags: { c: '3' }, deleteTags: ['a'], at: 5_000 });
        expect(version).toMatchObject({ version: 1, description: 'the first', tags: { b: '2', c: '3' }, aliases: ['candidate'], runId: run.id });
        expect(await store.getModelVersion('iris', { version: 1 })).toEqual(version);
        expect(await store.updateModelVersion('iris', 1, { at: 6_000, deleteTags: ['b'] })).toMatchObject({ description: 'the first', tags: { c: '3' } });

        await expect(store.updateModel('nope', { description: 'x', at: 7_000 })).rejects.toMatchObject({ code: 'REPRISE_ERR_MODEL_NOT_FOUND' });
        await expect(store.updateModelVersion('iris', 2, { description: 'x', at: 7_000 })).rejects.toMatchObject({ code: 'REPRISE_ERR_MODEL_NOT_FOUND' });
        await expect(store.updateModelVersion('nope', 1, { description: 'x', at: 7_000 })).rejects.toMatchObject({ code: 'REPRISE_ERR_MODEL_NOT_FOUND' });
      });

      serverIt('removes an alias with an audit entry, and says when there was none', async () => {
        const run = await passedRun();
        await store.createModelVersion({ model: 'iris', runId: run.id, alias: 'candidate', note: null, by: 'alice', at: 1_000 });
        await store.moveAlias({ model: 'iris', alias: 'production', version: 1, note: null, by: 'alice', at: 2_000 });
        expect(await store.removeAlias({ model: 'iris', alias: 'candidate', by: 'bob', at: 3_000 })).toBe(true);
        expect(await store.removeAlias({ model: 'iris', alias: 'candidate', by: 'bob', at: 4_000 })).toBe(false);
        expect(await store.removeAlias({ model: 'nope', alias: 'candidate', by: 'bob', at: 4_000 })).toBe(false);
        expect((await store.getModelVersion('iris', { version: 1 }))?.aliases).toEqual(['production']);
        expect(await store.getModelVersion('iris', { alias: 'candidate' })).toBeUndefined();
        expect((await store.listModels())[0]?.aliases).toEqual({ production: 1 });
        const [latest] = await store.modelAudit({ model: 'iris' });
        expect(latest).toMatchObject({ action: 'unalias', by: 'bob', alias: 'candidate', fromVersion: 1, at: 3_000 });
        expect(await store.modelAudit({ model: 'iris' })).toHaveLength(3);
      });

      serverIt('deletes a version with its aliases, then the whole model; the runs stay pinned', async () => {
        const [a, b] = [await passedRun(), await passedRun()];
        await store.createModelVersion({ model: 'iris', runId: a.id, alias: 'production', note: null, by: 'alice', at: 1_000 });
        await store.createModelVersion({ model: 'iris', runId: b.id, alias: 'candidate', note: null, by: 'alice', at: 2_000 });
        await store.moveAlias({ model: 'iris', alias: 'shadow', version: 1, note: null, by: 'alice', at: 3_000 });

        await store.deleteModel({ model: 'iris', version: 1, by: 'bob', at: 4_000 });
        expect(await store.getModelVersion('iris', { version: 1 })).toBeUndefined();
        expect(await store.getModelVersion('iris', { alias: 'production' })).toBeUndefined();
        expect((await store.modelVersions('iris'))?.versions.map((v) => [v.version, v.aliases])).toEqual([[2, ['candidate']]]);
        expect((await store.listModels())[0]).toMatchObject({ versions: 1, aliases: { candidate: 2 } });
        expect((await store.modelVersionsOfRuns([a.id])).has(a.id)).toBe(false);
        expect((await store.modelAudit({ model: 'iris' }))[0]).toMatchObject({ action: 'delete', by: 'bob', runId: a.id });
        expect((await store.retentionMarks([a.id])).get(a.id)?.state).toBe('pinned');

        await expect(store.deleteModel({ model: 'iris', version: 1, by: 'bob', at: 5_000 })).rejects.toMatchObject({ code: 'REPRISE_ERR_MODEL_NOT_FOUND' });
        await expect(store.deleteModel({ model: 'nope', by: 'bob', at: 5_000 })).rejects.toMatchObject({ code: 'REPRISE_ERR_MODEL_NOT_FOUND' });
        await expect(store.deleteModel({ model: 'nope', version: 1, by: 'bob', at: 5_000 })).rejects.toMatchObject({ code: 'REPRISE_ERR_MODEL_NOT_FOUND' });

        await store.deleteModel({ model: 'iris', by: 'bob', at: 6_000 });
        expect(await store.listModels()).toEqual([]);
        expect(await store.modelVersions('iris')).toBeUndefined();
        expect(await store.getModelVersion('iris', { alias: 'candidate' })).toBeUndefined();
        expect(await store.allModelVersions()).toEqual([]);
        expect((await store.modelAudit({ model: 'iris' }))[0]).toMatchObject({ action: 'delete', by: 'bob', at: 6_000 });
        const marks = await store.retentionMarks([a.id, b.id]);
        expect([marks.get(a.id)?.state, marks.get(b.id)?.state]).toEqual(['pinned', 'pinned']);
        // The name is free again.
        expect(await store.createModel({ name: 'iris', by: 'carol', description: null, tags: {}, at: 7_000 })).toMatchObject({ name: 'iris', versions: 0 });
      });

      serverIt('lists every version of every model by model, newest first, or one model\'s', async () => {
        const [a, b, c] = [await passedRun(), await passedRun(), await passedRun()];
        await store.createModelVersion({ model: 'iris', runId: a.id, alias: 'candidate', note: null, by: 'alice', at: 1_000 });
        await store.createModelVersion({ model: 'churn', runId: b.id, alias: null, note: null, by: 'alice', at: 2_000 });
        await store.createModelVersion({ model: 'iris', runId: c.id, alias: null, note: null, by: 'alice', at: 3_000 });
        await store.createModel({ name: 'empty', by: 'alice', description: null, tags: {}, at: 4_000 });
        const all = await store.allModelVersions();
        expect(all.map((v) => [v.model, v.version, v.runId])).toEqual([
          ['churn', 1, b.id],
          ['iris', 2, c.id],
          ['iris', 1, a.id],
        ]);
        expect(all[2]?.aliases).toEqual(['candidate']);
        expect(await store.allModelVersions('iris')).toEqual(all.slice(1));
        expect(await store.allModelVersions('empty')).toEqual([]);
        expect(await store.allModelVersions('nope')).toEqual([]);
      });

      it('gives the time of the last point (highest step, then latest) in each summary', async () => {
        const [run] = await given(makeRunRecord());
        await append(run!.id, [point('loss', 0, 500, 1), point('loss', 5, 200, 0.5), point('loss', 3, 900, 0.7)]);
        expect((await store.metricSummaries([run!.id])).get(run!.id)?.loss).toMatchObject({ last: 0.5, lastStep: 5, lastTs: 200 });
        // The same step again, later: that point is the last now.
        await append(run!.id, [point('loss', 5, 250, 0.4)]);
        expect((await store.metricSummaries([run!.id])).get(run!.id)?.loss).toMatchObject({ last: 0.4, lastStep: 5, lastTs: 250, count: 4 });
      });
    });
  });
}
