/**
 * @module interfaces/http/routes/retention
 * Whether runs' artifacts stay: a run kept or flagged by hand, the decided retention of
 * many runs (what the remote store reads), and garbage collection on the server, where
 * the blobs are.
 */
import { z } from 'zod';
import { retentionMarkSchema, type RetentionMark } from '../../../core/retention.js';
import type { ApiDeps } from '../api-deps.js';
import { route, type Route } from '../route.js';
import { actorOf } from '../authentication.js';
import { errorJson, runIdParams } from '../schemas.js';
import { getRunOr404 } from './runs.js';
import { READ, runParam } from '../access-rule.js';

const retentionJson = retentionMarkSchema.describe('a decided retention: kept, flagged (until: when gc may delete), deleted (until: when it did) or pinned');

export function retentionRoutes(d: ApiDeps): Route[] {
  return [
    route({
      method: 'PUT',
      path: '/runs/:id/retention',
      access: { action: 'curate', scope: runParam() },
      tag: 'retention',
      summary: "Keep a run's artifacts, or flag them for deletion from a time on (deleted: collect them at the next gc)",
      params: runIdParams,
      body: z.object({
        state: z.enum(['kept', 'flagged', 'deleted']).describe('pinned comes from promotion only'),
        until: z.number().nullable().optional().describe('flagged: from when gc may delete them, UTC ms (default now)'),
        reason: z.string().max(1000).optional(),
        by: z.string().min(1).max(200).optional(),
      }),
      answers: {
        200: { description: 'the retention now', schema: z.object({ retention: retentionJson }) },
        404: { description: 'no such run', schema: errorJson },
        409: { description: 'the run is still going, pinned by a model version, or its artifacts are gone', schema: errorJson },
      },
      async handler({ params, body, request }) {
        const run = await getRunOr404(d, params.id);
        const at = Date.now();
        const by = request.principal?.name ?? body.by ?? null;
        const mark: RetentionMark = {
          state: body.state,
          // deleted without a date: under way (what gc marks first).
          until: body.state === 'kept' ? null : body.state === 'deleted' && body.until !== undefined ? body.until : (body.until ?? at),
          reason: body.reason ?? (body.state === 'kept' ? `kept by ${by ?? 'api'}` : body.state === 'flagged' ? `flagged by ${by ?? 'api'}` : 'artifacts deleted by gc'),
          manual: body.state !== 'deleted',
          by,
          at,
        };
        return { retention: await d.retention.decide(run, mark) };
      },
    }),
    route({
      method: 'POST',
      path: '/run-retention',
      access: READ,
      tag: 'retention',
      summary: 'The decided retention of many runs (runs whose retention follows from how they ended are left out)',
      body: z.object({ runIds: z.array(z.string()).max(10_000) }),
      answers: { 200: { description: 'per run', schema: z.object({ retention: z.record(z.string(), retentionJson) }) } },
      async handler({ body }) {
        return { retention: Object.fromEntries(await d.store.retentionMarks(body.runIds.map((i) => i.toLowerCase()))) };
      },
    }),
    route({
      method: 'POST',
      path: '/gc',
      access: { action: 'admin' },
      tag: 'retention',
      summary: 'Delete the artifacts of runs whose flag date has passed, keeping every blob a kept, pinned or running run or a model version uses',
      body: z.object({
        dryRun: z.boolean().optional(),
        graceMs: z.number().int().min(0).optional().describe('keep blobs written this long before gc started (default 60000)'),
        by: z.string().min(1).max(200).optional().describe('who asks, for the audit log, when the server does not ask who calls'),
      }),
      answers: {
        200: {
          description: 'what was freed',
          schema: z.object({
            dryRun: z.boolean(),
            runsChecked: z.number().int(),
            runsCollected: z.array(z.object({ id: z.string(), name: z.string(), project: z.string() })),
            blobsFreed: z.number().int(),
            bytesFreed: z.number(),
            blobsShared: z.number().int(),
            blobsInUse: z.number().int(),
            ms: z.number(),
          }),
        },
      },
      async handler({ body, request }) {
        return d.collectGarbage({ dryRun: body.dryRun ?? false, ...(body.graceMs !== undefined ? { graceMs: body.graceMs } : {}), by: actorOf(request, body.by) });
      },
    }),
  ];
}
