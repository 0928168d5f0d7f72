/**
 * What the sweep page draws, worked out from a sweep and its runs: which params it
 * varies, an axis per param (numeric ones scaled min..max, the rest as evenly spaced
 * categories), each run's value of the chosen metric, the best run first.
 */
import { isSystemMetric, metricGoal, type MetricGoal } from '../../core/metric-goal.js';
import { num, type ParamValue, type RunRow, type SweepSpec } from './api.js';

/** Which of a metric's summaries judges a run. */
export type Agg = 'last' | 'min' | 'max';
export const AGGS: readonly Agg[] = ['last', 'min', 'max'];

/**
 * The params a sweep varies, in the order its spec gives them: a grid's axes, a random
 * search's drawn params. A spec this UI cannot read falls back to the params whose
 * values differ between the runs.
 */
export function sweptParams(spec: SweepSpec | null | undefined, rows: readonly RunRow[]): string[] {
  if (spec?.kind === 'grid' && Array.isArray(spec.axes)) return spec.axes.map((a) => a.key);
  if (spec?.kind === 'random' && Array.isArray(spec.params)) return spec.params.filter((p) => p.dist.kind !== 'fixed').map((p) => p.key);
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.params)))].sort();
  return keys.filter((k) => new Set(rows.map((r) => paramText(r.params[k]))).size > 1);
}

/** The values a spec lists for a param (a grid axis, a choice), in its order; undefined when it draws from a range. */
function listedValues(spec: SweepSpec | null | undefined, key: string): readonly unknown[] | undefined {
  if (spec?.kind === 'grid') return spec.axes.find((a) => a.key === key)?.values;
  if (spec?.kind === 'random') {
    const dist = spec.params.find((p) => p.key === key)?.dist;
    return dist?.kind === 'choice' ? dist.values : undefined;
  }
  return undefined;
}

/**
 * A run's value of a param. Params are flattened by dotted key and arrays kept as JSON
 * text, so a swept object value is put back together from its dotted keys.
 */
export function paramOf(row: RunRow, key: string): ParamValue | undefined {
  if (key in row.params) return row.params[key];
  const prefix = `${key}.`;
  const parts = Object.entries(row.params).filter(([k]) => k.startsWith(prefix));
  if (parts.length === 0) return undefined;
  return JSON.stringify(Object.fromEntries(parts.map(([k, v]) => [k.slice(prefix.length), v])));
}

/** A param value as a category: strings as they are, arrays and objects as JSON text. */
export function paramText(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export interface Axis {
  key: string;
  kind: 'numeric' | 'category';
  /** Numeric: the range of the values. */
  min: number;
  max: number;
  /** Category: the values in the order they are spaced along the axis. */
  categories: string[];
  /** Numeric: the distinct values, when few (a grid's), to label the axis with instead of round ticks. */
  values?: number[];
}

/** Up to this many distinct values label a numeric param's axis themselves. */
const LABELLED_VALUES = 8;

/**
 * An axis for a param over the runs: numeric when every value is a number, else
 * categories (in the spec's order where it lists them, else sorted).
 */
export function paramAxis(key: string, rows: readonly RunRow[], spec?: SweepSpec | null): Axis {
  const values = rows.map((r) => paramOf(r, key)).filter((v): v is ParamValue => v !== undefined);
  if (values.length > 0 && values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    const nums = values as number[];
    const distinct = [...new Set(nums)].sort((a, b) => a - b);
    return { key, kind: 'numeric', min: Math.min(...nums), max: Math.max(...nums), categories: [], ...(distinct.length <= LABELLED_VALUES ? { values: distinct } : {}) };
  }
  const seen = new Set(values.map(paramText));
  const listed = (listedValues(spec, key) ?? []).map(paramText).filter((t) => seen.has(t));
  const rest = [...seen].filter((t) => !listed.includes(t)).sort();
  return { key, kind: 'category', min: 0, max: 0, categories: [...new Set([...listed, ...rest])] };
}

/** A numeric axis over values (the metric's). */
export function numericAxis(key: string, values: readonly number[]): Axis {
  const finite = values.filter(Number.isFinite);
  return { key, kind: 'numeric', min: finite.length ? Math.min(...finite) : 0, max: finite.length ? Math.max(...finite) : 1, categories: [] };
}

/** Where a value sits along an axis, 0 (bottom) to 1 (top); undefined for a value the axis does not hold. */
export function axisPosition(axis: Axis, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (axis.kind === 'numeric') {
    if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
    // A param that took a single value sits mid-axis.
    return axis.max === axis.min ? 0.5 : (v - axis.min) / (axis.max - axis.min);
  }
  const i = axis.categories.indexOf(paramText(v));
  if (i < 0) return undefined;
  return axis.categories.length === 1 ? 0.5 : i / (axis.categories.length - 1);
}

/** A run's value of a metric by its aggregate, when it logged a finite one. */
export function metricValue(row: RunRow, key: string, agg: Agg): number | undefined {
  const s = row.metrics[key];
  if (!s) return undefined;
  const v = num(s[agg]);
  return Number.isFinite(v) ? v : undefined;
}

/** The metric as a label: `val_loss`, or `val_loss (min)` for another aggregate than the last value. */
export function metricLabel(metric: string, agg: Agg): string {
  return agg === 'last' ? metric : `${metric} (${agg})`;
}

/** The runs' metric keys: by name, the machine's samples last. */
export function metricKeys(rows: readonly RunRow[]): string[] {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].sort();
  return [...keys.filter((k) => !isSystemMetric(k)), ...keys.filter(isSystemMetric)];
}

