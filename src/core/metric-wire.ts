/**
 * @module core/metric-wire
 * Metric points as they travel as JSON (the API, the runner's outbox). Two forms: rows,
 * `{"points": [{"key", "value", "step", "ts"}]}`, handy for a few points; and columns,
 * `{"series": [{"key", "steps": [...], "ts": [...], "values": [...]}]}`, for long series,
 * where objects per point would cost more than storing them. NaN and ±Infinity travel as
 * strings. Checked by hand rather than by a schema library: a million-point body must
 * not build a million error paths to be accepted.
 */
import { RepriseError } from './errors.js';
import { encodeNumber, type JsonNumber } from './json-number.js';
import type { MetricBatch, MetricColumns } from './metric-series.js';

export interface ColumnsJson {
  readonly steps: number[];
  readonly ts: number[];
  readonly values: JsonNumber[];
}

export function columnsToJson(c: MetricColumns): ColumnsJson {
  const values: JsonNumber[] = new Array(c.values.length);
  for (let i = 0; i < c.values.length; i++) {
    const v = c.values[i]!;
    values[i] = Number.isFinite(v) ? v : encodeNumber(v);
  }
  return { steps: Array.from(c.steps), ts: Array.from(c.ts), values };
}

export function batchesToJson(batches: readonly MetricBatch[]): { series: (ColumnsJson & { key: string })[] } {
  return { series: batches.map((b) => ({ key: b.key, ...columnsToJson(b) })) };
}

/** Longest metric key accepted; MLflow allows 250. */
export const MAX_METRIC_KEY = 250;

function invalid(field: string, problem: string): RepriseError {
  return new RepriseError('REPRISE_ERR_REQUEST_INVALID', `${field}: ${problem}`, { details: { field } });
}

function metricValue(v: unknown, field: string): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  throw invalid(field, `expected a number (or "NaN", "Infinity", "-Infinity"), got ${JSON.stringify(v)?.slice(0, 40)}`);
}

function wholeNumber(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  throw invalid(field, `expected a whole number, got ${JSON.stringify(v)?.slice(0, 40)}`);
}

function timestamp(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  throw invalid(field, `expected a time in UTC milliseconds, got ${JSON.stringify(v)?.slice(0, 40)}`);
}

function metricKey(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_METRIC_KEY || /[\u0000-\u001f]/.test(v)) {
    throw invalid(field, `expected a metric name of 1 to ${MAX_METRIC_KEY} characters without control characters`);
  }
  return v;
}

/**
 * The batches a request body carries, in either form, every problem named by its path
 * (`series[2].values[17]`). Missing steps are 0 and missing times `now`, as in MLflow.
 */
export function decodeMetricsBody(body: unknown, now: number): MetricBatch[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('body', 'expected an object with "points" or "series"');
  const { points, series } = body as { points?: unknown; series?: unknown };
  if (points === undefined && series === undefined) throw invalid('body', 'expected "points" or "series"');
  const out = new Map<string, { steps: number[]; ts: number[]; values: number[] }>();
  const into = (key: string): { steps: number[]; ts: number[]; values: number[] } => {
    let b = out.get(key);
    if (!b) out.set(key, (b = { steps: [], ts: [], values: [] }));
    return b;
  };
  if (points !== undefined) {
    if (!Array.isArray(points)) throw invalid('points', 'expected a list');
    points.forEach((p: unknown, i) => {
      const f = `points[${i}]`;
      if (typeof p !== 'object' || p === null) throw invalid(f, 'expected {"key", "value", "step", "ts"}');
      const { key, value, step, ts } = p as Record<string, unknown>;
      const b = into(metricKey(key, `${f}.key`));
      b.values.push(metricValue(value, `${f}.value`));
      b.steps.push(step === undefined ? 0 : wholeNumber(step, `${f}.step`));
      b.ts.push(ts === undefined ? now : timestamp(ts, `${f}.ts`));
    });
  }
  if (series !== undefined) {
    if (!Array.isArray(series)) throw invalid('series', 'expected a list');
    series.forEach((s: unknown, i) => {
      const f = `series[${i}]`;
      if (typeof s !== 'object' || s === null) throw invalid(f, 'expected {"key", "steps", "values", "ts"}');
      const { key, steps, ts, values } = s as Record<string, unknown>;
      const k = metricKey(key, `${f}.key`);
      if (!Array.isArray(values)) throw invalid(`${f}.values`, 'expected a list of numbers');
      if (!Array.isArray(steps)) throw invalid(`${f}.steps`, 'expected a list of whole numbers');
      if (steps.length !== values.length) throw invalid(`${f}.steps`, `has ${steps.length} entries but values has ${values.length}`);
      if (Array.isArray(ts) && ts.length !== values.length) throw invalid(`${f}.ts`, `has ${ts.length} entries but values has ${values.length}`);
      if (ts !== undefined && !Array.isArray(ts)) timestamp(ts, `${f}.ts`);
      const b = into(k);
      for (let j = 0; j < values.length; j++) {
        const v = values[j];
        b.values.push(typeof v === 'number' ? v : metricValue(v, `${f}.values[${j}]`));
        const st = steps[j];
        b.steps.push(typeof st === 'number' && Number.isSafeInteger(st) ? st : wholeNumber(st, `${f}.steps[${j}]`));
        b.ts.push(ts === undefined ? now : Array.isArray(ts) ? timestamp(ts[j], `${f}.ts[${j}]`) : (ts as number));
      }
    });
  }
  return [...out].map(([key, b]) => ({ key, steps: Float64Array.from(b.steps), ts: Float64Array.from(b.ts), values: Float64Array.from(b.values) }));
}

/** Columns from their JSON form (a history response); the inverse of columnsToJson. */
export function columnsFromJson(j: { steps: number[]; ts: number[]; values: JsonNumber[] }): MetricColumns {
  return {
    steps: Float64Array.from(j.steps),
    ts: Float64Array.from(j.ts),
    values: Float64Array.from(j.values, (v) => (typeof v === 'number' ? v : Number(v))),
  };
}
