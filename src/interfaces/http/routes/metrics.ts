/**
 * @module interfaces/http/routes/metrics
 * Metric ingestion (rows or columns, many points per request, resends skipped by writer
 * and seq) and metric history (whole, or downsampled on the server keeping extremes);
 * histogram points (ingested, listed by key, a key's series sampled evenly) and notes.
 */
import { z } from 'zod';
import { RepriseError } from '../../../core/errors.js';
import { decodeHistogramsBody, histogramToJson, MAX_BUCKETS } from '../../../core/histogram.js';
import { columnsToJson, decodeMetricsBody } from '../../../core/metric-wire.js';
import { decodeNotesBody, MAX_NOTE_TEXT } from '../../../core/run-note.js';
import type { ApiDeps } from '../api-deps.js';
import { route, type Route } from '../route.js';
import { workerOf } from './queue.js';
import { errorJson, jsonNumber, metricSummaryJson, queryBoolean, queryInt, runIdParams } from '../schemas.js';
import { metricsView } from '../../run-views.js';
import { getRunOr404 } from './runs.js';
import { READ, runParam } from '../access-rule.js';

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

/** Histogram bodies: a 1,000-bucket point is some 30 to 60 KB of JSON, so this takes thousands per request. */
const HISTOGRAMS_BODY_LIMIT = METRICS_BODY_LIMIT;

/** Points a sampled histogram history gives by default, and at most (full=true has no cap). */
const HISTOGRAM_POINTS_DEFAULT = 100;
const HISTOGRAM_POINTS_MAX = 10_000;

const histogramStatsJson = z.object({ min: z.number(), max: z.number(), count: z.number(), sum: z.number(), sumSquares: z.number() });

const histogramIngestDoc = z.object({
  histograms: z.array(
    z.object({
      key: z.string(),
      step: z.number().int().nonnegative(),
      ts: z.number().optional().describe('UTC ms; default now'),
      buckets: z.array(z.tuple([z.number(), z.number(), z.number()])).max(MAX_BUCKETS).optional().describe('[left, right, count] per bucket, in order'),
      edges: z.array(z.number()).optional().describe('k+1 increasing edges, with `counts`'),
      counts: z.array(z.number()).optional().describe('k counts, with `edges`'),
      values: z.array(jsonNumber).optional().describe('raw values, bucketed on the server into `bins` equal widths (NaN and ±Infinity left out)'),
      bins: z.number().int().min(1).max(MAX_BUCKETS).optional().describe('buckets for `values`; default 30'),
      stats: histogramStatsJson.nullable().optional().describe('beside buckets or edges; computed from `values`'),
    }),
  ),
}).describe('one of `buckets`, `edges` with `counts`, or `values` per point');

const histogramPointJson = z.object({
  step: z.number(),
  ts: z.number(),
  buckets: z.array(z.tuple([z.number(), z.number(), z.number()])),
  stats: histogramStatsJson.nullable(),
});

const histogramSeriesInfoJson = z.object({ key: z.string(), count: z.number(), firstStep: z.number(), lastStep: z.number(), lastTs: z.number() });

const noteJson = z.object({ key: z.string(), step: z.number(), ts: z.number(), text: z.string() });

const notesIngestDoc = z.object({
  notes: z.array(
    z.object({
      key: z.string(),
      step: z.number().int().nonnegative().optional().describe('default 0'),
      ts: z.number().optional().describe('UTC ms; default now'),
      text: z.string().max(MAX_NOTE_TEXT).describe('Markdown by convention'),
    }),
  ),
});

