/**
 * The OpenAPI document at /api/v1/openapi.json describes exactly the routes the server
 * serves: every documented operation is routed, every served route is documented, and
 * documented client errors carry the one error shape.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiDeps } from '../../src/interfaces/http/api-deps.js';
import { apiRoutes } from '../../src/interfaces/http/server.js';
import { useServer } from '../helpers/server.js';
import { UNKNOWN_RUN } from './fixtures.js';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Well-formed values for path parameters that name nothing stored. */
const PATH_VALUES: Record<string, string> = {
  id: UNKNOWN_RUN,
  sha256: 'a'.repeat(64),
  stage: 'train',
  file: 'combined',
  key: 'x',
  path: 'outputs/a.txt',
  project: 'no-such-project',
  name: 'no-such-model',
  ref: 'production',
  alias: 'production',
  table: 'no_such_table',
};

interface Operation {
  operationId?: string;
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, { description: string; content?: Record<string, { schema?: any }> }>;
}

/** Deps that fail the test if a route declaration touches them while the list is built. */
function untouchableDeps(): ApiDeps {
  return new Proxy({} as ApiDeps, {
    get(_t, prop) {
      throw new Error(`route declarations read deps.${String(prop)} while the route list was built`);
    },
  });
}

/** Fastify style `/runs/:id/artifacts/*` as an OpenAPI path, written out independently of the server's own conversion. */
function toOpenApiPath(path: string): string {
  return `/api/v1${path.replace(/:(\w+)/g, '{$1}').replace(/\/\*$/, '/{path}')}`;
}

function fill(path: string): string {
  return path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const v = PATH_VALUES[name];
    if (v === undefined) throw new Error(`no test value for the path parameter {${name}} of ${path}`);
    return name === 'path' ? v : encodeURIComponent(v);
  });
}

