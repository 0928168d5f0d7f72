/**
 * @module interfaces/http/routes/reproducibility
 * What reproduction and bundles need of a server: recording how two runs compared,
 * reading those checks back from either run, and importing a run from another store.
 */
import { z } from 'zod';
import { RepriseError } from '../../../core/errors.js';
import { decodeHistogramsBody } from '../../../core/histogram.js';
import { decodeMetricsBody } from '../../../core/metric-wire.js';
import { decodeNotesBody } from '../../../core/run-note.js';
import { isActive } from '../../../core/run-manifest.js';
import { runRecordSchema, type RunRecord } from '../../../core/run.js';
import { verificationSchema, type Verification } from '../../../core/verification.js';
import type { ApiDeps } from '../api-deps.js';
import { route, type Route } from '../route.js';
import { artifactJson, errorJson, paramValue, runIdParams } from '../schemas.js';
import { getRunOr404 } from './runs.js';
import { METRICS_BODY_LIMIT } from './metrics.js';
import { READ, runRecordsInBody, runsInBody } from '../access-rule.js';

const importBody = z.object({
  run: runRecordSchema,
  params: z.record(z.string().min(1), paramValue),
  tags: z.record(z.string().min(1), z.string()),
  artifacts: z.array(artifactJson),
  metrics: z.object({ series: z.array(z.unknown()) }).describe('metric series as columns, the body of POST /runs/{id}/metrics'),
  // Optional: clients older than histograms and notes send neither.
  histograms: z.array(z.unknown()).optional().describe('histogram points, the list of POST /runs/{id}/histograms, each with its `ts`'),
  notes: z.array(z.unknown()).optional().describe('notes, the list of POST /runs/{id}/notes, each with its `ts`'),
});

export function reproducibilityRoutes(d: ApiDeps): Route[] {
  return [
    route({
      method: 'POST',
      path: '/verifications',
      access: { action: 'run', scope: runsInBody('reproduction') },
      tag: 'reproducibility',
      summary: 'Record how a reproduction compared with its original (replaces an earlier check of the pair)',
      body: verificationSchema,
      answers: { 200: { description: 'recorded', schema: z.object({ saved: z.boolean() }) }, 404: { description: 'a run does not exist', schema: errorJson } },
      async handler({ body }) {
        const v = body as Verification;
        for (const id of [v.original, v.reproduction]) await getRunOr404(d, id);
        await d.store.saveVerification(v);
        return { saved: true };
      },
    }),
    route({
      method: 'GET',
      path: '/runs/:id/verifications',
      access: READ,
      tag: 'reproducibility',
      summary: 'The checks a run is part of, as original or as reproduction, newest first',
      params: runIdParams,
      answers: { 200: { description: 'the checks', schema: z.object({ verifications: z.array(verificationSchema) }) }, 404: { description: 'no such run', schema: errorJson } },
      async handler({ params }) {
        const run = await getRunOr404(d, params.id);
        return { verifications: (await d.store.verificationsOf([run.id])).get(run.id) ?? [] };
      },
    }),
    route({
      method: 'POST',
      path: '/run-verifications',
      access: READ,
      tag: 'reproducibility',
      summary: 'The checks of many runs at once',
      body: z.object({ runIds: z.array(z.string()).max(10_000) }),
      answers: { 200: { description: 'per run (runs without checks left out)', schema: z.object({ verifications: z.record(z.string(), z.array(verificationSchema)) }) } },
      async handler({ body }) {
        return { verifications: Object.fromEntries(await d.store.verificationsOf(body.runIds.map((i) => i.toLowerCase()))) };
      },
    }),
    route({
      method: 'POST',
      path: '/runs/import',
      access: { action: 'run', scope: runRecordsInBody('run') },
      tag: 'reproducibility',
      summary: 'Import a finished run from another store, all or nothing (what `reprise import` sends once the blobs are here)',
      body: importBody,
      bodyLimit: METRICS_BODY_LIMIT,
      answers: {
        200: { description: 'whether it was imported (false: a run with its id is here already)', schema: z.object({ imported: z.boolean() }) },
        400: { description: 'a malformed run, metric point, histogram point or note, named by its path', schema: errorJson },
      },
      async handler({ body }) {
        const run = body.run as RunRecord;
        if (isActive(run.status)) {
          throw new RepriseError('REPRISE_ERR_REQUEST_INVALID', `run.status: only finished runs can be imported, not ${run.status}`, { details: { field: 'run.status' } });
        }
        const now = Date.now();
        const metrics = decodeMetricsBody(body.metrics, now);
        // Decoded as the routes that log them decode them: a problem is named by its path in this body.
        const histograms = body.histograms ? decodeHistogramsBody({ histograms: body.histograms }, now) : [];
        const notes = body.notes ? decodeNotesBody({ notes: body.notes }, now) : [];
        return { imported: await d.store.importRun({ run, params: body.params, tags: body.tags, artifacts: body.artifacts, metrics, histograms, notes }) };
      },
    }),
  ];
}
