/**
 * The numbers behind a chart, apart from drawing: smoothing as TensorBoard does it (an
 * exponential moving average, debiased at the start so the first points are not pulled
 * to zero; NaN and ±Infinity pass through unsmoothed), and values a log axis can show.
 */

export function smooth(values: ArrayLike<number>, weight: number): Float64Array {
  const out = new Float64Array(values.length);
  if (weight <= 0) {
    for (let i = 0; i < values.length; i++) out[i] = values[i]!;
    return out;
  }
  let last = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    n++;
    out[i] = last / (1 - weight ** n);
  }
  return out;
}

/** A log axis has no place for zero, negatives or NaN: those points become gaps. */
export function forLogAxis(values: ArrayLike<number>): (number | null)[] {
  const out: (number | null)[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    out[i] = v > 0 && Number.isFinite(v) ? v : null;
  }
  return out;
}

/** Non-finite values as gaps (a linear axis cannot place them either). */
export function finiteOrGap(values: ArrayLike<number>): (number | null)[] {
  const out: (number | null)[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    out[i] = Number.isFinite(v) ? v : null;
  }
  return out;
}
