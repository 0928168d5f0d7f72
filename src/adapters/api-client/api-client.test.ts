import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RepriseError } from '../../core/errors.js';
import { startInProcessServer, type InProcessServer } from '../../../test/helpers/in-process-server.js';
import { ApiClient, serverUrl } from './api-client.js';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as RepriseError).code;
  }
}

/** A port nothing listens on: taken from a server that is then closed. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('ApiClient', () => {
  let server: InProcessServer | undefined;
  afterEach(async () => {
    await server?.cleanup();
    server = undefined;
  });

  it('refuses a REPRISE_SERVER that is not an http(s) URL', () => {
    for (const bad of ['ftp://x', 'localhost:7878', '', 'not a url']) {
      expect(() => serverUrl(bad), bad).toThrowError(expect.objectContaining({ code: 'REPRISE_ERR_SERVER_URL_INVALID' }) as Error);
    }
    expect(serverUrl('http://127.0.0.1:7878/')).toBe('http://127.0.0.1:7878');
  });

  it('fails at once, naming the server, when it never answered', async () => {
    const port = await deadPort();
    const api = new ApiClient({ url: `http://127.0.0.1:${port}`, patienceMs: 60_000 });
    const started = Date.now();
    const err = await api.request({ method: 'GET', path: '/health' }).catch((e: unknown) => e as RepriseError);
    expect(err).toBeInstanceOf(RepriseError);
    expect((err as RepriseError).code).toBe('REPRISE_ERR_SERVER_UNREACHABLE');
    expect((err as RepriseError).message).toContain(`127.0.0.1:${port}`);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('waits for a server that answered before and comes back on the same port', async () => {
    server = await startInProcessServer();
    const { home, port } = server;
    const notices: string[] = [];
    const api = new ApiClient({ url: server.url, patienceMs: 60_000, onWaiting: (m) => notices.push(m) });
    await api.json({ method: 'GET', path: '/health' });
    await server.stop();
    const pending = api.json<{ status: string }>({ method: 'GET', path: '/health' });
    await new Promise((r) => setTimeout(r, 500));
    server = await startInProcessServer({ home, port });
    expect((await pending).status).toBe('ok');
    expect(notices[0]).toMatch(/does not answer/);
    expect(notices.at(-1)).toMatch(/answers again/);
  });

  it('gives up after its patience', async () => {
    server = await startInProcessServer();
    const api = new ApiClient({ url: server.url, patienceMs: 300 });
    await api.json({ method: 'GET', path: '/health' });
    await server.stop();
    expect(await codeOf(api.request({ method: 'GET', path: '/health' }))).toBe('REPRISE_ERR_SERVER_UNREACHABLE');
  });

  it('turns error answers back into the errors they describe', async () => {
    server = await startInProcessServer();
    const api = new ApiClient({ url: server.url, patienceMs: 0 });
    expect(await codeOf(api.request({ method: 'GET', path: '/runs/01aaaaaaaaaaaaaaaaaaaaaaaa' }))).toBe('REPRISE_ERR_RUN_NOT_FOUND');
    expect(await codeOf(api.request({ method: 'GET', path: '/nothing-here' }))).toBe('REPRISE_ERR_ROUTE_NOT_FOUND');
    expect(await codeOf(api.request({ method: 'GET', path: '/runs?filter=params.x%20%3C' }))).toBe('REPRISE_ERR_FILTER_INVALID');
    const answer = await api.request({ method: 'GET', path: '/runs/01aaaaaaaaaaaaaaaaaaaaaaaa', accept: [404] });
    expect(answer.status).toBe(404);
  });

  it('reports an answer it cannot read as a protocol error', async () => {
    const other = createServer((_req, res) => {
      res.writeHead(418, { 'content-type': 'text/html' });
      res.end('<html>teapot</html>');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    try {
      const api = new ApiClient({ url: `http://127.0.0.1:${(other.address() as AddressInfo).port}`, patienceMs: 0 });
      const err = (await api.request({ method: 'GET', path: '/health' }).catch((e: unknown) => e)) as RepriseError;
      expect(err.code).toBe('REPRISE_ERR_SERVER_PROTOCOL');
      expect(err.message).toContain('418');
      expect(err.message).toContain('teapot');
    } finally {
      await new Promise((r) => other.close(r));
    }
  });
});
