/**
 * @module interfaces/http/routes/blobs
 * Content-addressed bytes (patches, logs, outputs, models): a remote runner uploads
 * what its run produced, readers download it. An upload is streamed to a file and
 * checked against its name; a blob whose bytes do not hash to its name is refused.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { z } from 'zod';
import { RepriseError } from '../../../core/errors.js';
import type { ApiDeps } from '../api-deps.js';
import { route, type Route } from '../route.js';
import { errorJson, sha256Params } from '../schemas.js';
import { READ } from '../access-rule.js';

/** How long a handed-out URL works: long enough to start a large transfer on a slow link. */
const PRESIGNED_FOR_S = 3_600;
/** S3's largest single PUT; a larger blob goes through the server, which uploads it in parts. */
const MAX_PRESIGNED_PUT = 5 * 2 ** 30;

export function blobRoutes(d: ApiDeps, uploadDir: string = tmpdir()): Route[] {
  const notFound = (sha: string) => new RepriseError('REPRISE_ERR_BLOB_NOT_FOUND', `no blob ${sha}`, { details: { sha256: sha } });
  return [
    route({
      method: 'POST',
      path: '/blobs/:sha256/upload-url',
      access: { action: 'run', anyRun: true },
      tag: 'blobs',
      summary: 'Before an upload: whether the blob is stored already (then it is touched, as by /touch), else a URL to PUT its bytes to directly (an S3 bucket), or null where bytes go through PUT /blobs/{sha256}',
      params: sha256Params,
      body: z.object({ size: z.number().int().nonnegative() }),
      answers: {
        200: {
          description: 'stored, or where to upload',
          schema: z.object({ stored: z.boolean(), size: z.number().optional(), url: z.string().nullable(), headers: z.record(z.string(), z.string()).optional() }),
        },
      },
      async handler({ params, body }) {
        const known = await d.blobs.touch(params.sha256);
        if (known) return { stored: true, size: known.size, url: null };
        if (!d.blobs.presignedPut || body.size > MAX_PRESIGNED_PUT) return { stored: false, url: null };
        const { url, headers } = await d.blobs.presignedPut(params.sha256, body.size, PRESIGNED_FOR_S);
        return { stored: false, url, headers };
      },
    }),
    route({
      method: 'GET',
      path: '/blobs/:sha256/url',
      access: READ,
      tag: 'blobs',
      summary: "A URL that reads a blob's bytes directly (an S3 bucket), or null where they come from GET /blobs/{sha256}",
      params: sha256Params,
      answers: {
        200: { description: 'where to read it', schema: z.object({ size: z.number(), url: z.string().nullable() }) },
        404: { description: 'not stored', schema: errorJson },
      },
      async handler({ params }) {
        const st = await d.blobs.stat(params.sha256);
        if (!st) throw notFound(params.sha256);
        return { size: st.size, url: d.blobs.presignedGet ? await d.blobs.presignedGet(params.sha256, PRESIGNED_FOR_S) : null };
      },
    }),
    route({
      method: 'HEAD',
      path: '/blobs/:sha256',
      access: READ,
      tag: 'blobs',
      summary: 'Whether a blob is stored, and its size (content-length)',
      params: sha256Params,
      answers: { 200: { description: 'stored' }, 404: { description: 'not stored' } },
      async handler({ params, reply }) {
        const st = await d.blobs.stat(params.sha256);
        if (!st) throw notFound(params.sha256);
        void reply.header('content-length', String(st.size)).header('content-type', 'application/octet-stream');
        return '';
      },
    }),
    route({
      method: 'GET',
      path: '/blobs/:sha256',
      access: READ,
      tag: 'blobs',
      summary: "A blob's bytes",
      params: sha256Params,
      answers: { 200: { description: 'the bytes', contentType: 'application/octet-stream' }, 404: { description: 'not stored', schema: errorJson } },
      async handler({ params, reply }) {
        const st = await d.blobs.stat(params.sha256);
        if (!st) throw notFound(params.sha256);
        const bytes = await d.blobs.stream(params.sha256);
        void reply.header('content-type', 'application/octet-stream').header('content-length', String(st.size));
        return bytes;
      },
    }),
    route({
      method: 'POST',
      path: '/blobs/:sha256/touch',
      access: { action: 'run', anyRun: true },
      tag: 'blobs',
      summary: 'Mark a stored blob as written now (what a writer does instead of uploading bytes the server has), so a gc running meanwhile keeps it',
      params: sha256Params,
      answers: { 200: { description: 'stored, and touched', schema: z.object({ size: z.number() }) }, 404: { description: 'not stored', schema: errorJson } },
      async handler({ params }) {
        const st = await d.blobs.touch(params.sha256);
        if (!st) throw notFound(params.sha256);
        return { size: st.size };
      },
    }),
    route({
      method: 'PUT',
      path: '/blobs/:sha256',
      access: { action: 'run', anyRun: true },
      tag: 'blobs',
      summary: 'Store a blob; its bytes must hash to its name (sha256). Idempotent.',
      params: sha256Params,
      body: { raw: 'application/octet-stream', description: 'the bytes, streamed; no size limit' },
      answers: {
        200: { description: 'stored', schema: z.object({ sha256: z.string(), size: z.number() }) },
        400: { description: 'the bytes do not match the name', schema: errorJson },
      },
      async handler({ params, request }) {
        const stream = (request.body as Readable | undefined) ?? request.raw;
        const known = await d.blobs.touch(params.sha256);
        if (known) {
          stream.resume();
          return { sha256: params.sha256, size: known.size };
        }
        await mkdir(uploadDir, { recursive: true });
        const tmp = join(uploadDir, `.upload-${randomBytes(8).toString('hex')}`);
        const hash = createHash('sha256');
        try {
          await pipeline(
            stream,
            new Transform({
              transform(chunk: Buffer, _enc, cb) {
                hash.update(chunk);
                cb(null, chunk);
              },
            }),
            createWriteStream(tmp),
          );
          const got = hash.digest('hex');
          if (got !== params.sha256) {
            throw new RepriseError('REPRISE_ERR_REQUEST_INVALID', `the uploaded bytes hash to ${got}, not ${params.sha256}`, { details: { field: 'body', sha256: got } });
          }
          const ref = await d.blobs.putFile(tmp);
          return { sha256: ref.sha256, size: ref.size };
        } finally {
          await rm(tmp, { force: true });
        }
      },
    }),
  ];
}
