import { describe, expect, it } from 'vitest';
import { decodeHistogramsBody, histogramOfValues, histogramQuantile, samplePoints } from './histogram.js';

describe('histograms', () => {
  it('buckets values as TensorBoard TF2 does: equal widths, the last bucket closed, non-finite values left out', () => {
    const h = histogramOfValues([0, 1, 2, 3, 4, NaN, Infinity], 4);
    expect([...h.buckets]).toEqual([0, 1, 1, 1, 2, 1, 2, 3, 1, 3, 4, 2]);
    expect(h.stats).toEqual({ min: 0, max: 4, count: 5, sum: 10, sumSquares: 30 });
    // All equal: zero-width buckets, the count in the last.
    expect([...histogramOfValues([2, 2, 2], 3).buckets]).toEqual([2, 2, 0, 2, 2, 0, 2, 2, 3]);
    // A spread too small for its width: the two ends still counted.
    const tiny = histogramOfValues([0, 1e-323], 30).buckets;
    let total = 0;
    for (let i = 2; i < tiny.length; i += 3) total += tiny[i]!;
    expect(total).toBe(2);
    expect(histogramOfValues([NaN]).buckets.length).toBe(0);
  });

  it('reads quantiles from buckets by interpolating inside one', () => {
    const b = Float64Array.from([0, 10, 5, 10, 20, 5]);
    expect(histogramQuantile(b, 0)).toBe(0);
    expect(histogramQuantile(b, 0.25)).toBe(5);
    expect(histogramQuantile(b, 0.5)).toBe(10);
    expect(histogramQuantile(b, 1)).toBe(20);
    expect(histogramQuantile(new Float64Array(0), 0.5)).toBeNaN();
  });

  it('samples a long series evenly, keeping the first and the last', () => {
    const xs = Array.from({ length: 101 }, (_, i) => i);
    expect(samplePoints(xs, 5)).toEqual([0, 25, 50, 75, 100]);
    expect(samplePoints(xs, 200)).toHaveLength(101);
    expect(samplePoints(xs, 1)).toEqual([100]);
  });

  it('decodes the three JSON forms and names the field at fault', () => {
    const batches = decodeHistogramsBody(
      {
        histograms: [
          { key: 'a', step: 1, buckets: [[0, 1, 2]], stats: { min: 0, max: 1, count: 2, sum: 1, sumSquares: 1 } },
          { key: 'a', step: 2, ts: 7, edges: [0, 1, 2], counts: [1, 0] },
          { key: 'b', step: 0, values: [1, 2, 3], bins: 2 },
        ],
      },
      99,
    );
    expect(batches.map((b) => [b.key, b.points.map((p) => [p.step, p.ts, [...p.buckets]])])).toEqual([
      ['a', [[1, 99, [0, 1, 2]], [2, 7, [0, 1, 1, 1, 2, 0]]]],
      ['b', [[0, 99, [1, 2, 1, 2, 3, 2]]]],
    ]);
    expect(batches[1]!.points[0]!.stats).toEqual({ min: 1, max: 3, count: 3, sum: 6, sumSquares: 14 });
    const bad = (h: unknown) => () => decodeHistogramsBody({ histograms: [h] }, 0);
    expect(bad({ key: 'a', step: 1 })).toThrow('histograms[0]: give exactly one of "buckets", "edges" (with "counts") or "values"; got none');
    expect(bad({ key: 'a', step: -1, values: [1] })).toThrow('histograms[0].step: expected a whole number >= 0');
    expect(bad({ key: 'a', step: 1, buckets: [[0, 1, -2]] })).toThrow('histograms[0].buckets[0]: count must be a finite number >= 0');
    expect(bad({ key: 'a', step: 1, buckets: [[0, 2, 1], [1, 3, 1]] })).toThrow('histograms[0].buckets[1]: starts at 1, before the previous bucket ends (2)');
    expect(bad({ key: '', step: 1, values: [1] })).toThrow('histograms[0].key');
    expect(() => decodeHistogramsBody({ points: [] }, 0)).toThrow('histograms: expected');
  });
});
