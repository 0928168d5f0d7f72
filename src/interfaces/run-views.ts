/**
 * @module interfaces/run-views
 * The JSON shapes of runs that interfaces print or serve (`--json`, later the API).
 * Numbers that JSON cannot hold (NaN, ±Infinity) are written as strings.
 */
import { encodeNumber, type JsonNumber } from '../core/json-number.js';
import { durationMs, type RunRecord } from '../core/run.js';
import { triggerOf } from '../core/trigger.js';
import type { Artifact, MetricSummary, RunManifest } from '../core/run-manifest.js';
import type { MetricColumns } from '../core/metric-series.js';
import type { LinkedVerification } from '../services/verification-service.js';

export interface MetricSummaryView {
  readonly last: JsonNumber;
  readonly lastStep: number;
  /** UTC ms of the last point. */
  readonly lastTs?: number;
  readonly min: JsonNumber;
  readonly max: JsonNumber;
  readonly count: number;
}

export function metricSummaryView(s: MetricSummary): MetricSummaryView {
  return { last: encodeNumber(s.last), lastStep: s.lastStep, ...(s.lastTs !== undefined ? { lastTs: s.lastTs } : {}), min: encodeNumber(s.min), max: encodeNumber(s.max), count: s.count };
}

export function metricsView(m: Record<string, MetricSummary>): Record<string, MetricSummaryView> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, metricSummaryView(v)]));
}

/**
 * What a display says in place of the code or environment a run did not record: a run
 * logged through the MLflow client, outside `reprise run`, has neither.
 */
export function notRecorded(m: Pick<RunManifest, 'trigger'>): string {
  if (m.trigger?.kind === 'mlflow') return 'not recorded: logged through the MLflow client, outside `reprise run`';
  if (m.trigger?.kind === 'tensorboard') return 'not recorded: imported from TensorBoard event files';
  return 'not recorded';
}

/** What names a run and says how it went, in every shape of a run that is listed. */
export function runHeadView(run: RunRecord) {
  return {
    id: run.id,
    name: run.name,
    project: run.project,
    status: run.status,
    dev: run.dev,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
  };
}

/** How a queued run was submitted and where it ran: null for a run started in the foreground. */
export function submissionView(run: RunRecord) {
  const s = run.manifest.submission;
  if (!s) return null;
  const w = run.manifest.execution.worker;
  return {
    via: s.via,
    by: s.by,
    queue: s.queue,
    priority: s.priority,
    attempt: s.attempt,
    retries: s.retries,
    retryOf: s.retryOf,
    retriedAs: s.retriedAs ?? null,
    sweep: s.sweep,
    worker: w ? { id: w.worker, name: w.name, host: w.host, gpus: w.gpus } : null,
  };
}

/** One line of a listing. */
export function runListView(run: RunRecord, metrics: Record<string, MetricSummary>, now: number = Date.now()) {
  const code = run.manifest.code;
  return {
    ...runHeadView(run),
    submission: submissionView(run),
    trigger: triggerOf(run.manifest),
    durationMs: durationMs(run, now),
    commit: code?.kind === 'git' ? code.commit : null,
    dirty: code?.kind === 'git' ? code.dirty : null,
    params: Object.fromEntries(run.manifest.params.overrides.map((o) => [o.key, o.value])),
    metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, encodeNumber(v.last)])),
  };
}

/** Everything known about one run. */
export function runDetailView(run: RunRecord, metrics: Record<string, MetricSummary>, artifacts: Artifact[], now: number = Date.now()) {
  return {
    ...runListView(run, metrics, now),
    failure: run.manifest.failure,
    metrics: metricsView(metrics),
    artifacts,
    manifest: run.manifest,
  };
}

export function metricPointsView(c: MetricColumns) {
  return Array.from({ length: c.steps.length }, (_, i) => ({ step: c.steps[i]!, ts: c.ts[i]!, value: encodeNumber(c.values[i]!) }));
}

/** A run's links to its reproductions: the run it reproduces and every check it is part of. */
export function reproducibilityView(run: RunRecord, checks: readonly LinkedVerification[]) {
  return {
    reproduces: run.manifest.run.reproduces ?? null,
    checks: checks.map((c) => ({ role: c.role, other: c.other, ...c.verification })),
  };
}

/** The newest check of a listed run, in a line. */
export function latestCheckView(c: LinkedVerification | undefined) {
  return c ? { role: c.role, other: c.other, verdict: c.verification.verdict, checkedAt: c.verification.checkedAt } : null;
}