describe('OpenAPI document', () => {
  const ctx = useServer();
  let doc: { openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, Operation>> };

  beforeAll(async () => {
    const res = await ctx.client.get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    doc = res.json;
  });

  const operations = (): { path: string; method: string; op: Operation }[] =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([m]) => (METHODS as readonly string[]).includes(m))
        .map(([method, op]) => ({ path, method, op })),
    );

  it('is an OpenAPI 3.1 document with info and paths', async () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(typeof doc.info.title).toBe('string');
    expect(doc.info.title.length).toBeGreaterThan(0);
    const health = await ctx.client.get('/health');
    expect(health.status).toBe(200);
    expect(doc.info.version).toBe(health.json.version);
    expect(Object.keys(doc.paths).length).toBeGreaterThan(10);
    for (const path of Object.keys(doc.paths)) expect(path).toMatch(/^\/api\/v1\//);
    for (const { path, method, op } of operations()) {
      expect(Object.keys(op.responses).length, `${method} ${path} documents no answer`).toBeGreaterThan(0);
      // Every {param} of the path is declared as a required path parameter, and no other.
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path');
      expect(declared.map((p) => p.name).sort(), `${method} ${path}: path parameters`).toEqual(inPath);
      for (const p of declared) expect(p.required, `${method} ${path}: {${p.name}} must be required`).toBe(true);
    }
  });

  it('gives every operation its own operationId (OpenAPI requires them unique)', () => {
    const byId = new Map<string, string[]>();
    for (const { path, method, op } of operations()) {
      expect(typeof op.operationId, `${method} ${path} has no operationId`).toBe('string');
      byId.set(op.operationId!, [...(byId.get(op.operationId!) ?? []), `${method.toUpperCase()} ${path}`]);
    }
    const shared = [...byId].filter(([, ops]) => ops.length > 1).map(([id, ops]) => `${id}: ${ops.join(', ')}`);
    expect(shared).toEqual([]);
  });

  it('routes every documented operation (none answers "no route")', async () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(15);
    const misses: string[] = [];
    for (const { path, method, op } of ops) {
      const url = `${ctx.server.url}${fill(path)}`;
      const headers: Record<string, string> = {};
      let body: string | undefined;
      if (op.requestBody) {
        const type = Object.keys(op.requestBody.content)[0]!;
        headers['content-type'] = type;
        body = type === 'application/json' ? '{}' : '';
      }
      // An event stream never ends: the status line is all that is needed.
      const abort = new AbortController();
      const res = await fetch(url, { method: method.toUpperCase(), headers, ...(body !== undefined ? { body } : {}), signal: abort.signal });
      let json: any;
      if (method !== 'head' && (res.headers.get('content-type') ?? '').includes('json')) json = await res.json();
      abort.abort();
      if (res.status === 404 && (method === 'head' || json?.error?.code === 'REPRISE_ERR_ROUTE_NOT_FOUND')) {
        // HEAD answers carry no body; tell a route miss from "not stored" with GET on the same path.
        if (method === 'head') {
          const get = await ctx.client.get(fill(path).replace(/^\/api\/v1/, ''));
          if (get.json?.error?.code !== 'REPRISE_ERR_ROUTE_NOT_FOUND') continue;
        }
        misses.push(`${method.toUpperCase()} ${path}`);
      }
      expect(res.status, `${method.toUpperCase()} ${path}`).toBeLessThan(500);
    }
    expect(misses).toEqual([]);
  });

  it('documents exactly the routes the server declares', () => {
    const routes = apiRoutes(untouchableDeps(), { uploadDir: '/nonexistent' });
    const served = new Set(routes.map((r) => `${r.method} ${toOpenApiPath(r.path)}`));
    expect(served.size, 'a method and path declared twice').toBe(routes.length);
    const documented = new Set(operations().map(({ path, method }) => `${method.toUpperCase()} ${path}`));
    expect([...documented].filter((x) => !served.has(x)).sort(), 'documented, not served').toEqual([]);
    expect([...served].filter((x) => !documented.has(x)).sort(), 'served, not documented').toEqual([]);
  });

  it('really serves the routes it declares, and nothing under /api/v1 it does not', async () => {
    const routes = apiRoutes(untouchableDeps());
    for (const r of routes) {
      if (r.method !== 'GET' || r.path === '/events') continue;
      const res = await ctx.client.get(fill(toOpenApiPath(r.path)).replace(/^\/api\/v1/, ''));
      expect(res.json?.error?.code, `GET ${r.path}`).not.toBe('REPRISE_ERR_ROUTE_NOT_FOUND');
    }
    // A method not declared on a declared path is not routed.
    const del = await ctx.client.delete(`/runs/${UNKNOWN_RUN}/params`);
    expect(del.status).toBe(404);
    expect(del.json.error.code).toBe('REPRISE_ERR_ROUTE_NOT_FOUND');
  });

  it('gives the error schema to every documented client error with a body', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const { path, method, op } of operations()) {
      for (const [status, answer] of Object.entries(op.responses)) {
        if (!/^4\d\d$/.test(status)) continue;
        // HEAD answers have no body by definition (RFC 9110), so they document none.
        if (method === 'head') continue;
        const schema = answer.content?.['application/json']?.schema;
        const error = schema?.properties?.error;
        const where = `${method.toUpperCase()} ${path} ${status}`;
        if (!schema || schema.type !== 'object' || !schema.required?.includes('error') || !error) {
          problems.push(`${where}: no {"error": ...} schema`);
          continue;
        }
        checked++;
        if (error.properties?.code?.type !== 'string' || error.properties?.message?.type !== 'string') problems.push(`${where}: error.code/message are not strings`);
        if (!(error.required ?? []).includes('code') || !(error.required ?? []).includes('message')) problems.push(`${where}: error.code/message not required`);
        if (error.properties?.details !== undefined && error.properties.details.type !== 'object') problems.push(`${where}: error.details is not an object`);
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(5);
  });
});
