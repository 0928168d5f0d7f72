/**
 * @module interfaces/http/openapi
 * The OpenAPI 3.1 document of the native API, generated from the route declarations.
 */
import { z } from 'zod';
import { API_PREFIX } from '../../core/api-version.js';
import type { Route } from './route.js';

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const s = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete s.$schema;
  return s;
}

/** `/runs/:id/artifacts/*` → `/api/v1/runs/{id}/artifacts/{path}`. */
export function openApiPath(path: string): string {
  return API_PREFIX + path.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{path}');
}

function parameters(r: Route): unknown[] {
  const out: unknown[] = [];
  const add = (schema: z.ZodType | undefined, where: 'path' | 'query'): void => {
    if (!schema) return;
    const js = jsonSchema(schema, 'input') as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
    for (const [name, prop] of Object.entries(js.properties ?? {})) {
      const { description, ...rest } = prop;
      out.push({
        name: name === '*' ? 'path' : name,
        in: where,
        required: where === 'path' || (js.required ?? []).includes(name),
        ...(description ? { description } : {}),
        schema: rest,
      });
    }
  };
  add(r.params, 'path');
  add(r.query, 'query');
  return out;
}

export function openApiDocument(routes: readonly Route[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const p = (paths[openApiPath(r.path)] ??= {});
    const body = r.body ?? r.bodyDoc;
    let requestBody: unknown;
    if (body && 'raw' in body) {
      requestBody = { required: true, description: body.description, content: { [body.raw]: { schema: { type: 'string', format: 'binary' } } } };
    } else if (body) {
      requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(body as z.ZodType, 'input') } } };
    }
    const responses: Record<string, unknown> = {};
    for (const [status, a] of Object.entries(r.answers)) {
      const type = a.contentType ?? (a.schema ? 'application/json' : undefined);
      responses[status] = {
        description: a.description,
        ...(type ? { content: { [type]: a.schema ? { schema: jsonSchema(a.schema, 'output') } : {} } } : {}),
      };
    }
    p[r.method.toLowerCase()] = {
      operationId: `${r.method.toLowerCase()}${r.path.replace(/\*$/, 'path').replace(/[/:]+([a-z])?/gi, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      summary: r.summary,
      tags: [r.tag],
      parameters: parameters(r),
      ...(requestBody ? { requestBody } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Reprise API',
      version,
      description: 'The native API of a Reprise server. Errors are {"error": {"code", "message", "hint", "details"}}; codes are listed in docs/errors.md.',
    },
    servers: [{ url: '/' }],
    paths,
  };
}
