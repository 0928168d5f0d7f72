/**
 * @module core/metric-line
 * One line of a run's `REPRISE_METRICS` file: `{"step": 3, "loss": 0.42}`, with an
 * optional `"ts"` in ms. Python's json writes NaN and ±Infinity as bare tokens, so
 * those are read too. A bad line is described, never thrown: a run must not crash
 * because of what user code wrote. A line naming a `"histogram"` is one histogram point
 * (the SDK's log_histogram): `{"histogram": "weights", "step": 3, "buckets": [[l, r, c], ...]}`,
 * in the JSON form core/histogram reads.
 */
import JSON5 from 'json5';
import { histogramFromJson, type HistogramPoint } from './histogram.js';

export interface MetricPoint {
  readonly key: string;
  /** Undefined when the line gave none; the ingester numbers it. */
  readonly step: number | undefined;
  readonly ts: number | undefined;
  readonly value: number;
}

export interface ParsedMetricLine {
  readonly points: MetricPoint[];
  /** A histogram line's point; its step and ts are 0 when the line gave none (see `stepGiven`). */
  readonly histogram?: { readonly key: string; readonly point: HistogramPoint; readonly stepGiven: boolean; readonly tsGiven: boolean };
  /** Why (part of) the line was rejected; empty when all of it was taken. */
  readonly problems: string[];
}

const SPECIAL: Record<string, number> = {
  nan: NaN,
  infinity: Infinity,
  '+infinity': Infinity,
  '-infinity': -Infinity,
  inf: Infinity,
  '+inf': Infinity,
  '-inf': -Infinity,
};

const MAX_KEY_LENGTH = 250;

export function parseMetricLine(text: string): ParsedMetricLine {
  const trimmed = text.trim();
  if (trimmed === '') return { points: [], problems: [] };
  let obj: unknown;
  try {
    obj = JSON.parse(trimmed);
  } catch {
    try {
      obj = JSON5.parse(trimmed);
    } catch {
      return { points: [], problems: ['not valid JSON'] };
    }
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    return { points: [], problems: ['not a JSON object'] };
  }
  const rec = obj as Record<string, unknown>;
  const problems: string[] = [];

  let step: number | undefined;
  if (rec.step !== undefined && rec.step !== null) {
    if (typeof rec.step === 'number' && Number.isSafeInteger(rec.step) && rec.step >= 0) step = rec.step;
    else return { points: [], problems: [`"step" must be a whole number >= 0, got ${JSON.stringify(rec.step)}`] };
  }
  let ts: number | undefined;
  if (rec.ts !== undefined && rec.ts !== null) {
    if (typeof rec.ts === 'number' && Number.isFinite(rec.ts) && rec.ts >= 0) ts = Math.round(rec.ts);
    else return { points: [], problems: [`"ts" must be milliseconds since the epoch, got ${JSON.stringify(rec.ts)}`] };
  }

  if (typeof rec.histogram === 'string') {
    try {
      const { key, point } = histogramFromJson({ ...rec, key: rec.histogram, step: step ?? 0, ts: ts ?? 0 }, 'histogram', 0);
      return { points: [], histogram: { key, point, stepGiven: step !== undefined, tsGiven: ts !== undefined }, problems: [] };
    } catch (e) {
      return { points: [], problems: [(e as Error).message] };
    }
  }

  const points: MetricPoint[] = [];
  for (const [key, raw] of Object.entries(rec)) {
    if (key === 'step' || key === 'ts') continue;
    if (key.length === 0 || key.length > MAX_KEY_LENGTH || /[\u0000-\u001f]/.test(key)) {
      problems.push(`metric name ${JSON.stringify(key.slice(0, 40))} is empty, too long or has control characters`);
      continue;
    }
    const value = toNumber(raw);
    if (value === undefined) {
      problems.push(`metric ${JSON.stringify(key)} is not a number (got ${JSON.stringify(raw)?.slice(0, 40)})`);
      continue;
    }
    points.push({ key, step, ts, value });
  }
  if (points.length === 0 && problems.length === 0) problems.push('has no metric values');
  return { points, problems };
}

function toNumber(raw: unknown): number | undefined {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string') return SPECIAL[raw.trim().toLowerCase()];
  return undefined;
}
