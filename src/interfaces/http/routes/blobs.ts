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

export function blobRoutes(d: ApiDeps, uploadDir: string = tmpdir()): Route[] {
  const notFound = (sha: string) => new RepriseError('REPRISE_ERR_BLOB_NOT_FOUND', `no blob ${sha}`, { details: { sha256: sha } });
  return [
    route({
      method: 'HEAD',
      path: '/blobs/:sha256',
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
