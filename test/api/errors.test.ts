/**
 * Whatever goes wrong, the API answers with the status of docs/errors.md and one body,
 * {"error": {"code", "message", ...}}, whose message names what is at fault; and
 * `reprise server` refuses addresses it must not listen on.
 */
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { api, runServerCommand, startServer, useServer } from '../helpers/server.js';
import { finishedRun, UNKNOWN_RUN } from './fixtures.js';

function expectError(res: { status: number; json: any; headers: Headers }, status: number, code: string): { code: string; message: string; hint?: string; details?: any } {
  expect(res.status, JSON.stringify(res.json)).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/json');
  expect(Object.keys(res.json)).toEqual(['error']);
  expect(res.json.error.code).toBe(code);
  expect(typeof res.json.error.message).toBe('string');
  expect(res.json.error.message.length).toBeGreaterThan(0);
  return res.json.error;
}

/** Whether this machine can listen on the IPv6 loopback. */
async function hasIpv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(0, '::1', () => s.close(() => resolve(true)));
  });
}

describe('API errors', () => {
  const ctx = useServer();


  it('answers an unknown route with 404 REPRISE_ERR_ROUTE_NOT_FOUND naming it', async () => {
    const e = expectError(await ctx.client.get('/no/such/thing?x=1'), 404, 'REPRISE_ERR_ROUTE_NOT_FOUND');
    expect(e.message).toContain('GET /api/v1/no/such/thing');
    expect(e.message).not.toContain('x=1');
    expect(e.hint).toContain('/api/v1/openapi.json');
    // Outside the API prefix too.
    expectError(await ctx.client.get('/api/v2/runs'), 404, 'REPRISE_ERR_ROUTE_NOT_FOUND');
    // A known path with a method it does not have.
    expectError(await ctx.client.request('DELETE', '/runs'), 404, 'REPRISE_ERR_ROUTE_NOT_FOUND');
  });

  it('answers malformed JSON with 400 REPRISE_ERR_REQUEST_INVALID quoting the parser', async () => {
    for (const text of ['{"id": "x",', '{id: 1}', '[1, 2,]', '{"a": 1} trailing']) {
      let parserMessage = '';
      try {
        JSON.parse(text);
      } catch (err) {
        parserMessage = (err as Error).message;
      }
      expect(parserMessage, text).not.toBe('');
      const e = expectError(await ctx.client.post('/runs', text, { headers: { 'content-type': 'application/json' } }), 400, 'REPRISE_ERR_REQUEST_INVALID');
      expect(e.message).toMatch(/not valid JSON/);
      expect(e.message).toContain(parserMessage);
    }
  });

  it('answers a schema violation with 400 naming the field', async () => {
    const { name: _name, ...noName } = finishedRun();
    const e = expectError(await ctx.client.post('/runs', noName), 400, 'REPRISE_ERR_REQUEST_INVALID');
    expect(e.message).toContain('body.name');
    expect(e.details?.problems).toEqual([expect.objectContaining({ field: 'body.name' })]);

    const badStatus = expectError(await ctx.client.post('/runs', { ...finishedRun(), status: 'done' }), 400, 'REPRISE_ERR_REQUEST_INVALID');
    expect(badStatus.message).toContain('body.status');

    // Nested fields are named by their whole path.
    const run = finishedRun();
    const nested = { ...run, manifest: { ...run.manifest, run: { ...run.manifest.run, createdAt: 'yesterday' } } };
    expect(expectError(await ctx.client.post('/runs', nested), 400, 'REPRISE_ERR_REQUEST_INVALID').message).toContain('body.manifest.run.createdAt');

    // Path parameters and query strings too.
    expect(expectError(await ctx.client.get('/runs/not-a-run-id'), 400, 'REPRISE_ERR_REQUEST_INVALID').message).toContain('params.id');
    expect(expectError(await ctx.client.get('/runs?limit=0'), 400, 'REPRISE_ERR_REQUEST_INVALID').message).toContain('query.limit');
    expect(expectError(await ctx.client.get('/runs?status=done'), 400, 'REPRISE_ERR_REQUEST_INVALID').message).toContain('done');
  });

  it('answers an unknown run with 404 REPRISE_ERR_RUN_NOT_FOUND', async () => {
    for (const path of [`/runs/${UNKNOWN_RUN}`, `/runs/${UNKNOWN_RUN}/params`, `/runs/${UNKNOWN_RUN}/metrics`, `/runs/${UNKNOWN_RUN}/artifacts`, `/runs/${UNKNOWN_RUN}/history?key=x`]) {
      const e = expectError(await ctx.client.get(path), 404, 'REPRISE_ERR_RUN_NOT_FOUND');
      expect(e.message, path).toContain(UNKNOWN_RUN);
    }
    expectError(await ctx.client.patch(`/runs/${UNKNOWN_RUN}`, { status: 'failed' }), 404, 'REPRISE_ERR_RUN_NOT_FOUND');
    expectError(await ctx.client.post(`/runs/${UNKNOWN_RUN}/metrics`, { points: [{ key: 'a', value: 1 }] }), 404, 'REPRISE_ERR_RUN_NOT_FOUND');
    expectError(await ctx.client.post(`/runs/${UNKNOWN_RUN}/params`, { params: { a: 1 } }), 404, 'REPRISE_ERR_RUN_NOT_FOUND');
    expectError(await ctx.client.put(`/runs/${UNKNOWN_RUN}/tags`, { tags: { a: '1' } }), 404, 'REPRISE_ERR_RUN_NOT_FOUND');
  });

  it('answers an unsupported content type with 415 REPRISE_ERR_REQUEST_MEDIA_TYPE', async () => {
    const xml = expectError(await ctx.client.post('/runs', '<run/>', { headers: { 'content-type': 'application/xml' } }), 415, 'REPRISE_ERR_REQUEST_MEDIA_TYPE');
    expect(xml.message).toContain('application/json');
    expectError(await ctx.client.put(`/runs/${UNKNOWN_RUN}/tags`, 'a=1', { headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'REPRISE_ERR_REQUEST_MEDIA_TYPE');
  });

  it('answers text/plain sent to a JSON route with 415 REPRISE_ERR_REQUEST_MEDIA_TYPE', async () => {
    // The route takes application/json only; text/plain must not be read as a JSON string.
    const text = JSON.stringify(finishedRun());
    expectError(await ctx.client.post('/runs', text, { headers: { 'content-type': 'text/plain' } }), 415, 'REPRISE_ERR_REQUEST_MEDIA_TYPE');
  });

  it('refuses a JSON body over --body-limit with 413 REPRISE_ERR_REQUEST_TOO_LARGE', async () => {
    const small = await startServer({ args: ['--body-limit', '2048'] });
    try {
      const c = api(small.url);
      const run = finishedRun();
      const big = JSON.stringify({ ...run, name: 'x'.repeat(4096) });
      expect(big.length).toBeGreaterThan(4096);
      expectError(await c.post('/runs', big, { headers: { 'content-type': 'application/json' } }), 413, 'REPRISE_ERR_REQUEST_TOO_LARGE');
      // Nothing was recorded, and a body under the limit still goes through.
      expectError(await c.get(`/runs/${run.id}`), 404, 'REPRISE_ERR_RUN_NOT_FOUND');
      const under = await c.post(`/runs/${UNKNOWN_RUN}/params`, { params: { note: 'y'.repeat(1000) } });
      expectError(under, 404, 'REPRISE_ERR_RUN_NOT_FOUND');
    } finally {
      await small.stop();
    }
  });
});

describe('reprise server addresses', () => {
  it('refuses to listen on non-loopback addresses (exit 2, REPRISE_ERR_SERVER_HOST_REFUSED)', async () => {
    for (const host of ['0.0.0.0', '192.168.1.10', '::']) {
      const res = await runServerCommand(['--host', host, '--port', '0']);
      expect(res.code, `--host ${host}: ${res.stdout}${res.stderr}`).toBe(2);
      expect(res.stderr).toContain('REPRISE_ERR_SERVER_HOST_REFUSED');
      expect(res.stderr).toContain(host);
      expect(res.stdout).not.toMatch(/listening on/);
    }
  });

  it('listens on 127.0.0.1, localhost and ::1', async () => {
    const hosts = ['127.0.0.1', 'localhost'];
    if (await hasIpv6Loopback()) hosts.push('::1');
    else console.warn('no IPv6 loopback on this machine: --host ::1 not tried');
    for (const host of hosts) {
      const s = await startServer({ host });
      try {
        const health = await api(s.url).get('/health');
        expect(health.status, `--host ${host}`).toBe(200);
        expect(health.json).toMatchObject({ status: 'ok', api: 'v1' });
        if (host === '::1') expect(s.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
      } finally {
        await s.stop();
      }
    }
  });

  it('fails on a port in use (exit 2, REPRISE_ERR_SERVER_ADDRESS_IN_USE)', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const res = await runServerCommand(['--host', '127.0.0.1', '--port', String(port)]);
      expect(res.code, res.stdout + res.stderr).toBe(2);
      expect(res.stderr).toContain('REPRISE_ERR_SERVER_ADDRESS_IN_USE');
      expect(res.stderr).toContain(String(port));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
