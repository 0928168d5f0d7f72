/**
 * @module core/metric-series
 * A metric's points as three parallel columns. Long series travel and are stored this
 * way: a million points are three typed arrays, not a million objects.
 */

export interface MetricColumns {
  readonly steps: Float64Array;
  /** UTC ms. */
  readonly ts: Float64Array;
  /** NaN and ±Infinity are legal. */
  readonly values: Float64Array;
}

/** One point in the row form a metrics file line or a small request gives. */
export interface MetricPoint {
  readonly key: string;
  readonly step: number;
  /** UTC ms. */
  readonly ts: number;
  readonly value: number;
}

/** One key's new points, as an append or a bulk request carries them. */
export interface MetricBatch extends MetricColumns {
  readonly key: string;
}

export function emptyColumns(): MetricColumns {
  return { steps: new Float64Array(0), ts: new Float64Array(0), values: new Float64Array(0) };
}

export function columnsLength(c: MetricColumns): number {
  return c.steps.length;
}

/** Groups points by key, keeping their order within a key. */
export function batchesFromPoints(points: readonly MetricPoint[]): MetricBatch[] {
  const byKey = new Map<string, number[]>();
  for (let i = 0; i < points.length; i++) {
    const k = points[i]!.key;
    const list = byKey.get(k);
    if (list) list.push(i);
    else byKey.set(k, [i]);
  }
  const out: MetricBatch[] = [];
  for (const [key, idx] of byKey) {
    const steps = new Float64Array(idx.length);
    const ts = new Float64Array(idx.length);
    const values = new Float64Array(idx.length);
    idx.forEach((pi, j) => {
      const p = points[pi]!;
      steps[j] = p.step;
      ts[j] = p.ts;
      values[j] = p.value;
    });
    out.push({ key, steps, ts, values });
  }
  return out;
}

/** Whether the points are in order of step, then time. */
export function isSorted(c: MetricColumns): boolean {
  for (let i = 1; i < c.steps.length; i++) {
    const ds = c.steps[i]! - c.steps[i - 1]!;
    if (ds < 0 || (ds === 0 && c.ts[i]! < c.ts[i - 1]!)) return false;
  }
  return true;
}

/**
 * Puts points in order of step, then time, keeping arrival order for equal pairs (several
 * values per step are legal). Returns the input when it is already in order, the usual case.
 */
export function sortColumns(c: MetricColumns): MetricColumns {
  if (isSorted(c)) return c;
  const n = c.steps.length;
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => c.steps[a]! - c.steps[b]! || c.ts[a]! - c.ts[b]! || a - b);
  const steps = new Float64Array(n);
  const ts = new Float64Array(n);
  const values = new Float64Array(n);
  order.forEach((from, to) => {
    steps[to] = c.steps[from]!;
    ts[to] = c.ts[from]!;
    values[to] = c.values[from]!;
  });
  return { steps, ts, values };
}

/** The points of one key in row form (for small outputs: a CLI table, a test). */
export function pointsOf(key: string, c: MetricColumns): MetricPoint[] {
  return Array.from({ length: c.steps.length }, (_, i) => ({ key, step: c.steps[i]!, ts: c.ts[i]!, value: c.values[i]! }));
}
