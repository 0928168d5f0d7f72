/**
 * @module interfaces/http/read-body
 * Bytes of a request whose body is passed through as a stream (blobs, log pieces).
 */
import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { RepriseError } from '../../core/errors.js';

export async function readBody(request: FastifyRequest, limit: number): Promise<Buffer> {
  const stream = (request.body as Readable | undefined) ?? request.raw;
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      throw new RepriseError('REPRISE_ERR_REQUEST_TOO_LARGE', `the body is larger than ${limit} bytes`, { details: { limit } });
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}
