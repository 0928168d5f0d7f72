/**
 * The behaviour every MonitoringStore adapter must have. An adapter's test calls
 * `runMonitoringStoreContract` with a factory for a fresh, empty store (its metadata
 * store initialised), and a cleanup.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RepriseError } from '../core/errors.js';
import { DEFAULT_MONITOR_SETTINGS, LATENCY_EDGES_MS, type DriftWindow, type FeatureDrift, type NewAlert, type PredictionSample, type TrafficBucket } from '../core/model-monitoring.js';
import type { MonitoringStore } from './monitoring-store.js';

const T0 = 1_790_000_000_000;
const MINUTE = 60_000;

export function makeSample(requestId: string, over: Partial<PredictionSample> = {}): PredictionSample {
  return {
    requestId,
    model: 'iris',
    alias: 'prod',
    version: 1,
    at: T0,
    latencyMs: 3.5,
    inputs: [{ sepal_length: 5.1, species_hint: 'setosa' }],
    outputs: ['setosa'],
    error: null,
    feedback: null,
    ...over,
  };
}

/** A latency histogram with `counts` in its first buckets. */
function latency(...counts: number[]): number[] {
  const h: number[] = new Array<number>(LATENCY_EDGES_MS.length + 1).fill(0);
  counts.forEach((c, i) => (h[i] = c));
  return h;
}

export function makeBucket(over: Partial<TrafficBucket> = {}): TrafficBucket {
  return { model: 'iris', version: 1, start: T0, node: 'node-a', requests: 10, errors: 1, latency: latency(4, 5, 1), ...over };
}

function feature(name: string, over: Partial<FeatureDrift> = {}): FeatureDrift {
  return { feature: name, kind: 'number', rows: 120, missingRate: 0, psi: 0.05, ks: 0.1, js: null, chi2: null, drifted: false, reasons: [], ...over };
}

export function makeWindow(start: number, over: Partial<DriftWindow> = {}): DriftWindow {
  return {
    model: 'iris',
    version: 1,
    start,
    end: start + 3_600_000,
    rows: 120,
    features: [feature('sepal_length'), feature('species_hint', { kind: 'category', ks: null, js: 0.3, chi2: { statistic: 12.5, pValue: 0.002 }, drifted: true, reasons: ['js 0.300 > 0.2'] })],
    prediction: feature('prediction', { kind: 'category', ks: null, js: 0.01, chi2: { statistic: 0.4, pValue: 0.8 } }),
    live: { labelled: 40, accuracy: 0.925, meanAbsoluteError: null },
    skipped: null,
    computedAt: start + 3_600_500,
    ...over,
  };
}

export function makeAlert(over: Partial<NewAlert> = {}): NewAlert {
  return {
    model: 'iris',
    version: 1,
    kind: 'drift',
    subject: 'petal_length',
    message: 'petal_length drifted: PSI 0.41 > 0.2',
    value: 0.41,
    threshold: 0.2,
    windowStart: T0,
    raisedAt: T0,
    ...over,
  };
}

