/**
 * @module interfaces/http/raw-body
 * The bytes of a JSON body as they arrived, kept beside the parsed value for the routes
 * that need them: a webhook's signature is over the exact bytes, not over a re-encoding.
 */
import type { FastifyRequest } from 'fastify';

const raw = new WeakMap<object, Buffer>();

/** Called by the JSON parser with the request it parsed. */
export function keepRawBody(request: FastifyRequest, bytes: Buffer): void {
  raw.set(request.raw, bytes);
}

/** The body's bytes; empty for a request without one. */
export function rawBodyOf(request: FastifyRequest): Buffer {
  return raw.get(request.raw) ?? Buffer.alloc(0);
}