/** The metrics the project's gates judge, as the runs' gate outcomes name them. */
export function gateMetrics(rows: readonly RunRow[]): { metric: string; op: string }[] {
  const found = rows.find((r) => r.gate && r.gate.results.length > 0);
  return found?.gate?.results.map((g) => ({ metric: g.metric, op: g.op })) ?? [];
}

/** The metric shown unless one is chosen: the first the gates judge, else the first that is not a machine sample. */
export function defaultMetric(rows: readonly RunRow[], keys: readonly string[]): string | undefined {
  const gated = gateMetrics(rows).find((g) => keys.includes(g.metric));
  if (gated) return gated.metric;
  return keys.find((k) => !isSystemMetric(k)) ?? keys[0];
}

/** Whether higher is better: as a gate on the metric says (>= wants it high), else as its name suggests. */
export function goalOf(key: string, rows: readonly RunRow[]): MetricGoal {
  const gate = gateMetrics(rows).find((g) => g.metric === key);
  if (gate?.op.includes('>')) return 'max';
  if (gate?.op.includes('<')) return 'min';
  return metricGoal(key);
}

/**
 * The runs sorted by a metric, best first (or worst first); runs without the metric stay
 * last, in the order they came.
 */
export function sortByMetric(rows: readonly RunRow[], key: string, agg: Agg, goal: MetricGoal, bestFirst = true): RunRow[] {
  const sign = (goal === 'max') === bestFirst ? -1 : 1;
  const indexed = rows.map((row, i) => ({ row, i, v: metricValue(row, key, agg) }));
  indexed.sort((a, b) => {
    if (a.v === undefined || b.v === undefined) return a.v === undefined && b.v === undefined ? a.i - b.i : a.v === undefined ? 1 : -1;
    return sign * (a.v - b.v) || a.i - b.i;
  });
  return indexed.map((x) => x.row);
}

/** How good a value is within the range, 0 (worst) to 1 (best). */
export function quality(v: number, min: number, max: number, goal: MetricGoal): number {
  if (max === min) return 1;
  const t = (v - min) / (max - min);
  return goal === 'max' ? t : 1 - t;
}

/** Worst to best: orange to indigo (a pair whose blends stay coloured, never the grey of a run without a value). */
const WORST = [249, 115, 22] as const;
const BEST = [67, 56, 202] as const;

/** The colour of a run of quality t (0 worst, 1 best). */
export function qualityColour(t: number): string {
  const c = Math.min(1, Math.max(0, t));
  const mix = WORST.map((w, i) => Math.round(w + (BEST[i]! - w) * c));
  return `rgb(${mix.join(', ')})`;
}
export const GRADIENT_STOPS = { worst: qualityColour(0), best: qualityColour(1) };

/** Round tick values between min and max (about `count`), for a numeric axis. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max === min) return [min];
  const range = max - min;
  const most = Math.max(1, count) + 1;
  const mag = 10 ** Math.floor(Math.log10(range / most));
  // The finest round step that gives no more than `count + 1` ticks.
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => range / s <= most) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}
