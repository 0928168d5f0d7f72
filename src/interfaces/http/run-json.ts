/**
 * @module interfaces/http/run-json
 * Runs as the API returns them: the record as stored (the manifest included), with its
 * final metrics and tags; NaN and ±Infinity as strings.
 */
import type { ParamValue } from '../../core/params.js';
import type { Retention } from '../../core/retention.js';
import type { RunRecord } from '../../core/run.js';
import { triggerOf } from '../../core/trigger.js';
import type { MetricSummary } from '../../core/run-manifest.js';
import type { Verdict, Verification } from '../../core/verification.js';
import { metricsView, runHeadView, submissionView } from '../run-views.js';

export function runJson(run: RunRecord, metrics: Record<string, MetricSummary>, tags: Record<string, string>) {
  return { ...run, metrics: metricsView(metrics), tags };
}

/** How a row tells that its run is part of a reproduction: the newest check, and the names of the runs it points to. */
export interface RowReproduction {
  /** Newest first, as the store gives them. */
  readonly verifications: readonly Verification[];
  /** Names of runs by id, for those `reproduces` and the newest check name. */
  readonly names: ReadonlyMap<string, string>;
}

/** The ids of other runs a row names: the run it reproduces, the other run of its newest check. */
export function rowRelatedIds(run: RunRecord, verifications: readonly Verification[]): string[] {
  const ids = new Set<string>();
  if (run.manifest.run.reproduces !== undefined) ids.add(run.manifest.run.reproduces);
  const newest = verifications[0];
  if (newest) for (const id of [newest.original, newest.reproduction]) ids.add(id);
  ids.delete(run.id);
  return [...ids];
}

/** A run as one row of a table (`view=row`): no manifest, its params flattened, its place in a reproduction. */
export function runRowJson(
  run: RunRecord,
  metrics: Record<string, MetricSummary>,
  tags: Record<string, string>,
  params: Record<string, ParamValue>,
  retention: Retention | null,
  repro?: RowReproduction,
) {
  const code = run.manifest.code;
  const newest = repro?.verifications[0];
  const verification: { original: string; reproduction: string; verdict: Verdict } | null = newest
    ? { original: newest.original, reproduction: newest.reproduction, verdict: newest.verdict }
    : null;
  const relatedNames: Record<string, string> = {};
  for (const id of rowRelatedIds(run, repro?.verifications ?? [])) {
    const name = repro?.names.get(id);
    if (name !== undefined) relatedNames[id] = name;
  }
  return {
    ...runHeadView(run),
    code: code?.kind === 'git' ? { commit: code.commit, branch: code.branch, dirty: code.dirty } : null,
    params,
    metrics: metricsView(metrics),
    tags,
    reproduces: run.manifest.run.reproduces ?? null,
    verification,
    relatedNames,
    gate: run.manifest.outputs.gate ?? null,
    retention,
    submission: submissionView(run),
    trigger: triggerOf(run.manifest),
  };
}
