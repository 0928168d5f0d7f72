/**
 * Bytes over the API: stage logs appended at their offsets, content-addressed blobs,
 * and a run's artifacts, whose paths can never reach outside the run's outputs.
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, useServer } from '../helpers/server.js';
import { createRun, finishedRun, UNKNOWN_RUN } from './fixtures.js';

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const OCTETS = { 'content-type': 'application/octet-stream' };

describe('logs, blobs and artifacts', () => {
  const ctx = useServer();


  describe('stage logs', () => {
    let id: string;
    const piece = (offset: number, text: string, file = 'combined', stage = 'train') =>
      ctx.client.put(`/runs/${id}/logs/${stage}/${file}?offset=${offset}`, Buffer.from(text), { headers: OCTETS });
    const read = (query = '', file = 'combined') => ctx.client.get(`/runs/${id}/logs/train/${file}${query}`);

    beforeAll(async () => {
      id = (await createRun(ctx.client, finishedRun())).id;
    });

    it('appends pieces at their offsets; a resend of held bytes is harmless; a gap is refused', async () => {
      expect((await piece(0, 'hello ')).json).toEqual({ size: 6, appended: 6 });
      expect((await piece(6, 'world\n')).json).toEqual({ size: 12, appended: 6 });
      // The same piece again: nothing new.
      const again = await piece(0, 'hello ');
      expect(again.status).toBe(200);
      expect(again.json).toEqual({ size: 12, appended: 0 });
      expect((await piece(6, 'world\n')).json).toEqual({ size: 12, appended: 0 });
      // A piece overlapping the end: only its new bytes count.
      expect((await piece(9, 'ld\nmore')).json).toEqual({ size: 16, appended: 4 });
      // A piece past the end would leave a hole.
      const gap = await piece(20, 'lost?');
      expect(gap.status).toBe(409);
      expect(gap.json.error.code).toBe('REPRISE_ERR_LOG_GAP');
      expect(gap.json.error.details.size).toBe(16);

      const all = await read();
      expect(all.status).toBe(200);
      expect(all.headers.get('content-type')).toContain('application/octet-stream');
      expect(all.headers.get('x-reprise-log-complete')).toMatch(/^(true|false)$/);
      expect(all.text).toBe('hello world\nmore');
    });

    it('reads back from an offset, and the live copy', async () => {
      expect((await read('?offset=6')).text).toBe('world\nmore');
      expect((await read('?offset=16')).text).toBe('');
      expect((await read('?offset=1000')).text).toBe('');
      const live = await read('?offset=12&live=true');
      expect(live.text).toBe('more');
      expect(live.headers.get('x-reprise-log-complete')).toBe('false');
    });

    it('keeps the files of a stage apart, bytes as sent', async () => {
      const bytes = Buffer.from([0xe2, 0x9c, 0x93, 0x0a, 0x00, 0xff]);
      const res = await ctx.client.put(`/runs/${id}/logs/train/stderr?offset=0`, bytes, { headers: OCTETS });
      expect(res.json).toEqual({ size: 6, appended: 6 });
      const back = await fetch(`${ctx.server.url}/api/v1/runs/${id}/logs/train/stderr`);
      expect(Buffer.from(await back.arrayBuffer())).toEqual(bytes);
      expect((await read('', 'stdout')).text).toBe('');
      expect((await read()).text).toBe('hello world\nmore');
    });

    it('refuses bad stage and file names, unknown stages and unknown runs', async () => {
      for (const stage of ['..%2Fx', '%2e%2e%2fx', '..', '.hidden', 'a%20b', 'x'.repeat(65)]) {
        const res = await rawRequest(ctx.server.url, 'PUT', `/api/v1/runs/${id}/logs/${stage}/combined?offset=0`, { headers: OCTETS, body: 'x' });
        expect(res.status, stage).toBe(400);
        expect(res.json.error.code, stage).toBe('REPRISE_ERR_REQUEST_INVALID');
        expect(res.json.error.message, stage).toContain('params.stage');
      }
      // `../x` itself: the client must not resolve it away.
      const dots = await rawRequest(ctx.server.url, 'PUT', `/api/v1/runs/${id}/logs/../x/combined?offset=0`, { headers: OCTETS, body: 'x' });
      expect(dots.status).toBeGreaterThanOrEqual(400);
      expect(dots.status).toBeLessThan(500);
      const file = await ctx.client.put(`/runs/${id}/logs/train/other?offset=0`, 'x', { headers: OCTETS });
      expect(file.status).toBe(400);
      expect(file.json.error.message).toContain('params.file');
      const noOffset = await ctx.client.put(`/runs/${id}/logs/train/combined`, 'x', { headers: OCTETS });
      expect(noOffset.status).toBe(400);
      expect(noOffset.json.error.message).toContain('query.offset');

      const stage = await ctx.client.get(`/runs/${id}/logs/eval/combined`);
      expect(stage.status).toBe(404);
      expect(stage.json.error.code).toBe('REPRISE_ERR_STAGE_NOT_FOUND');
      const run = await ctx.client.put(`/runs/${UNKNOWN_RUN}/logs/train/combined?offset=0`, 'x', { headers: OCTETS });
      expect(run.status).toBe(404);
      expect(run.json.error.code).toBe('REPRISE_ERR_RUN_NOT_FOUND');
      // Nothing of the refused pieces reached the log.
      expect((await read()).text).toBe('hello world\nmore');
    });
  });

  describe('blobs', () => {
    it('stores a blob whose bytes match its name; HEAD and GET give it back', async () => {
      const data = Buffer.from('the bytes of a blob\n');
      const sha = sha256(data);
      const put = await ctx.client.put(`/blobs/${sha}`, data, { headers: OCTETS });
      expect(put.status).toBe(200);
      expect(put.json).toEqual({ sha256: sha, size: data.length });

      const head = await ctx.client.head(`/blobs/${sha}`);
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(data.length));

      const get = await fetch(`${ctx.server.url}/api/v1/blobs/${sha}`);
      expect(get.status).toBe(200);
      expect(Buffer.from(await get.arrayBuffer())).toEqual(data);

      // Idempotent.
      expect((await ctx.client.put(`/blobs/${sha}`, data, { headers: OCTETS })).json).toEqual({ sha256: sha, size: data.length });
    });

    it('stores an empty blob and a large one', async () => {
      const empty = Buffer.alloc(0);
      expect((await ctx.client.put(`/blobs/${sha256(empty)}`, empty, { headers: OCTETS })).json).toEqual({ sha256: sha256(empty), size: 0 });
      const big = Buffer.alloc(5 * 1024 * 1024, 7);
      big.write('start');
      expect((await ctx.client.put(`/blobs/${sha256(big)}`, big, { headers: OCTETS })).json).toEqual({ sha256: sha256(big), size: big.length });
      const back = await fetch(`${ctx.server.url}/api/v1/blobs/${sha256(big)}`);
      expect(sha256(Buffer.from(await back.arrayBuffer()))).toBe(sha256(big));
    });

    it('refuses bytes that do not hash to the name, and keeps nothing', async () => {
      const data = Buffer.from('some bytes');
      const wrong = sha256('other bytes');
      const put = await ctx.client.put(`/blobs/${wrong}`, data, { headers: OCTETS });
      expect(put.status).toBe(400);
      expect(put.json.error.code).toBe('REPRISE_ERR_REQUEST_INVALID');
      expect(put.json.error.message).toContain(sha256(data));
      expect((await ctx.client.head(`/blobs/${wrong}`)).status).toBe(404);
      expect((await ctx.client.head(`/blobs/${sha256(data)}`)).status).toBe(404);
    });

    it('answers 404 for a blob not stored and 400 for a malformed name', async () => {
      const unknown = sha256('never stored');
      const get = await ctx.client.get(`/blobs/${unknown}`);
      expect(get.status).toBe(404);
      expect(get.json.error.code).toBe('REPRISE_ERR_BLOB_NOT_FOUND');
      expect((await ctx.client.head(`/blobs/${unknown}`)).status).toBe(404);
      for (const bad of [unknown.toUpperCase(), unknown.slice(1), `${unknown.slice(1)}g`]) {
        const res = await ctx.client.get(`/blobs/${bad}`);
        expect(res.status, bad).toBe(400);
        expect(res.json.error.message).toContain('params.sha256');
      }
    });
  });

  describe('artifacts', () => {
    let id: string;
    const files = {
      'outputs/a.txt': Buffer.from('artifact a\n'),
      'outputs/sub dir/b.bin': Buffer.from([1, 2, 3, 4]),
    };
    const listed = Object.entries(files)
      .map(([path, data]) => ({ path, size: data.length, sha256: sha256(data) }))
      .sort((x, y) => x.path.localeCompare(y.path));

    beforeAll(async () => {
      id = (await createRun(ctx.client, finishedRun())).id;
    });

    it('records a list before its blobs arrive, and answers 404 for a file whose blob is missing', async () => {
      const res = await ctx.client.put(`/runs/${id}/artifacts`, { artifacts: listed });
      expect(res.status).toBe(200);
      const missing = await fetch(`${ctx.server.url}/api/v1/runs/${id}/artifacts/outputs/a.txt`);
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('REPRISE_ERR_BLOB_NOT_FOUND');
    });

    it('records the list once the blobs are stored, and serves each file by its path', async () => {
      for (const data of Object.values(files)) expect((await ctx.client.put(`/blobs/${sha256(data)}`, data, { headers: OCTETS })).status).toBe(200);
      const put = await ctx.client.put(`/runs/${id}/artifacts`, { artifacts: listed });
      expect(put.status).toBe(200);
      expect(put.json).toEqual({ artifacts: 2 });

      const list = (await ctx.client.get(`/runs/${id}/artifacts`)).json.artifacts;
      expect([...list].sort((x: any, y: any) => x.path.localeCompare(y.path))).toEqual(listed);
      expect((await ctx.client.get(`/runs/${id}`)).json.artifacts).toHaveLength(2);

      const a = await fetch(`${ctx.server.url}/api/v1/runs/${id}/artifacts/outputs/a.txt`);
      expect(a.status).toBe(200);
      expect(a.headers.get('content-type')).toContain('application/octet-stream');
      expect(a.headers.get('etag')).toBe(`"${sha256(files['outputs/a.txt'])}"`);
      expect(Buffer.from(await a.arrayBuffer())).toEqual(files['outputs/a.txt']);

      const b = await fetch(`${ctx.server.url}/api/v1/runs/${id}/artifacts/outputs/sub%20dir/b.bin`);
      expect(b.status).toBe(200);
      expect(Buffer.from(await b.arrayBuffer())).toEqual(files['outputs/sub dir/b.bin']);

      const missing = await ctx.client.get(`/runs/${id}/artifacts/outputs/none.txt`);
      expect(missing.status).toBe(404);
      expect(missing.json.error.code).toBe('REPRISE_ERR_ARTIFACT_NOT_FOUND');
      const noRun = await ctx.client.get(`/runs/${UNKNOWN_RUN}/artifacts/outputs/a.txt`);
      expect(noRun.status).toBe(404);
      expect(noRun.json.error.code).toBe('REPRISE_ERR_RUN_NOT_FOUND');
    });

    it('replaces the list on a second PUT', async () => {
      const run = (await createRun(ctx.client, finishedRun())).id;
      const one = listed[0]!;
      const other = listed[1]!;
      await ctx.client.put(`/blobs/${one.sha256}`, files[one.path as keyof typeof files], { headers: OCTETS });
      await ctx.client.put(`/blobs/${other.sha256}`, files[other.path as keyof typeof files], { headers: OCTETS });
      expect((await ctx.client.put(`/runs/${run}/artifacts`, { artifacts: [one] })).status).toBe(200);
      expect((await ctx.client.put(`/runs/${run}/artifacts`, { artifacts: [other] })).status).toBe(200);
      expect((await ctx.client.get(`/runs/${run}/artifacts`)).json.artifacts).toEqual([other]);
    });

    it('refuses every traversal attempt with 400 REPRISE_ERR_PATH_UNSAFE', async () => {
      const attempts = [
        '../x',
        '..%2f..%2fetc%2fpasswd',
        '%2e%2e/x',
        '%2e%2e%2fx',
        '%252e%252e%252fx',
        '%2fetc%2fpasswd',
        'a%5cb',
        'a%00b',
        'outputs/../../x',
        'outputs/./a.txt',
        'C:%5cwindows',
        'c:/x',
      ];
      for (const attempt of attempts) {
        const res = await rawRequest(ctx.server.url, 'GET', `/api/v1/runs/${id}/artifacts/${attempt}`);
        expect(res.status, attempt).toBe(400);
        expect(res.json?.error?.code, attempt).toBe('REPRISE_ERR_PATH_UNSAFE');
        expect(res.body.toString('utf8')).not.toContain('root:');
      }
    });

    it('refuses a list holding a path that leaves the outputs, and keeps the old list', async () => {
      const data = files['outputs/a.txt'];
      for (const path of ['../escape', '/etc/passwd', 'a/../../b', 'a\\b', 'a\u0000b', '', './a']) {
        const res = await ctx.client.put(`/runs/${id}/artifacts`, { artifacts: [{ path, size: data.length, sha256: sha256(data) }] });
        expect(res.status, JSON.stringify(path)).toBe(400);
        expect(res.json.error.code, JSON.stringify(path)).toBe('REPRISE_ERR_PATH_UNSAFE');
      }
      const list = (await ctx.client.get(`/runs/${id}/artifacts`)).json.artifacts;
      expect(list).toHaveLength(2);
    });
  });
});