export function metricRoutes(d: ApiDeps): Route[] {
  return [
    route({
      method: 'POST',
      path: '/runs/:id/metrics',
      access: { action: 'run', scope: runParam() },
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
      access: READ,
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
      access: READ,
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
    route({
      method: 'POST',
      path: '/runs/:id/histograms',
      access: { action: 'run', scope: runParam() },
      tag: 'metrics',
      summary: 'Log histogram points: buckets, edges and counts, or raw values bucketed here',
      params: runIdParams,
      bodyDoc: histogramIngestDoc,
      bodyLimit: HISTOGRAMS_BODY_LIMIT,
      answers: {
        200: { description: 'stored', schema: z.object({ accepted: z.number() }) },
        400: { description: 'a malformed point, named by its path', schema: errorJson },
        404: { description: 'no such run', schema: errorJson },
      },
      async handler({ params, request }) {
        const batches = decodeHistogramsBody(request.body, Date.now());
        await d.tracking.appendHistograms(params.id.toLowerCase(), batches, workerOf(request));
        return { accepted: batches.reduce((n, b) => n + b.points.length, 0) };
      },
    }),
    route({
      method: 'GET',
      path: '/runs/:id/histograms',
      access: READ,
      tag: 'metrics',
      summary: 'The histogram keys of a run: points, first and last step, time of the last point',
      params: runIdParams,
      answers: {
        200: { description: 'by key', schema: z.object({ histograms: z.array(histogramSeriesInfoJson) }) },
        404: { description: 'no such run', schema: errorJson },
      },
      async handler({ params }) {
        const run = await getRunOr404(d, params.id);
        return { histograms: await d.store.histogramKeys(run.id) };
      },
    }),
    route({
      method: 'GET',
      path: '/runs/:id/histograms/history',
      access: READ,
      tag: 'metrics',
      summary: "A histogram's points in step order: at most `points` spread evenly (first and last kept), or all with full=true",
      params: runIdParams,
      query: z.object({
        key: z.string().min(1).describe('the histogram'),
        points: queryInt(1, HISTOGRAM_POINTS_MAX).optional().describe(`at most this many points; default ${HISTOGRAM_POINTS_DEFAULT}`),
        full: queryBoolean.optional().describe('every point'),
      }),
      answers: {
        200: { description: 'the points, with how many are stored', schema: z.object({ key: z.string(), total: z.number().describe('points stored'), points: z.array(histogramPointJson) }) },
        404: { description: 'no such run or histogram', schema: errorJson },
      },
      async handler({ params, query }) {
        const run = await getRunOr404(d, params.id);
        const read = await d.store.histogramSeries(run.id, query.key, query.full ? {} : { maxPoints: query.points ?? HISTOGRAM_POINTS_DEFAULT });
        if (read.total === 0) {
          const known = (await d.store.histogramKeys(run.id)).map((h) => h.key);
          throw new RepriseError('REPRISE_ERR_METRIC_NOT_FOUND', `run ${run.name} has no histogram ${JSON.stringify(query.key)}${known.length ? `; it has: ${known.join(', ')}` : '; it has no histograms'}`, {
            details: { run: run.id, key: query.key, known },
          });
        }
        return { key: query.key, total: read.total, points: read.points.map(histogramToJson) };
      },
    }),
    route({
      method: 'POST',
      path: '/runs/:id/notes',
      access: { action: 'run', scope: runParam() },
      tag: 'metrics',
      summary: 'Log notes: text at a step under a key',
      params: runIdParams,
      bodyDoc: notesIngestDoc,
      answers: {
        200: { description: 'stored', schema: z.object({ accepted: z.number() }) },
        400: { description: 'a malformed note, named by its path', schema: errorJson },
        404: { description: 'no such run', schema: errorJson },
      },
      async handler({ params, request }) {
        const notes = decodeNotesBody(request.body, Date.now());
        await d.tracking.appendNotes(params.id.toLowerCase(), notes, workerOf(request));
        return { accepted: notes.length };
      },
    }),
    route({
      method: 'GET',
      path: '/runs/:id/notes',
      access: READ,
      tag: 'metrics',
      summary: "A run's notes by key, step, then arrival; one key's with `key`",
      params: runIdParams,
      query: z.object({ key: z.string().min(1).optional().describe('only this key') }),
      answers: {
        200: { description: 'the notes', schema: z.object({ notes: z.array(noteJson) }) },
        404: { description: 'no such run', schema: errorJson },
      },
      async handler({ params, query }) {
        const run = await getRunOr404(d, params.id);
        return { notes: await d.store.runNotes(run.id, query.key !== undefined ? { key: query.key } : {}) };
      },
    }),
  ];
}
