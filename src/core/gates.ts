/**
 * @module core/gates
 * Metric gates: thresholds on a run's final metrics that decide whether it passed. A
 * gate reads one aggregate of a series (its last value, its minimum or its maximum);
 * a metric never logged, or NaN, fails its gate with that reason rather than passing
 * by default.
 */
import { z } from 'zod';
import { decodeNumber, encodeNumber, type JsonNumber } from './json-number.js';
import type { ManifestMetric, MetricSummary } from './run-manifest.js';

export const GATE_OPS = ['>=', '>', '<=', '<', '=='] as const;
export type GateOp = (typeof GATE_OPS)[number];
export const GATE_AGGS = ['last', 'min', 'max'] as const;
export type GateAgg = (typeof GATE_AGGS)[number];
export const GATE_STATUSES = ['passed', 'failed', 'none'] as const;
export type GateStatus = (typeof GATE_STATUSES)[number];

/** One gate as `reprise.yaml` declares it; `agg` defaults to `last`. */
export const gateSchema = z.strictObject({
  metric: z.string().min(1, 'must name a metric'),
  op: z.enum(GATE_OPS, { error: `must be one of ${GATE_OPS.join(' ')}` }),
  value: z.number().finite('must be a finite number'),
  agg: z.enum(GATE_AGGS, { error: `must be one of ${GATE_AGGS.join(', ')}` }).default('last'),
});
export type Gate = z.output<typeof gateSchema>;

const jsonNumber = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]);

export const gateResultSchema = z.object({
  metric: z.string(),
  op: z.enum(GATE_OPS),
  value: z.number(),
  agg: z.enum(GATE_AGGS),
  /** The aggregate read; null when the run logged no such metric. */
  actual: jsonNumber.nullable(),
  passed: z.boolean(),
  /** Why it failed, in words; null when it passed. */
  reason: z.string().nullable(),
});
export type GateResult = z.infer<typeof gateResultSchema>;

export const gateOutcomeSchema = z.object({
  status: z.enum(GATE_STATUSES),
  evaluatedAt: z.number(),
  results: z.array(gateResultSchema),
});
export type GateOutcome = z.infer<typeof gateOutcomeSchema>;

/** `val_loss (min) <= 0.4`: how a gate is named in messages and tables. */
export function describeGate(g: Pick<Gate, 'metric' | 'op' | 'value' | 'agg'>): string {
  return `${g.metric}${g.agg === 'last' ? '' : ` (${g.agg})`} ${g.op} ${g.value}`;
}

function compare(actual: number, op: GateOp, value: number): boolean {
  switch (op) {
    case '>=':
      return actual >= value;
    case '>':
      return actual > value;
    case '<=':
      return actual <= value;
    case '<':
      return actual < value;
    case '==':
      return actual === value;
  }
}

/** A run's final metrics as the store (numbers) or the manifest (JSON numbers) holds them. */
export type FinalMetrics = Readonly<Record<string, MetricSummary | ManifestMetric>>;

function aggregate(m: MetricSummary | ManifestMetric, agg: GateAgg): number {
  const v = m[agg] as number | JsonNumber;
  return typeof v === 'number' ? v : decodeNumber(v);
}

/** Six significant digits, unless that would print the threshold itself for a value that missed it. */
function readable(actual: number, threshold: number): string {
  const short = String(Number(actual.toPrecision(6)));
  return Number(short) === threshold && actual !== threshold ? String(actual) : short;
}

/** Every gate against the final metrics: `none` without gates, `passed` when all pass. */
export function evaluateGates(gates: readonly Gate[], metrics: FinalMetrics, at: number): GateOutcome {
  const results = gates.map((g): GateResult => {
    const m = metrics[g.metric];
    const base = { metric: g.metric, op: g.op, value: g.value, agg: g.agg };
    if (!m || m.count === 0) return { ...base, actual: null, passed: false, reason: `no metric ${JSON.stringify(g.metric)} was logged` };
    const actual = aggregate(m, g.agg);
    if (Number.isNaN(actual)) return { ...base, actual: 'NaN', passed: false, reason: `${g.metric}${g.agg === 'last' ? '' : ` (${g.agg})`} is NaN` };
    const passed = compare(actual, g.op, g.value);
    return {
      ...base,
      actual: encodeNumber(actual),
      passed,
      reason: passed ? null : `${g.metric}${g.agg === 'last' ? '' : ` (${g.agg})`} is ${readable(actual, g.value)}, not ${g.op} ${g.value}`,
    };
  });
  const status: GateStatus = results.length === 0 ? 'none' : results.every((r) => r.passed) ? 'passed' : 'failed';
  return { status, evaluatedAt: at, results };
}

/** The failed gates of an outcome, each with its reason: what a refusal lists. */
export function failedGates(outcome: GateOutcome): string[] {
  return outcome.results.filter((r) => !r.passed).map((r) => `${describeGate(r)}: ${r.reason ?? 'failed'}`);
}
