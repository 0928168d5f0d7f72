/**
 * @module interfaces/http/run-json
 * Runs as the API returns them: the record as stored (the manifest included), with its
 * final metrics and tags; NaN and ±Infinity as strings.
 */
import type { ParamValue } from '../../core/params.js';
import type { RunRecord } from '../../core/run.js';
import type { MetricSummary } from '../../core/run-manifest.js';
import { metricsView, runHeadView } from '../run-views.js';

export function runJson(run: RunRecord, metrics: Record<string, MetricSummary>, tags: Record<string, string>) {
  return { ...run, metrics: metricsView(metrics), tags };
}

/** A run as one row of a table (`view=row`): no manifest, its params flattened. */
export function runRowJson(run: RunRecord, metrics: Record<string, MetricSummary>, tags: Record<string, string>, params: Record<string, ParamValue>) {
  const code = run.manifest.code;
  return {
    ...runHeadView(run),
    code: code.kind === 'git' ? { commit: code.commit, branch: code.branch, dirty: code.dirty } : null,
    params,
    metrics: metricsView(metrics),
    tags,
  };
}
