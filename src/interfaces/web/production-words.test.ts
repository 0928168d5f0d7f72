import { describe, expect, it } from 'vitest';
import type { Alert, DriftWindow, FeatureDrift, TrafficPoint } from './api.js';
import {
  ackText,
  alertKindText,
  alertValueText,
  deliveriesText,
  driftBucket,
  driftedIn,
  driftRows,
  driftTitle,
  durationText,
  errorRate,
  formatLatency,
  formatShare,
  healthBadge,
  latestScored,
  liveColumns,
  pendingText,
  rangeKey,
  rangeTimes,
  servedText,
  trafficColumns,
  windowLabel,
} from './production-words.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const T0 = Date.UTC(2026, 11, 3, 9);
const THRESHOLDS = { psi: 0.2, ks: 0.2, js: 0.2 };

function drift(feature: string, psi: number, extra: Partial<FeatureDrift> = {}): FeatureDrift {
  return { feature, kind: 'number', rows: 500, missingRate: 0, psi, ks: 0.05, js: null, chi2: null, drifted: psi >= 0.2, reasons: psi >= 0.2 ? [`psi ${psi} > 0.2`] : [], ...extra };
}

function window(start: number, features: FeatureDrift[], extra: Partial<DriftWindow> = {}): DriftWindow {
  return {
    model: 'iris-classifier',
    version: 1,
    start,
    end: start + HOUR,
    rows: 500,
    features,
    prediction: null,
    live: { labelled: 0, accuracy: null, meanAbsoluteError: null },
    skipped: null,
    computedAt: start + HOUR,
    ...extra,
  };
}

describe('production health and alerts in words', () => {
  it('gives each health its word, a class for its colour and what it means', () => {
    expect(healthBadge('drifting')).toEqual({ text: 'drifting', className: 'health health-drifting', title: 'its inputs or predictions no longer look like its training data, or a drift alert is still open' });
    expect(healthBadge('healthy').className).toBe('health health-healthy');
    expect(healthBadge('unprofiled').title).toContain('cannot be measured');
    // A health a newer server sends still shows its word.
    expect(healthBadge('retired' as never)).toEqual({ text: 'retired', className: 'health health-unknown', title: 'retired' });
  });

  it('says alert kinds as people do, and keeps kinds it does not know', () => {
    expect(alertKindText('drift')).toBe('input drift');
    expect(alertKindText('prediction-drift')).toBe('prediction drift');
    expect(alertKindText('errors')).toBe('error rate');
    expect(alertKindText('cost')).toBe('cost');
  });

  it("writes an alert's value against its threshold in the unit of its kind", () => {
    expect(alertValueText({ kind: 'drift', value: 0.8412, threshold: 0.2 })).toBe('0.841 (threshold 0.2)');
    expect(alertValueText({ kind: 'errors', value: 0.0625, threshold: 0.05 })).toBe('6.3% (threshold 5%)');
    expect(alertValueText({ kind: 'latency', value: 1500, threshold: 500 })).toBe('1.5 s (threshold 500 ms)');
    expect(alertValueText({ kind: 'serving', value: null, threshold: null })).toBe('');
    expect(alertValueText({ kind: 'accuracy', value: 0.81, threshold: null })).toBe('0.81');
  });

  it('counts webhook deliveries and says who acknowledged an alert, when and why', () => {
    const at = T0;
    expect(deliveriesText([])).toBe('none');
    expect(
      deliveriesText([
        { url: 'https://a', at, ok: true, detail: '200' },
        { url: 'https://b', at, ok: false, detail: '500' },
        { url: 'https://c', at, ok: true, detail: '204' },
      ]),
    ).toBe('2 ok, 1 failed');
    expect(deliveriesText([{ url: 'https://b', at, ok: false, detail: 'refused' }])).toBe('1 failed');
    const alert: Pick<Alert, 'ackedAt' | 'ackedBy' | 'ackNote'> = { ackedAt: T0, ackedBy: 'olga', ackNote: 'a retrain is planned' };
    expect(ackText(alert, T0 + 3 * MINUTE)).toBe('by olga 3 minutes ago: a retrain is planned');
    expect(ackText({ ...alert, ackNote: null }, T0 + 3 * MINUTE)).toBe('by olga 3 minutes ago');
    expect(ackText({ ackedAt: null, ackedBy: null, ackNote: null })).toBe('');
  });

  it('says what serves and what is pending', () => {
    expect(servedText({ alias: 'production', version: 3 })).toBe('production → v3');
    expect(pendingText({ version: 4, error: null })).toBe('v4 starting');
    expect(pendingText({ version: 4, error: 'no module named sklearn' })).toBe('v4 failed to start: no module named sklearn');
  });
});

