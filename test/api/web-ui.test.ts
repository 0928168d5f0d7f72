/**
 * The server serves the built web UI: its pages' addresses all answer with the app,
 * assets are cached for good, and the API's unknown routes stay JSON errors.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, useServer } from '../helpers/server.js';

describe('web UI serving', () => {
  const ctx = useServer();


  it('answers every page address with the app, never cached stale', async () => {
    for (const path of ['/', '/projects/iris', '/projects/iris/dashboard?metrics=val_acc', '/runs/01aaaaaaaaaaaaaaaaaaaaaaaa?tab=logs', '/compare?runs=a,b']) {
      const res = await fetch(ctx.server.url + path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toContain('<div id="root"></div>');
    }
  });

  it('serves the built assets with a long cache life', async () => {
    const js = readdirSync(join(REPO_ROOT, 'dist', 'web', 'assets')).find((f) => f.endsWith('.js'))!;
    const res = await fetch(`${ctx.server.url}/assets/${js}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('javascript');
    expect(res.headers.get('cache-control')).toContain('immutable');
    // An asset that is not there is a 404, never the app's page in its place.
    expect((await fetch(`${ctx.server.url}/assets/gone-1234.js`)).status).toBe(404);
  });

  it('keeps unknown API routes and other methods as JSON errors', async () => {
    const api = await fetch(`${ctx.server.url}/api/v1/nothing`);
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('REPRISE_ERR_ROUTE_NOT_FOUND');
    const post = await fetch(`${ctx.server.url}/projects/iris`, { method: 'POST' });
    expect(post.status).toBe(404);
    expect(((await post.json()) as { error: { code: string } }).error.code).toBe('REPRISE_ERR_ROUTE_NOT_FOUND');
  });

  it('says where the UI is when it starts', () => {
    expect(ctx.server.stderr()).toContain(`open ${ctx.server.url}/ in a browser`);
  });
});
