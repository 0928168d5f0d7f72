/**
 * @module interfaces/http/routes/metrics
 * Metric ingestion (rows or columns, many points per request, resends skipped by writer
 * and seq) and metric history (whole, or downsampled on the server keeping extremes).
 */
import { z } from 'zod';
import { RepriseError } from '../../../core/errors.js';
import { columnsToJson, decodeMetricsBody } from '../../../core/metric-wire.js';
import type { ApiDeps } from '../api-deps.js';
import { route, type Route } from '../route.js';
import { workerOf } from './queue.js';
import { errorJson, jsonNumber, metricSummaryJson, queryBoolean, queryInt, runIdParams } from '../schemas.js';
import { metricsView } from '../../run-views.js';
import { getRunOr404 } from './runs.js';

/** Bulk bodies may be large: a million points as columns is about 30 MB of JSON. */
export const METRICS_BODY_LIMIT = 256 * 1024 * 1024;

const writerSchema = z.object({ id: z.string().min(1).max(100), seq: z.number().int().nonnegative() });

const ingestDoc = z
  .object({
    points: z
      .array(z.object({ key: z.string(), value: jsonNumber, step: z.number().int().optional().describe('default 0'), ts: z.number().optional().describe('UTC ms; default now') }))
      .optional()
      .describe('row form, for a few points'),
    series: z
      .array(
        z.object({
          key: z.string(),
          steps: z.array(z.number().int()),
          values: z.array(jsonNumber),
          ts: z.union([z.array(z.number()), z.number()]).optional().describe('one time per point, one for all, or default now'),
        }),
      )
      .optional()
      .describe('column form, for long series'),
    writer: writerSchema.optional().describe('the sender and the number of this append: a resend of an applied seq is skipped'),
  })
  .describe('points as rows, as columns, or both');

const historyJson = z.object({
  key: z.string(),
  total: z.number().describe('points stored'),
  downsampled: z.boolean(),
  steps: z.array(z.number()),
  ts: z.array(z.number()),
  values: z.array(jsonNumber),
});

export function metricRoutes(d: ApiDeps): Route[] {
  return [
    route({
      method: 'POST',
      path: '/runs/:id/metrics',
      tag: 'metrics',
      summary: 'Log metric points, many per request',
      params: runIdParams,
      bodyDoc: ingestDoc,
      bodyLimit: METRICS_BODY_LIMIT,
      answers: {
        200: { description: 'stored (or skipped as a resend)', schema: z.object({ accepted: z.number(), duplicate: z.boolean() }) },
        400: { description: 'a malformed point, named by its path', schema: errorJson },
        404: { description: 'no such run', schema: errorJson },
      },
      async handler({ params, request }) {
        const body = request.body as { writer?: unknown } | undefined;
        const batches = decodeMetricsBody(body, Date.now());
        let writer;
        if (body?.writer !== undefined) {
          const w = writerSchema.safeParse(body.writer);
          if (!w.success) throw new RepriseError('REPRISE_ERR_REQUEST_INVALID', 'writer: expected {"id": text, "seq": a whole number}', { details: { field: 'writer' } });
          writer = w.data;
        }
        const applied = await d.tracking.appendMetrics(params.id.toLowerCase(), batches, writer, workerOf(request));
        return { accepted: applied ? batches.reduce((n, b) => n + b.steps.length, 0) : 0, duplicate: !applied };
      },
    }),
    route({
      method: 'GET',
      path: '/runs/:id/metrics',
      tag: 'metrics',
      summary: 'Final metrics of a run: last, min, max, count per key',
      params: runIdParams,
      answers: { 200: { description: 'per key', schema: z.object({ metrics: z.record(z.string(), metricSummaryJson) }) } },
      async handler({ params }) {
        const run = await getRunOr404(d, params.id);
        return { metrics: metricsView((await d.store.metricSummaries([run.id])).get(run.id) ?? {}) };
      },
    }),
    route({
      method: 'GET',
      path: '/runs/:id/history',
      tag: 'metrics',
      summary: "A metric's history: downsampled to `points` (extremes kept), or whole with full=true",
      params: runIdParams,
      query: z.object({
        key: z.string().min(1).describe('the metric'),
        points: queryInt(2, 1_000_000).optional().describe('at most this many points; default 1000'),
        method: z.enum(['minmax', 'lttb']).optional().describe('minmax (default) keeps each bucket\'s min and max; lttb keeps the visual shape'),
        full: queryBoolean.optional().describe('every point'),
      }),
      answers: { 200: { description: 'the points, as columns', schema: historyJson }, 404: { description: 'no such run or metric', schema: errorJson } },
      async handler({ params, query }) {
        const run = await getRunOr404(d, params.id);
        const h = await d.catalog.metricHistory(run, query.key, {
          ...(query.full ? {} : { maxPoints: query.points ?? 1000 }),
          ...(query.method ? { method: query.method } : {}),
        });
        return { key: h.key, total: h.total, downsampled: h.downsampled, ...columnsToJson(h.points) };
      },
    }),
  ];
}
