/**
 * @module interfaces/http/route
 * A route of the native API, declared once: method, path, schemas of its parameters,
 * query and body (zod), its answers, its handler. The server registers the routes from
 * these declarations and the OpenAPI document is generated from the same ones, so the
 * document cannot describe a route that does not exist or miss one that does.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { AccessRule } from './access-rule.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';

export interface RouteAnswer {
  readonly description: string;
  /** JSON body schema; absent for empty or non-JSON answers. */
  readonly schema?: z.ZodType;
  /** Default application/json when a schema is given. */
  readonly contentType?: string;
}

export interface RouteInput<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

export interface Route<P = unknown, Q = unknown, B = unknown> {
  readonly method: HttpMethod;
  /** Under /api/v1, fastify style: `/runs/:id`. */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  /** Who may call it: checked before the handler when the server asks who is calling. */
  readonly access: AccessRule;
  readonly params?: z.ZodType<P>;
  readonly query?: z.ZodType<Q>;
  /** A JSON body schema, or `raw` for bytes handed over as a stream (blobs, log pieces). */
  readonly body?: z.ZodType<B> | { readonly raw: string; readonly description: string };
  /** A JSON body read without a schema library, for the hot ingestion path; described by `bodyDoc`. */
  readonly bodyDoc?: z.ZodType;
  readonly answers: Readonly<Record<number, RouteAnswer>>;
  /** Body limit of this route in bytes, when it differs from the server's. */
  readonly bodyLimit?: number;
  handler(input: RouteInput<P, Q, B>): Promise<unknown>;
}

/** Keeps the types of one route's parts together while it is declared. */
export function route<P, Q, B>(r: Route<P, Q, B>): Route {
  return r as unknown as Route;
}

