/**
 * @module interfaces/http/run-json
 * Runs as the API returns them: the record as stored (the manifest included), with its
 * final metrics and tags; NaN and ±Infinity as strings.
 */
import type { RunRecord } from '../../core/run.js';
import type { MetricSummary } from '../../core/run-manifest.js';
import { metricsView } from '../run-views.js';

export function runJson(run: RunRecord, metrics: Record<string, MetricSummary>, tags: Record<string, string>) {
  return { ...run, metrics: metricsView(metrics), tags };
}
