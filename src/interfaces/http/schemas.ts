/**
 * @module interfaces/http/schemas
 * The pieces of the API's shapes that several routes share, as zod schemas (they check
 * requests and become the OpenAPI document).
 */
import { z } from 'zod';
import { runRecordSchema } from '../../core/run.js';
import { LOG_FILES } from '../../ports/run-log-store.js';
import { STAGE_NAME } from '../../core/project-config.js';

export const runIdParams = z.object({ id: z.string().regex(/^[0-9a-hjkmnp-tv-z]{26}$/i, 'must be a run id') });

export const jsonNumber = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]);

export const metricSummaryJson = z.object({ last: jsonNumber, lastStep: z.number(), lastTs: z.number().optional().describe('UTC ms of the last point'), min: jsonNumber, max: jsonNumber, count: z.number() });

export const artifactJson = z.object({ path: z.string(), size: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });

export const paramValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** A run record with its final metrics and tags (see core/run.ts for the record's fields). */
export const runJson = runRecordSchema
  .extend({
    manifest: z.object({}).passthrough().describe('the run manifest (schema version 1)'),
    metrics: z.record(z.string(), metricSummaryJson),
    tags: z.record(z.string(), z.string()),
  })
  .describe('a run');

export const errorJson = z.object({
  error: z.object({
    code: z.string().describe('a stable REPRISE_ERR_* code, see docs/errors.md'),
    message: z.string(),
    hint: z.string().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

export const logParams = runIdParams.extend({
  stage: z.string().regex(STAGE_NAME, 'must be a stage name: letters, digits, "-" or "_"'),
  file: z.enum(LOG_FILES),
});

export const sha256Params = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits') });

/** "true"/"false" in a query string. */
export const queryBoolean = z.enum(['true', 'false']).transform((v) => v === 'true');

export const queryInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
