/**
 * @module interfaces/http/routes/logs
 * Stage logs: a runner sends the pieces as they are written (at their byte offset, so a
 * resend is harmless); readers ask for the bytes past what they have.
 */
import { z } from 'zod';
import type { ApiDeps } from '../api-deps.js';
import { readBody } from '../read-body.js';
import { route, type Route } from '../route.js';
import { workerOf } from './queue.js';
import { errorJson, logParams, queryBoolean, queryInt } from '../schemas.js';
import { getRunOr404 } from './runs.js';
import { READ, runParam } from '../access-rule.js';

/** One piece of a live log; the runner sends smaller ones. */
export const LOG_PIECE_LIMIT = 8 * 1024 * 1024;

export function logRoutes(d: ApiDeps): Route[] {
  return [
    route({
      method: 'PUT',
      path: '/runs/:id/logs/:stage/:file',
      access: { action: 'run', scope: runParam() },
      tag: 'logs',
      summary: 'Append a piece of a running stage\'s log at its byte offset',
      params: logParams,
      query: z.object({ offset: queryInt(0, Number.MAX_SAFE_INTEGER).describe('where the piece starts in the file') }),
      body: { raw: 'application/octet-stream', description: 'the bytes' },
      answers: {
        200: { description: 'the file\'s size now and how many bytes were new', schema: z.object({ size: z.number(), appended: z.number() }) },
        409: { description: 'the piece starts past the end (REPRISE_ERR_LOG_GAP, details.size says where)', schema: errorJson },
      },
      async handler({ params, query, request }) {
        const data = await readBody(request, LOG_PIECE_LIMIT);
        return d.tracking.appendLog(params.id.toLowerCase(), params.stage, params.file, query.offset, data, workerOf(request));
      },
    }),
    route({
      method: 'GET',
      path: '/runs/:id/logs/:stage/:file',
      access: READ,
      tag: 'logs',
      summary: 'A stage\'s log from a byte offset on; the header X-Reprise-Log-Complete says whether more can come',
      params: logParams,
      query: z.object({
        offset: queryInt(0, Number.MAX_SAFE_INTEGER).optional(),
        live: queryBoolean.optional().describe('only the live copy, never the stored log'),
      }),
      answers: { 200: { description: 'the bytes', contentType: 'application/octet-stream' }, 404: { description: 'no such run or stage', schema: errorJson } },
      async handler({ params, query, reply }) {
        const run = await getRunOr404(d, params.id);
        const offset = query.offset ?? 0;
        if (query.live) {
          const data = await d.catalog.readLiveLog(run, params.stage, params.file, offset);
          void reply.header('content-type', 'application/octet-stream').header('x-reprise-log-complete', 'false');
          return data;
        }
        d.catalog.stagesOf(run, params.stage); // an unknown stage is a 404 naming the real ones
        const { data, complete } = await d.catalog.readLog(run, params.stage, params.file, offset);
        void reply.header('content-type', 'application/octet-stream').header('x-reprise-log-complete', String(complete));
        return data;
      },
    }),
  ];
}