describe('production figures', () => {
  it('formats latencies, shares, error rates and durations', () => {
    expect(formatLatency(12)).toBe('12 ms');
    expect(formatLatency(0.5)).toBe('0.5 ms');
    expect(formatLatency(1500)).toBe('1.5 s');
    expect(formatLatency(Infinity)).toBe('over 30 s');
    expect(formatLatency(null)).toBe('—');
    expect(formatShare(0)).toBe('0%');
    expect(formatShare(0.0004)).toBe('<0.1%');
    expect(formatShare(0.025)).toBe('2.5%');
    expect(formatShare(0.5)).toBe('50%');
    expect(formatShare(1)).toBe('100%');
    expect(errorRate(200, 3)).toBe('1.5%');
    expect(errorRate(0, 0)).toBe('—');
    expect(durationText(30 * 86_400_000)).toBe('30d');
    expect(durationText(HOUR)).toBe('1h');
    expect(durationText(90 * MINUTE)).toBe('90m');
    expect(durationText(45_000)).toBe('45s');
    expect(durationText(1500)).toBe('1.5s');
  });

  it('reads the range from the address, the last 24 hours unless it names another', () => {
    expect(rangeKey('7d')).toBe('7d');
    expect(rangeKey(null)).toBe('24h');
    expect(rangeKey('1y')).toBe('24h');
    expect(rangeTimes('1h', T0)).toEqual({ from: T0 - HOUR, to: T0 });
  });

  it('puts traffic on a minute grid: minutes without requests count none, their latency is a gap', () => {
    const points: TrafficPoint[] = [
      { start: T0 + MINUTE, requests: 10, errors: 1, p50Ms: 4, p99Ms: 20 },
      { start: T0 + 3 * MINUTE, requests: 5, errors: 0, p50Ms: 3, p99Ms: Infinity },
    ];
    const c = trafficColumns(points, T0 + 10, T0 + 4 * MINUTE);
    expect([...c.x]).toEqual([T0, T0 + MINUTE, T0 + 2 * MINUTE, T0 + 3 * MINUTE]);
    expect([...c.requests]).toEqual([0, 10, 0, 5]);
    expect([...c.errors]).toEqual([0, 1, 0, 0]);
    expect([...c.p50]).toEqual([NaN, 4, NaN, 3]);
    expect([...c.p99]).toEqual([NaN, 20, NaN, NaN]);
    expect(trafficColumns([], T0, T0 + 2 * MINUTE).x.length).toBe(2);
  });
});

describe('drift in the table', () => {
  it('colours a cell by its PSI against the threshold, and as drifted when any threshold was crossed', () => {
    expect(driftBucket(drift('a', 0.05), 0.2)).toBe('low');
    expect(driftBucket(drift('a', 0.12), 0.2)).toBe('watch');
    expect(driftBucket(drift('a', 0.2), 0.2)).toBe('drifted');
    expect(driftBucket(drift('a', 0.05, { drifted: true, reasons: ['ks 0.31 > 0.2'] }), 0.2)).toBe('drifted');
    expect(driftBucket(null, 0.2)).toBe('none');
    expect(driftBucket(drift('a', NaN, { drifted: false }), 0.2)).toBe('none');
  });

  it("titles a cell with PSI, KS or JS, the missing rate and why it drifted", () => {
    expect(driftTitle(drift('petal_length', 0.84, { ks: 0.31, missingRate: 0.02 }), THRESHOLDS)).toBe(
      'PSI 0.84 (threshold 0.2) · KS 0.31 (threshold 0.2) · 2% missing · 500 rows\ndrifted: psi 0.84 > 0.2',
    );
    expect(driftTitle(drift('species', 0.01, { kind: 'category', ks: null, js: 0.04 }), THRESHOLDS)).toBe('PSI 0.01 (threshold 0.2) · JS 0.04 (threshold 0.2) · 0% missing · 500 rows');
  });

  it('makes rows of the predictions first, then the features in the reference order, then the others', () => {
    const prediction = drift('prediction', 0.01, { kind: 'category', ks: null, js: 0.02 });
    const windows = [
      window(T0, [drift('sepal_length', 0.01), drift('extra', 0.02)], { prediction }),
      window(T0 + HOUR, [], { rows: 12, skipped: 'only 12 rows (needs 100)' }),
      window(T0 + 2 * HOUR, [drift('petal_length', 0.84), drift('sepal_length', 0.03)], { prediction }),
    ];
    const rows = driftRows(windows, ['sepal_length', 'petal_length', 'never_seen']);
    expect(rows.map((r) => [r.feature, r.prediction])).toEqual([
      ['prediction', true],
      ['sepal_length', false],
      ['petal_length', false],
      ['extra', false],
    ]);
    expect(rows[2]!.cells.map((c) => c?.psi ?? null)).toEqual([null, null, 0.84]);
    expect(rows[0]!.cells[1]).toBeNull();
    // The latest window scored, and what drifted there.
    expect(latestScored(windows)?.start).toBe(T0 + 2 * HOUR);
    expect(latestScored([...windows, window(T0 + 3 * HOUR, [], { skipped: 'too few rows' })])?.start).toBe(T0 + 2 * HOUR);
    expect(driftedIn(windows[2]!).map((d) => d.feature)).toEqual(['petal_length']);
    const both = window(T0, [drift('a', 0.3), drift('b', 0.9)], { prediction: drift('prediction', 0.5) });
    expect(driftedIn(both).map((d) => d.feature)).toEqual(['prediction', 'b', 'a']);
  });

  it('labels window columns by time of day, with the day when the view spans several', () => {
    expect(windowLabel(T0, false, 'UTC')).toBe('09:00');
    expect(windowLabel(T0, true, 'UTC')).toBe('3 Dec, 09:00');
  });

  it('charts live accuracy only for windows where ground truth came back', () => {
    const windows = [
      window(T0, [], { live: { labelled: 0, accuracy: null, meanAbsoluteError: null } }),
      window(T0 + HOUR, [], { live: { labelled: 120, accuracy: 0.95, meanAbsoluteError: null } }),
      window(T0 + 2 * HOUR, [], { live: { labelled: 80, accuracy: 0.81, meanAbsoluteError: null } }),
    ];
    const live = liveColumns(windows);
    expect(live.accuracy && [...live.accuracy.x]).toEqual([T0 + HOUR, T0 + 2 * HOUR]);
    expect(live.accuracy && [...live.accuracy.y]).toEqual([0.95, 0.81]);
    expect(live.meanAbsoluteError).toBeNull();
    expect(liveColumns([]).accuracy).toBeNull();
  });
});
