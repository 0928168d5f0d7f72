import { describe, expect, it } from 'vitest';
import { chiSquareSurvival, regularizedGammaQ, scoreCategories, scoreNumbers, scoreWindow } from './drift.js';
import { profileCategories, profileColumns, profileNumbers, type ReferenceProfile } from './feature-profile.js';
import { DEFAULT_MONITOR_SETTINGS } from './model-monitoring.js';
import { seededRandom } from './seeded-random.js';

const thresholds = DEFAULT_MONITOR_SETTINGS.thresholds;

/** Standard normal draws from a seed, so every run sees the same data. */
const normals = (seed: number): (() => number) => seededRandom(seed).normal;

const sample = (n: number, seed: number, mean = 0, std = 1) => {
  const next = normals(seed);
  return Float64Array.from({ length: n }, () => mean + std * next());
};

/** The exact two-sample Kolmogorov–Smirnov distance, for checking the approximation. */
function exactKs(a: Float64Array, b: Float64Array): number {
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i] === v) i++;
    while (j < y.length && y[j] === v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

const categories = (shares: Record<string, number>, n: number): string[] => {
  const out: string[] = [];
  for (const [k, s] of Object.entries(shares)) for (let i = 0; i < Math.round(s * n); i++) out.push(k);
  return out;
};

describe('numeric drift', () => {
  const refValues = sample(5000, 1);
  const ref = profileNumbers('x', refValues);

  it('scores the same distribution low', () => {
    const d = scoreNumbers(ref, sample(5000, 2), thresholds);
    expect(d.psi).toBeLessThan(0.1);
    expect(d.ks!).toBeLessThan(0.1);
    expect(d).toMatchObject({ feature: 'x', kind: 'number', rows: 5000, missingRate: 0, js: null, chi2: null, drifted: false, reasons: [] });
  });

  it('reads the KS distance at the reference percentiles to within about 0.01', () => {
    for (const [seed, shift] of [[3, 0], [4, 0.3], [5, 1], [6, -2]] as const) {
      const cur = sample(5000, seed, shift);
      const d = scoreNumbers(ref, cur, thresholds);
      expect(Math.abs(d.ks! - exactKs(refValues, cur))).toBeLessThan(0.015);
    }
  });

  it('places every value exactly, however skewed or narrow the reference', () => {
    /** The same scores computed the slow way: every value compared with every percentile and edge. */
    const slow = (q: number[], edges: number[], refCounts: number[], cur: number[]) => {
      const present = cur.filter((v) => Number.isFinite(v));
      const n = present.length;
      let ks = 0;
      for (let a = 0; a < q.length; ) {
        let b = a;
        while (b + 1 < q.length && q[b + 1] === q[a]) b++;
        const below = present.filter((v) => v < q[a]!).length;
        const atMost = present.filter((v) => v <= q[a]!).length;
        ks = Math.max(ks, Math.abs(below / n - a / 100), Math.abs(atMost / n - b / 100));
        a = b + 1;
      }
      const total = refCounts.reduce((x, y) => x + y, 0);
      let psi = 0;
      for (let i = 0; i <= edges.length; i++) {
        const inBin = present.filter((v) => (i === 0 || v > edges[i - 1]!) && (i === edges.length || v <= edges[i]!)).length;
        const r = Math.max(refCounts[i]! / total, 1e-4);
        const c = Math.max(inBin / n, 1e-4);
        psi += (c - r) * Math.log(c / r);
      }
      return { ks, psi };
    };
    const next = normals(9);
    const references = [
      // Log-normal with a few huge outliers: most percentiles crowd into the first cells of the range.
      Float64Array.from({ length: 2000 }, (_, i) => (i % 500 === 0 ? 1e12 : Math.exp(3 * next()))),
      // A range of a few ulps.
      Float64Array.from({ length: 500 }, (_, i) => 1 + (i % 7) * Number.EPSILON),
      // A range too narrow to divide into cells.
      Float64Array.from({ length: 500 }, (_, i) => (i % 3 ? 5e-324 : 0)),
      // Few distinct values, many repeated percentiles.
      Float64Array.from({ length: 1000 }, (_, i) => [0, 0, 0, 1, 2, 2, 10][i % 7]!),
    ];
    for (const values of references) {
      const ref = profileNumbers('x', values);
      // Values at, just below and just above every percentile and edge, and beyond both ends.
      const probes = [...ref.quantiles, ...ref.edges].flatMap((q) => [q, q - Math.abs(q) * 1e-9, q + Math.abs(q) * 1e-9, q * (1 + Number.EPSILON)]);
      const cur = [...probes, ...Array.from(values.subarray(0, 300)), ref.min - 1, ref.max + 1, NaN, Infinity];
      const d = scoreNumbers(ref, Float64Array.from(cur), thresholds);
      const want = slow(ref.quantiles, ref.edges, ref.counts, cur);
      expect(d.ks).toBeCloseTo(want.ks, 12);
      expect(d.psi).toBeCloseTo(want.psi, 10);
    }
  });

  it('scores values beside a constant reference: the same value is no drift, any other is', () => {
    const constant = profileNumbers('c', new Float64Array(1000).fill(5));
    expect(constant.edges).toEqual([5]);
    const same = scoreNumbers(constant, new Float64Array(200).fill(5), thresholds);
    expect(same).toMatchObject({ psi: 0, ks: 0, drifted: false });
    const above = scoreNumbers(constant, new Float64Array(200).fill(6), thresholds);
    expect(above.ks).toBe(1);
    expect(above.psi).toBeGreaterThan(thresholds.psi);
    // Below the constant falls in the same PSI bin as the constant, but KS sees it.
    const below = scoreNumbers(constant, new Float64Array(200).fill(4), thresholds);
    expect(below.ks).toBe(1);
    expect(below.drifted).toBe(true);
    expect(below.reasons).toEqual(['ks 1 > 0.2']);
  });

  it('scores a window with no rows, and one with every value missing, as no drift', () => {
    expect(scoreNumbers(ref, new Float64Array(0), thresholds)).toMatchObject({ rows: 0, missingRate: 0, psi: 0, ks: 0, drifted: false });
    expect(scoreNumbers(ref, new Float64Array(10).fill(NaN), thresholds)).toMatchObject({ rows: 10, missingRate: 1, psi: 0, ks: 0, drifted: false });
    const some = scoreNumbers(ref, Float64Array.from([...sample(300, 7), NaN, Infinity, NaN, NaN]), thresholds);
    expect(some.missingRate).toBeCloseTo(4 / 304, 12);
    expect(some.drifted).toBe(false);
  });

  it('scores against a profile whose edges are not among its percentiles (edited by hand) the same way', () => {
    const cur = sample(3000, 8, 0.5);
    const edited = { ...ref, edges: ref.edges.map((e) => e + 1e-9) };
    const a = scoreNumbers(ref, cur, thresholds);
    const b = scoreNumbers(edited, cur, thresholds);
    expect(b.psi).toBeCloseTo(a.psi, 6);
    expect(b.ks).toBe(a.ks);
  });
});

describe('categorical drift', () => {
  const ref = profileCategories('colour', categories({ red: 0.6, green: 0.3, blue: 0.1 }, 10_000));

  it('scores the same shares low and swapped shares as drift', () => {
    const same = scoreCategories(ref, categories({ red: 0.6, green: 0.3, blue: 0.1 }, 2000), thresholds);
    expect(same).toMatchObject({ kind: 'category', rows: 2000, ks: null, drifted: false });
    expect(same.psi).toBeLessThan(0.01);
    expect(same.js!).toBeLessThan(0.05);
    expect(same.chi2!.pValue).toBeGreaterThan(0.5);

    const swapped = scoreCategories(ref, categories({ red: 0.1, green: 0.3, blue: 0.6 }, 2000), thresholds);
    expect(swapped.psi).toBeGreaterThan(thresholds.psi);
    expect(swapped.js!).toBeGreaterThan(thresholds.js);
    expect(swapped.chi2!.statistic).toBeGreaterThan(1000);
    expect(swapped.chi2!.pValue).toBeLessThan(1e-10);
    expect(swapped.drifted).toBe(true);
    expect(swapped.reasons).toHaveLength(2);
    expect(swapped.reasons[0]).toMatch(/^psi [0-9.]+ > 0\.2$/);
    expect(swapped.reasons[1]).toMatch(/^js [0-9.]+ > 0\.2$/);
  });

  it('flags a reference category that never appears, and values the reference never saw', () => {
    const gone = scoreCategories(ref, categories({ red: 0.67, green: 0.33 }, 1000), thresholds);
    expect(Number.isFinite(gone.psi)).toBe(true);
    expect(gone.psi).toBeGreaterThan(thresholds.psi);
    expect(gone.drifted).toBe(true);
    // Values outside the reference's list are counted together, and score as far from it.
    const unseen = scoreCategories(ref, categories({ red: 0.3, purple: 0.4, black: 0.3 }, 1000), thresholds);
    expect(unseen.js!).toBeGreaterThan(0.5);
    expect(unseen.drifted).toBe(true);
  });

  it('scores a window with no rows, and one with every value missing, as no drift', () => {
    expect(scoreCategories(ref, [], thresholds)).toMatchObject({ rows: 0, missingRate: 0, psi: 0, js: 0, chi2: { statistic: 0, pValue: 1 }, drifted: false });
    expect(scoreCategories(ref, [null, null], thresholds)).toMatchObject({ rows: 2, missingRate: 1, psi: 0, js: 0, drifted: false });
  });

  it('is at most 1 in Jensen–Shannon distance, reached when no value is shared', () => {
    const d = scoreCategories(profileCategories('x', ['a', 'a']), ['b', 'c'], thresholds);
    expect(d.js).toBeCloseTo(1, 12);
  });
});

describe('the chi-square tail', () => {
  it('matches known values', () => {
    expect(chiSquareSurvival(3.841458820694124, 1)).toBeCloseTo(0.05, 10);
    expect(chiSquareSurvival(11.070497693516351, 5)).toBeCloseTo(0.05, 10);
    expect(chiSquareSurvival(124.34211340400407, 100)).toBeCloseTo(0.05, 9);
    expect(chiSquareSurvival(6.634896601021214, 1)).toBeCloseTo(0.01, 10);
    expect(chiSquareSurvival(2, 2)).toBeCloseTo(Math.exp(-1), 12);
    // Even degrees of freedom have a closed form: e^(-x/2) times the first df/2 terms of e^(x/2)'s series.
    for (const x of [0.5, 7, 30]) {
      let sum = 0;
      for (let k = 0, term = 1; k < 5; k++, term *= x / 2 / k) sum += term;
      expect(chiSquareSurvival(x, 10)).toBeCloseTo(Math.exp(-x / 2) * sum, 13);
    }
    expect(chiSquareSurvival(0, 3)).toBe(1);
    // Q(1, x) = e^-x on both sides of the split between series and continued fraction.
    for (const x of [0.1, 1.5, 2.5, 40]) expect(regularizedGammaQ(1, x)).toBeCloseTo(Math.exp(-x), 14);
  });
});

describe('a window of request rows', () => {
  const n = 5000;
  const train = [sample(n, 11), sample(n, 12, 10, 2), sample(n, 13)];
  const labels = Array.from({ length: n }, (_, i) => (i % 4 === 0 ? '1' : '0'));
  const reference: ReferenceProfile = {
    features: profileColumns([
      { name: 'a', values: train[0]! },
      { name: 'b', values: train[1]! },
      { name: 'c', values: train[2]! },
      { name: 'kind', values: categories({ x: 0.5, y: 0.5 }, n) },
    ]),
    target: profileCategories('label', labels),
    rows: n,
    source: { data: 'train.parquet', contentHash: 'sha256:0' },
  };

  it('flags the one feature whose mean moved by one standard deviation, and the predictions that moved', () => {
    const cur = [sample(n, 21), sample(n, 22, 12, 2), sample(n, 23)];
    const rows = Array.from({ length: n }, (_, i) => [cur[0]![i], cur[1]![i], cur[2]![i], i % 2 ? 'x' : 'y']);
    // Half the answers are class 1 now, as probabilities.
    const outputs = Array.from({ length: n }, (_, i) => (i % 2 ? [0.2, 0.8] : [0.9, 0.1]));
    const w = scoreWindow(reference, rows, outputs, thresholds);
    expect(w.rows).toBe(n);
    expect(w.skipped).toBe(0);
    expect(w.features.map((f) => [f.feature, f.drifted])).toEqual([['a', false], ['b', true], ['c', false], ['kind', false]]);
    const b = w.features[1]!;
    expect(b.psi).toBeGreaterThan(0.2);
    expect(b.ks!).toBeGreaterThan(0.2);
    expect(b.reasons.map((r) => r.split(' ')[0])).toEqual(['psi', 'ks']);
    for (const f of [w.features[0]!, w.features[2]!]) {
      expect(f.psi).toBeLessThan(0.1);
      expect(f.ks!).toBeLessThan(0.1);
    }
    expect(w.prediction).toMatchObject({ feature: 'label', kind: 'category', rows: n, drifted: true });
  });

  it('reads objects by name, counts rows it cannot read, and scores no predictions without outputs', () => {
    const rows: unknown[] = Array.from({ length: 1000 }, (_, i) => ({ c: train[2]![i], a: train[0]![i], kind: 'x' }));
    rows.push('junk', 7);
    const w = scoreWindow(reference, rows, null, thresholds);
    expect(w.rows).toBe(1000);
    expect(w.skipped).toBe(2);
    expect(w.prediction).toBeNull();
    expect(w.features[1]).toMatchObject({ feature: 'b', missingRate: 1, drifted: false });
    expect(w.features[3]!.drifted).toBe(true);
    expect(scoreWindow({ ...reference, target: null }, [], [1, 2], thresholds).prediction).toBeNull();
  });

  it('gives scores that survive JSON: no NaN nor infinities', () => {
    const w = scoreWindow(reference, [[1e300, 'z', NaN, null], [], {}], ['q', 'r', 's'], thresholds);
    const text = JSON.stringify(w);
    expect(JSON.parse(text)).toEqual(w);
  });
});
