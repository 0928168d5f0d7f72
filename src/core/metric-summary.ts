/**
 * @module core/metric-summary
 * A series folded into last / min / max / count. "Last" is the point with the highest
 * step, later points winning ties, which is what a final value means for a curve.
 * min and max skip NaN (NaN when every value is NaN).
 */
import { encodeNumber } from './json-number.js';
import type { ManifestMetric, MetricSummary } from './run-manifest.js';

export interface SummaryPoint {
  readonly step: number;
  readonly ts: number;
  readonly value: number;
}

export interface SummaryState extends MetricSummary {
  readonly lastTs: number;
}

export function foldPoint(acc: SummaryState | undefined, p: SummaryPoint): SummaryState {
  if (acc === undefined) {
    return { last: p.value, lastStep: p.step, lastTs: p.ts, min: p.value, max: p.value, count: 1 };
  }
  const newer = p.step > acc.lastStep || (p.step === acc.lastStep && p.ts >= acc.lastTs);
  return {
    last: newer ? p.value : acc.last,
    lastStep: newer ? p.step : acc.lastStep,
    lastTs: newer ? p.ts : acc.lastTs,
    min: minSkippingNaN(acc.min, p.value),
    max: maxSkippingNaN(acc.max, p.value),
    count: acc.count + 1,
  };
}

export function mergeSummaries(a: SummaryState | undefined, b: SummaryState): SummaryState {
  if (a === undefined) return b;
  const bNewer = b.lastStep > a.lastStep || (b.lastStep === a.lastStep && b.lastTs >= a.lastTs);
  const newest = bNewer ? b : a;
  return {
    last: newest.last,
    lastStep: newest.lastStep,
    lastTs: newest.lastTs,
    min: minSkippingNaN(a.min, b.min),
    max: maxSkippingNaN(a.max, b.max),
    count: a.count + b.count,
  };
}

function minSkippingNaN(a: number, b: number): number {
  if (Number.isNaN(a)) return b;
  if (Number.isNaN(b)) return a;
  return Math.min(a, b);
}

function maxSkippingNaN(a: number, b: number): number {
  if (Number.isNaN(a)) return b;
  if (Number.isNaN(b)) return a;
  return Math.max(a, b);
}

/** Summaries as the manifest records them (NaN and ±Infinity as strings). */
export function manifestMetrics(s: Readonly<Record<string, MetricSummary>>): Record<string, ManifestMetric> {
  const out: Record<string, ManifestMetric> = {};
  for (const [k, v] of Object.entries(s)) {
    out[k] = { last: encodeNumber(v.last), lastStep: v.lastStep, min: encodeNumber(v.min), max: encodeNumber(v.max), count: v.count };
  }
  return out;
}