export function runMonitoringStoreContract(name: string, open: () => Promise<{ store: MonitoringStore; cleanup: () => Promise<void> }>): void {
  describe(`MonitoringStore contract: ${name}`, () => {
    let store: MonitoringStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await open());
    });
    afterEach(async () => {
      await cleanup();
    });

    it('keeps one settings record per model, replaced by the next', async () => {
      expect(await store.monitorSettings('iris')).toBeUndefined();
      await store.setMonitorSettings('iris', DEFAULT_MONITOR_SETTINGS, 'ada', T0);
      expect(await store.monitorSettings('iris')).toEqual({ settings: DEFAULT_MONITOR_SETTINGS, updatedAt: T0, updatedBy: 'ada' });
      const changed = {
        ...DEFAULT_MONITOR_SETTINGS,
        sampleRate: 0.25,
        thresholds: { ...DEFAULT_MONITOR_SETTINGS.thresholds, psi: 0.3, latencyP99Ms: 250 },
        webhooks: ['https://hooks.example.com/T1/B2'],
      };
      await store.setMonitorSettings('iris', changed, 'grace', T0 + 5);
      expect(await store.monitorSettings('iris')).toEqual({ settings: changed, updatedAt: T0 + 5, updatedBy: 'grace' });
      expect(await store.monitorSettings('cifar10')).toBeUndefined();
    });

    it('stores a reference profile per version, replaced when made again, or why there is none', async () => {
      const profile = { rows: 150, target: 'species', features: [{ name: 'sepal_length', kind: 'number', edges: [4.3, 5.1, 5.8, 7.9], counts: [0.3, 0.4, 0.3] }] };
      await store.putReferenceProfile({ model: 'iris', version: 1, madeAt: T0, profile, error: null });
      await store.putReferenceProfile({ model: 'iris', version: 2, madeAt: T0 + 1, profile: null, error: 'the run logged no dataset' });
      expect(await store.referenceProfile('iris', 1)).toEqual({ model: 'iris', version: 1, madeAt: T0, profile, error: null });
      expect(await store.referenceProfile('iris', 2)).toEqual({ model: 'iris', version: 2, madeAt: T0 + 1, profile: null, error: 'the run logged no dataset' });
      expect(await store.referenceProfile('iris', 3)).toBeUndefined();
      await store.putReferenceProfile({ model: 'iris', version: 2, madeAt: T0 + 9, profile: { rows: 10, features: [] }, error: null });
      expect(await store.referenceProfile('iris', 2)).toEqual({ model: 'iris', version: 2, madeAt: T0 + 9, profile: { rows: 10, features: [] }, error: null });
      // A profile is whatever JSON the profiler made, a bare string included.
      await store.putReferenceProfile({ model: 'iris', version: 4, madeAt: T0, profile: 'v1:compact', error: null });
      expect((await store.referenceProfile('iris', 4))?.profile).toBe('v1:compact');
    });

    it('adds samples; a request id sent again keeps what was stored first', async () => {
      await store.addSamples([makeSample('r1'), makeSample('r2', { at: T0 + 1 })]);
      await store.addSamples([makeSample('r1', { at: T0 + 50, outputs: ['virginica'] }), makeSample('r3', { at: T0 + 2 })]);
      // The same id twice in one batch: the first of them is kept.
      await store.addSamples([makeSample('r4', { at: T0 + 3, alias: 'first' }), makeSample('r4', { at: T0 + 3, alias: 'second' })]);
      await store.addSamples([]);
      expect(await store.sample('r1')).toEqual(makeSample('r1'));
      expect((await store.sample('r4'))?.alias).toBe('first');
      expect(await store.sample('missing')).toBeUndefined();
      expect((await store.samples({ model: 'iris', from: 0, to: T0 + 100 })).map((s) => s.requestId)).toEqual(['r1', 'r2', 'r3', 'r4']);
    });

    it('reads the samples of a window [from, to), oldest first, of one version, up to a limit', async () => {
      await store.addSamples([
        makeSample('c', { at: T0 + 20 }),
        makeSample('a', { at: T0 }),
        makeSample('b', { at: T0 + 10, version: 2 }),
        makeSample('d', { at: T0 + 30 }),
        makeSample('x', { at: T0 + 15, model: 'cifar10' }),
        makeSample('early', { at: T0 - 1 }),
      ]);
      const ids = async (q: Parameters<MonitoringStore['samples']>[0]): Promise<string[]> => (await store.samples(q)).map((s) => s.requestId);
      expect(await ids({ model: 'iris', from: T0, to: T0 + 30 })).toEqual(['a', 'b', 'c']);
      expect(await ids({ model: 'iris', from: T0, to: T0 + 31 })).toEqual(['a', 'b', 'c', 'd']);
      expect(await ids({ model: 'iris', from: T0, to: T0 + 31, version: 1 })).toEqual(['a', 'c', 'd']);
      expect(await ids({ model: 'iris', from: T0, to: T0 + 31, limit: 2 })).toEqual(['a', 'b']);
      expect(await ids({ model: 'iris', from: T0, to: T0 + 31, version: 1, limit: 2 })).toEqual(['a', 'c']);
      expect(await ids({ model: 'cifar10', from: 0, to: T0 * 2 })).toEqual(['x']);
      expect(await ids({ model: 'iris', from: T0 + 31, to: T0 + 100 })).toEqual([]);
    });

    it('keeps inputs, outputs and errors as they were sent', async () => {
      const inputs = [
        { a: 1.25, b: 'text with "quotes", \\ and ünïcödé', c: null, d: [1, [2, [3]], { e: true }], f: -0.000001, g: 1e21 },
        [1, 2, 3],
        'a bare string',
        null,
        { nested: { deeper: { list: [{}, [], ''] } } },
      ];
      const outputs = [{ label: 'setosa', scores: [0.9, 0.05, 0.05] }, [0.1, 0.2], 'x', null, 42];
      await store.addSamples([makeSample('rich', { inputs, outputs, latencyMs: 12.75 }), makeSample('failed', { outputs: null, error: 'the model process exited with code 1' })]);
      expect(await store.sample('rich')).toEqual(makeSample('rich', { inputs, outputs, latencyMs: 12.75 }));
      expect(await store.sample('failed')).toEqual(makeSample('failed', { outputs: null, error: 'the model process exited with code 1' }));
    });

    it('stores a batch whose strings hold NUL or half a surrogate pair, those characters as U+FFFD', async () => {
      await store.addSamples([makeSample('odd', { inputs: [{ name: 'a\u0000b', half: 'x\ud800y', pair: '😀', escaped: '\\u0000' }] }), makeSample('plain', { at: T0 + 1 })]);
      expect((await store.sample('odd'))?.inputs).toEqual([{ name: 'a\ufffdb', half: 'x\ufffdy', pair: '😀', escaped: '\\u0000' }]);
      expect(await store.sample('plain')).toEqual(makeSample('plain', { at: T0 + 1 }));
    });

    it('records feedback of a sampled request, replaced by a later one; false for one never sampled', async () => {
      await store.addSamples([makeSample('r1', { inputs: [{ x: 1 }, { x: 2 }], outputs: ['a', 'b'] })]);
      expect(await store.addFeedback('r1', ['a', 'c'], T0 + 100)).toBe(true);
      expect((await store.sample('r1'))?.feedback).toEqual(['a', 'c']);
      expect(await store.addFeedback('r1', [{ label: 'a' }, null], T0 + 200)).toBe(true);
      expect((await store.sample('r1'))?.feedback).toEqual([{ label: 'a' }, null]);
      expect(await store.addFeedback('never', ['a'], T0)).toBe(false);
      expect(await store.sample('never')).toBeUndefined();
      // Feedback survives a resend of the sample itself.
      await store.addSamples([makeSample('r1')]);
      expect((await store.sample('r1'))?.feedback).toEqual([{ label: 'a' }, null]);
    });

    it('prunes only the older samples of the model asked for', async () => {
      await store.addSamples([
        makeSample('old1', { at: T0 - 20 }),
        makeSample('old2', { at: T0 - 10 }),
        makeSample('edge', { at: T0 }),
        makeSample('new', { at: T0 + 10 }),
        makeSample('other', { at: T0 - 20, model: 'cifar10' }),
      ]);
      expect(await store.pruneSamples('iris', T0)).toBe(2);
      expect(await store.pruneSamples('iris', T0)).toBe(0);
      expect((await store.samples({ model: 'iris', from: 0, to: T0 * 2 })).map((s) => s.requestId)).toEqual(['edge', 'new']);
      expect(await store.sample('other')).toBeDefined();
    });

    it('adds traffic counts to the bucket of the same model, version, minute and node; other nodes stay apart', async () => {
      await store.addTraffic([makeBucket()]);
      await store.addTraffic([makeBucket({ requests: 5, errors: 0, latency: latency(1, 0, 3) }), makeBucket({ node: 'node-b', requests: 7, errors: 2, latency: latency(0, 7) })]);
      // Twice in one batch: both counted.
      await store.addTraffic([makeBucket({ requests: 1, errors: 1, latency: latency(0, 0, 0, 1) }), makeBucket({ requests: 2, errors: 0, latency: latency(2) })]);
      await store.addTraffic([makeBucket({ version: 2, requests: 3, errors: 0, latency: latency(3) })]);
      await store.addTraffic([]);
      const buckets = await store.traffic({ model: 'iris', from: T0, to: T0 + MINUTE });
      expect(buckets).toEqual([
        makeBucket({ requests: 18, errors: 2, latency: latency(7, 5, 4, 1) }),
        makeBucket({ node: 'node-b', requests: 7, errors: 2, latency: latency(0, 7) }),
        makeBucket({ version: 2, requests: 3, errors: 0, latency: latency(3) }),
      ]);
    });

    it('adds a longer latency histogram to a shorter one bucket by bucket', async () => {
      await store.addTraffic([makeBucket({ latency: [1, 2] })]);
      await store.addTraffic([makeBucket({ latency: [1, 1, 5] })]);
      expect((await store.traffic({ model: 'iris', from: T0, to: T0 + 1 }))[0]?.latency).toEqual([2, 3, 5]);
    });

    it('reads the traffic of a model with from <= start < to, oldest first', async () => {
      await store.addTraffic([
        makeBucket({ start: T0 + 2 * MINUTE }),
        makeBucket({ start: T0 }),
        makeBucket({ start: T0 + MINUTE, node: 'node-b' }),
        makeBucket({ start: T0 + MINUTE }),
        makeBucket({ start: T0 + 3 * MINUTE }),
        makeBucket({ start: T0 + MINUTE, model: 'cifar10' }),
      ]);
      const found = await store.traffic({ model: 'iris', from: T0, to: T0 + 3 * MINUTE });
      expect(found.map((b) => [b.start - T0, b.node])).toEqual([
        [0, 'node-a'],
        [MINUTE, 'node-a'],
        [MINUTE, 'node-b'],
        [2 * MINUTE, 'node-a'],
      ]);
      expect(await store.traffic({ model: 'iris', from: T0 + 4 * MINUTE, to: T0 + 9 * MINUTE })).toEqual([]);
    });

    it('stores drift windows by model and start, replaced when scored again, and reads a range and the latest', async () => {
      const hour = 3_600_000;
      expect(await store.lastDriftWindow('iris')).toBeUndefined();
      await store.putDriftWindow(makeWindow(T0 + hour));
      await store.putDriftWindow(makeWindow(T0));
      await store.putDriftWindow(makeWindow(T0 + 2 * hour, { rows: 3, features: [], prediction: null, live: { labelled: 0, accuracy: null, meanAbsoluteError: null }, skipped: 'only 3 rows (fewer than 100)' }));
      await store.putDriftWindow(makeWindow(T0 + 5 * hour, { model: 'cifar10' }));
      expect(await store.driftWindows({ model: 'iris', from: T0, to: T0 + 3 * hour })).toEqual([
        makeWindow(T0),
        makeWindow(T0 + hour),
        makeWindow(T0 + 2 * hour, { rows: 3, features: [], prediction: null, live: { labelled: 0, accuracy: null, meanAbsoluteError: null }, skipped: 'only 3 rows (fewer than 100)' }),
      ]);
      expect((await store.driftWindows({ model: 'iris', from: T0 + hour, to: T0 + 2 * hour })).map((w) => w.start)).toEqual([T0 + hour]);
      expect(await store.lastDriftWindow('iris')).toBe(T0 + 2 * hour);
      expect(await store.lastDriftWindow('cifar10')).toBe(T0 + 5 * hour);

      const rescored = makeWindow(T0, { version: 2, rows: 400, live: { labelled: 0, accuracy: null, meanAbsoluteError: 0.25 }, computedAt: T0 + 9 * hour });
      await store.putDriftWindow(rescored);
      expect(await store.driftWindows({ model: 'iris', from: T0, to: T0 + 1 })).toEqual([rescored]);
    });

    it('keeps scores JSON cannot hold (NaN, ±Infinity) in a drift window', async () => {
      const w = makeWindow(T0, {
        features: [feature('petal_width', { psi: Infinity, ks: 1, drifted: true, reasons: ['psi Infinity > 0.2'] }), feature('NaN', { kind: 'category', ks: null, js: NaN, psi: -Infinity, chi2: { statistic: NaN, pValue: NaN } })],
        live: { labelled: 2, accuracy: NaN, meanAbsoluteError: null },
      });
      await store.putDriftWindow(w);
      expect(await store.driftWindows({ model: 'iris', from: T0, to: T0 + 1 })).toEqual([w]);
    });

    it('raises an alert once while it is open, seeing it again; after its acknowledgement raises a new one', async () => {
      const first = await store.raiseAlert(makeAlert());
      expect(first.raised).toBe(true);
      expect(first.alert).toEqual({ id: first.alert.id, ...makeAlert(), lastSeenAt: T0, ackedAt: null, ackedBy: null, ackNote: null, deliveries: [] });

      const again = await store.raiseAlert(makeAlert({ raisedAt: T0 + 3_600_000, value: 0.52, message: 'petal_length drifted: PSI 0.52 > 0.2', windowStart: T0 + 3_600_000 }));
      expect(again.raised).toBe(false);
      expect(again.alert).toEqual({ ...first.alert, lastSeenAt: T0 + 3_600_000, value: 0.52, message: 'petal_length drifted: PSI 0.52 > 0.2' });
      expect(await store.alert(first.alert.id)).toEqual(again.alert);

      // Another subject, kind or model is another alert.
      const other = await store.raiseAlert(makeAlert({ subject: 'sepal_width' }));
      const errors = await store.raiseAlert(makeAlert({ kind: 'errors', subject: 'petal_length' }));
      const cifar = await store.raiseAlert(makeAlert({ model: 'cifar10' }));
      expect([other.raised, errors.raised, cifar.raised]).toEqual([true, true, true]);
      expect(new Set([first.alert.id, other.alert.id, errors.alert.id, cifar.alert.id]).size).toBe(4);

      await store.ackAlert(first.alert.id, 'grace', null, T0 + 4_000_000);
      const reopened = await store.raiseAlert(makeAlert({ raisedAt: T0 + 7_200_000 }));
      expect(reopened.raised).toBe(true);
      expect(reopened.alert.id).not.toBe(first.alert.id);
      expect(reopened.alert).toMatchObject({ raisedAt: T0 + 7_200_000, lastSeenAt: T0 + 7_200_000, ackedAt: null });
      // The acknowledged one was left as it was.
      expect(await store.alert(first.alert.id)).toMatchObject({ lastSeenAt: T0 + 3_600_000, ackedBy: 'grace' });
    });

    it('counts an alert without a subject as its own subject', async () => {
      const serving = await store.raiseAlert(makeAlert({ kind: 'serving', subject: null, version: null, value: null, threshold: null, windowStart: null, message: 'the model process died' }));
      expect(serving.raised).toBe(true);
      expect(serving.alert).toMatchObject({ subject: null, version: null, value: null, threshold: null, windowStart: null });
      const withSubject = await store.raiseAlert(makeAlert({ kind: 'serving', subject: 'prod' }));
      expect(withSubject.raised).toBe(true);
      const seen = await store.raiseAlert(makeAlert({ kind: 'serving', subject: null, raisedAt: T0 + 10, message: 'the model process died again' }));
      expect(seen).toMatchObject({ raised: false, alert: { id: serving.alert.id, lastSeenAt: T0 + 10, message: 'the model process died again' } });
    });

    it('appends deliveries to an alert in the order they happened', async () => {
      const { alert } = await store.raiseAlert(makeAlert());
      await store.addAlertDelivery(alert.id, { url: 'https://hooks.example.com/a', at: T0 + 1, ok: true, detail: '200' });
      await store.addAlertDelivery(alert.id, { url: 'https://hooks.example.com/b', at: T0 + 2, ok: false, detail: 'connect ECONNREFUSED 10.0.0.9:443' });
      expect((await store.alert(alert.id))?.deliveries).toEqual([
        { url: 'https://hooks.example.com/a', at: T0 + 1, ok: true, detail: '200' },
        { url: 'https://hooks.example.com/b', at: T0 + 2, ok: false, detail: 'connect ECONNREFUSED 10.0.0.9:443' },
      ]);
      // Seen again: the deliveries stay.
      await store.raiseAlert(makeAlert({ raisedAt: T0 + 5 }));
      expect((await store.alert(alert.id))?.deliveries).toHaveLength(2);
      await expect(store.addAlertDelivery(alert.id + 1000, { url: 'https://hooks.example.com/a', at: T0, ok: true, detail: '200' })).rejects.toMatchObject({ code: 'REPRISE_ERR_ALERT_NOT_FOUND' });
    });

    it('acknowledges an alert once, with who, when and a note; an unknown id is refused', async () => {
      const { alert } = await store.raiseAlert(makeAlert());
      const acked = await store.ackAlert(alert.id, 'grace', 'retraining on the new supplier data', T0 + 100);
      expect(acked).toEqual({ ...alert, ackedAt: T0 + 100, ackedBy: 'grace', ackNote: 'retraining on the new supplier data' });
      expect(await store.alert(alert.id)).toEqual(acked);
      // A second acknowledgement keeps the first.
      expect(await store.ackAlert(alert.id, 'ada', null, T0 + 200)).toEqual(acked);

      const missing = await store.ackAlert(alert.id + 1000, 'grace', null, T0).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(missing).toBeInstanceOf(RepriseError);
      expect(missing).toMatchObject({ code: 'REPRISE_ERR_ALERT_NOT_FOUND', details: { id: alert.id + 1000 } });
      expect((missing as Error).message).toContain(String(alert.id + 1000));
      expect(await store.alert(alert.id + 1000)).toBeUndefined();
    });

    it('lists alerts newest first, of one model, only open ones, up to a limit', async () => {
      const a = (await store.raiseAlert(makeAlert({ subject: 'a', raisedAt: T0 + 1 }))).alert;
      const b = (await store.raiseAlert(makeAlert({ subject: 'b', raisedAt: T0 + 3 }))).alert;
      const c = (await store.raiseAlert(makeAlert({ subject: 'c', raisedAt: T0 + 2, model: 'cifar10' }))).alert;
      const d = (await store.raiseAlert(makeAlert({ subject: 'd', raisedAt: T0 + 4 }))).alert;
      await store.ackAlert(b.id, 'grace', null, T0 + 10);
      const ids = async (q: Parameters<MonitoringStore['alerts']>[0]): Promise<number[]> => (await store.alerts(q)).map((x) => x.id);
      expect(await ids({})).toEqual([d.id, b.id, c.id, a.id]);
      expect(await ids({ model: 'iris' })).toEqual([d.id, b.id, a.id]);
      expect(await ids({ open: true })).toEqual([d.id, c.id, a.id]);
      expect(await ids({ model: 'iris', open: true })).toEqual([d.id, a.id]);
      // open: false does not filter (acknowledged ones are listed with the others).
      expect(await ids({ open: false })).toEqual([d.id, b.id, c.id, a.id]);
      expect(await ids({ limit: 2 })).toEqual([d.id, b.id]);
      expect(await ids({ model: 'none' })).toEqual([]);
      // Seen again does not move an alert: raised_at orders them.
      await store.raiseAlert(makeAlert({ subject: 'a', raisedAt: T0 + 50 }));
      expect(await ids({ model: 'iris' })).toEqual([d.id, b.id, a.id]);
    });

    it('lists at most 100 alerts unless asked for more', async () => {
      for (let i = 0; i < 105; i++) await store.raiseAlert(makeAlert({ subject: `f${i}`, raisedAt: T0 + i }));
      const listed = await store.alerts({});
      expect(listed).toHaveLength(100);
      expect(listed[0]?.subject).toBe('f104');
      expect(await store.alerts({ limit: 200 })).toHaveLength(105);
    });
  });
}
