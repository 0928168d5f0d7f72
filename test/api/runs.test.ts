/**
 * Runs over the API: recording, reading, conditional updates, search with filters,
 * orders and cursor pages, params that never change once set, tags, and references.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/core/run.js';
import type { Verification } from '../../src/core/verification.js';
import { type ApiResponse, useServer } from '../helpers/server.js';
import { createRun, finishedRun, newRunId, UNKNOWN_RUN } from './fixtures.js';

interface Seeded {
  readonly run: RunRecord;
  readonly lr: number;
  readonly batch: number;
  readonly acc: number | undefined;
  readonly group: string;
}

const PROJECT = 'search';
const BASE_TIME = 1_750_000_000_000;

describe('runs', () => {
  const ctx = useServer();
  const seeded: Seeded[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 25; i++) {
      const createdAt = BASE_TIME + i * 1000;
      const run = finishedRun({
        id: newRunId(createdAt),
        name: `search-${i}`,
        project: PROJECT,
        createdAt,
        status: i % 6 === 5 ? 'failed' : 'succeeded',
      });
      const s: Seeded = { run, lr: [0.1, 0.01, 0.001][i % 3]!, batch: 16 * (1 + (i % 4)), acc: i % 5 === 4 ? undefined : (i % 7) / 10, group: i % 2 ? 'odd' : 'even' };
      await createRun(ctx.client, run);
      expect((await ctx.client.post(`/runs/${run.id}/params`, { params: { lr: s.lr, batch: s.batch } })).status).toBe(200);
      if (s.acc !== undefined) {
        const m = await ctx.client.post(`/runs/${run.id}/metrics`, { points: [{ key: 'acc', value: 0, step: 0 }, { key: 'acc', value: s.acc, step: 1 }] });
        expect(m.status).toBe(200);
      }
      expect((await ctx.client.put(`/runs/${run.id}/tags`, { tags: { group: s.group } })).status).toBe(200);
      seeded.push(s);
    }
  });

  /** Every page of a search, following nextCursor; fails on a page that repeats a run. */
  async function allPages(query: Record<string, string>, limit: number): Promise<{ ids: string[]; pages: number; runs: any[] }> {
    const runs: any[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const qs: URLSearchParams = new URLSearchParams({ ...query, limit: String(limit), ...(cursor !== null ? { cursor } : {}) });
      const res: ApiResponse = await ctx.client.get(`/runs?${qs.toString()}`);
      expect(res.status, res.text).toBe(200);
      expect(res.json.runs.length).toBeLessThanOrEqual(limit);
      runs.push(...res.json.runs);
      cursor = res.json.nextCursor;
      pages++;
      expect(pages, 'pages never end').toBeLessThan(100);
    } while (cursor !== null);
    const ids = runs.map((r) => r.id as string);
    expect(new Set(ids).size, 'a run came back twice').toBe(ids.length);
    return { ids, pages, runs };
  }

  describe('recording and reading', () => {
    it('records a run (201) and gives it back whole', async () => {
      const run = finishedRun({ name: 'record-me', project: 'rec' });
      const res = await ctx.client.post('/runs', run);
      expect(res.status).toBe(201);
      expect(res.json).toEqual({ id: run.id });

      const got = await ctx.client.get(`/runs/${run.id}`);
      expect(got.status).toBe(200);
      expect(got.json.run).toEqual({ ...run, metrics: {}, tags: {} });
      // The manifest's params become the run's params, under dotted keys; lists as JSON text.
      expect(got.json.params).toEqual({ epochs: 2, 'optim.lr': 0.01, 'optim.name': 'adam', layers: '[64,32]' });
      expect(got.json.artifacts).toEqual([]);
      // Ids are case-insensitive.
      expect((await ctx.client.get(`/runs/${run.id.toUpperCase()}`)).json.run.id).toBe(run.id);
    });

    it('refuses a second run with the same id (409) and keeps the first', async () => {
      const run = await createRun(ctx.client, finishedRun({ name: 'first' }));
      const again = await ctx.client.post('/runs', { ...finishedRun({ name: 'second' }), id: run.id });
      expect(again.status).toBe(409);
      expect(again.json.error.code).toBe('REPRISE_ERR_RUN_STATE_CONFLICT');
      expect(again.json.error.message).toContain(run.id);
      expect((await ctx.client.get(`/runs/${run.id}`)).json.run.name).toBe('first');
    });

    it('answers 404 for an unknown run', async () => {
      const res = await ctx.client.get(`/runs/${UNKNOWN_RUN}`);
      expect(res.status).toBe(404);
      expect(res.json.error.code).toBe('REPRISE_ERR_RUN_NOT_FOUND');
    });
  });

  describe('PATCH', () => {
    it('changes nothing when ifStatus does not match, and says so', async () => {
      const run = await createRun(ctx.client, finishedRun({ name: 'patch-me' }));
      const before = (await ctx.client.get(`/runs/${run.id}`)).json.run;
      const res = await ctx.client.patch(`/runs/${run.id}`, { status: 'failed', endedAt: 1, heartbeatAt: 2, ifStatus: ['running', 'preparing'] });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ updated: false });
      expect((await ctx.client.get(`/runs/${run.id}`)).json.run).toEqual(before);
    });

    it('applies the patch when ifStatus matches, or when there is none', async () => {
      const run = await createRun(ctx.client, finishedRun({ name: 'patch-me-too' }));
      const res = await ctx.client.patch(`/runs/${run.id}`, { status: 'canceled', endedAt: run.createdAt + 5, ifStatus: ['succeeded'] });
      expect(res.json).toEqual({ updated: true });
      expect((await ctx.client.get(`/runs/${run.id}`)).json.run).toMatchObject({ status: 'canceled', endedAt: run.createdAt + 5, name: 'patch-me-too' });
      expect((await ctx.client.patch(`/runs/${run.id}`, { heartbeatAt: run.createdAt + 9 })).json).toEqual({ updated: true });
      expect((await ctx.client.get(`/runs/${run.id}`)).json.run).toMatchObject({ status: 'canceled', heartbeatAt: run.createdAt + 9 });
    });

    it('refuses fields a run cannot change', async () => {
      const run = await createRun(ctx.client, finishedRun());
      const res = await ctx.client.patch(`/runs/${run.id}`, { name: 'renamed' });
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('REPRISE_ERR_REQUEST_INVALID');
      expect(res.json.error.message).toContain('name');
      expect((await ctx.client.get(`/runs/${run.id}`)).json.run.name).toBe(run.name);
    });
  });

  describe('search', () => {
    it('visits every run exactly once across pages, newest first by default', async () => {
      const { ids, pages } = await allPages({ project: PROJECT }, 7);
      expect(pages).toBe(4);
      expect(ids).toEqual([...seeded].reverse().map((s) => s.run.id));
    });

    it('filters, orders and pages: every match once, in order', async () => {
      const filter = 'params.lr < 0.05 and metrics.acc >= 0.2';
      const { runs } = await allPages({ project: PROJECT, filter, order: 'metrics.acc desc' }, 3);
      const expected = seeded.filter((s) => s.lr < 0.05 && s.acc !== undefined && s.acc >= 0.2);
      expect(expected.length).toBeGreaterThan(4);
      expect(runs.map((r) => r.id).sort()).toEqual(expected.map((s) => s.run.id).sort());
      const accs = runs.map((r) => r.metrics.acc.last as number);
      expect(accs).toEqual([...accs].sort((a, b) => b - a));
      for (const r of runs) expect(r.tags.group).toBe(seeded.find((s) => s.run.id === r.id)!.group);
    });

    it('pages through ties and runs without the ordering metric (they come last)', async () => {
      const { runs } = await allPages({ project: PROJECT, order: 'metrics.acc asc' }, 4);
      expect(runs.map((r) => r.id).sort()).toEqual(seeded.map((s) => s.run.id).sort());
      const withAcc = runs.filter((r) => r.metrics.acc !== undefined);
      expect(withAcc.length).toBe(seeded.filter((s) => s.acc !== undefined).length);
      expect(runs.slice(0, withAcc.length)).toEqual(withAcc);
      const accs = withAcc.map((r) => r.metrics.acc.last as number);
      expect(accs).toEqual([...accs].sort((a, b) => a - b));
    });

    it('filters on params, status and tags, and limits pages', async () => {
      const byBatch = await allPages({ project: PROJECT, filter: 'params.batch in (16, 64)', order: 'params.batch asc' }, 5);
      expect(byBatch.ids.sort()).toEqual(seeded.filter((s) => s.batch === 16 || s.batch === 64).map((s) => s.run.id).sort());

      const failed = await allPages({ project: PROJECT, filter: "status = 'failed'" }, 50);
      expect(failed.ids.sort()).toEqual(seeded.filter((s) => s.run.status === 'failed').map((s) => s.run.id).sort());
      expect(failed.pages).toBe(1);

      const statusParam = await allPages({ project: PROJECT, status: 'failed' }, 50);
      expect(statusParam.ids.sort()).toEqual(failed.ids.sort());

      const odd = await allPages({ project: PROJECT, filter: "tags.group = 'odd' and not params.lr = 0.1" }, 6);
      expect(odd.ids.sort()).toEqual(seeded.filter((s) => s.group === 'odd' && s.lr !== 0.1).map((s) => s.run.id).sort());

      const page = await ctx.client.get(`/runs?project=${PROJECT}&limit=2`);
      expect(page.json.runs).toHaveLength(2);
      expect(typeof page.json.nextCursor).toBe('string');
    });

    it('refuses a bad filter with 400 REPRISE_ERR_FILTER_INVALID pointing at the token', async () => {
      const cases: { filter: string; token: string }[] = [
        { filter: 'params.lr < 0.1 andd status = "failed"', token: 'andd' },
        { filter: "metrics.acc > 'high'", token: "'high'" },
        { filter: "status = 'done'", token: "'done'" },
        { filter: 'colour = 1', token: 'colour' },
        { filter: 'params.lr <', token: '' },
      ];
      for (const { filter, token } of cases) {
        const res = await ctx.client.get(`/runs?filter=${encodeURIComponent(filter)}`);
        expect(res.status, filter).toBe(400);
        expect(res.json.error.code).toBe('REPRISE_ERR_FILTER_INVALID');
        const details = res.json.error.details;
        expect(details.filter).toBe(filter);
        expect(details.token, filter).toBe(token);
        const position = token === '' ? filter.length : filter.indexOf(token);
        expect(details.position, filter).toBe(position);
        // The message shows the filter with a caret under the token.
        const lines = (res.json.error.message as string).split('\n');
        const caretLine = lines[lines.length - 1]!;
        expect(caretLine.indexOf('^') - 2, filter).toBe(position);
      }
      const order = await ctx.client.get(`/runs?order=${encodeURIComponent('metrics.acc sideways')}`);
      expect(order.status).toBe(400);
      expect(order.json.error.code).toBe('REPRISE_ERR_FILTER_INVALID');
      expect(order.json.error.details.token).toBe('sideways');
    });

    it('refuses a cursor from another order, or one it never gave', async () => {
      const first = await ctx.client.get(`/runs?project=${PROJECT}&order=${encodeURIComponent('metrics.acc desc')}&limit=3`);
      const cursor = first.json.nextCursor as string;
      expect(typeof cursor).toBe('string');
      const other = await ctx.client.get(`/runs?project=${PROJECT}&order=${encodeURIComponent('created asc')}&limit=3&cursor=${encodeURIComponent(cursor)}`);
      expect(other.status).toBe(400);
      expect(other.json.error.message).toContain('cursor');
      const forged = await ctx.client.get(`/runs?project=${PROJECT}&cursor=not-a-cursor`);
      expect(forged.status).toBe(400);
      expect(forged.json.error.message).toContain('cursor');
      // The same order takes it.
      const next = await ctx.client.get(`/runs?project=${PROJECT}&order=${encodeURIComponent('metrics.acc desc')}&limit=3&cursor=${encodeURIComponent(cursor)}`);
      expect(next.status).toBe(200);
    });

    it('finds runs by id, id prefix or name with ?ref=', async () => {
      const target = seeded[7]!.run;
      const byId = await ctx.client.get(`/runs?ref=${target.id}`);
      expect(byId.status).toBe(200);
      expect(byId.json.runs.map((r: any) => r.id)).toEqual([target.id]);
      expect(byId.json.nextCursor).toBeNull();
      expect(byId.json.runs[0].tags).toEqual({ group: seeded[7]!.group });
      expect(byId.json.runs[0].metrics.acc.last).toBe(seeded[7]!.acc);

      const prefix = target.id.slice(0, 12);
      const byPrefix = await ctx.client.get(`/runs?ref=${prefix.toUpperCase()}`);
      const ids: string[] = byPrefix.json.runs.map((r: any) => r.id);
      expect(ids).toContain(target.id);
      for (const id of ids) expect(id.startsWith(prefix)).toBe(true);

      const byName = await ctx.client.get(`/runs?ref=${target.name}`);
      expect(byName.json.runs.map((r: any) => r.id)).toEqual([target.id]);

      const none = await ctx.client.get('/runs?ref=zzzzzzzz');
      expect(none.json).toEqual({ runs: [], nextCursor: null });

      // A prefix that is a LIKE wildcard matches nothing, not everything.
      expect((await ctx.client.get(`/runs?ref=${encodeURIComponent('%')}`)).json.runs).toEqual([]);
      expect((await ctx.client.get(`/runs?ref=${encodeURIComponent('_')}`)).json.runs).toEqual([]);
    });
  });

  describe('params', () => {
    it('logs new params, accepts the same value again, refuses another value (409)', async () => {
      const run = await createRun(ctx.client, finishedRun());
      const first = await ctx.client.post(`/runs/${run.id}/params`, { params: { lr: 0.5, 'model.depth': 12, note: 'x', flag: true, none: null } });
      expect(first.status).toBe(200);
      expect(first.json).toEqual({ params: 5 });

      const same = await ctx.client.post(`/runs/${run.id}/params`, { params: { lr: 0.5, 'model.depth': 12 } });
      expect(same.status).toBe(200);

      const changed = await ctx.client.post(`/runs/${run.id}/params`, { params: { lr: 0.6 } });
      expect(changed.status).toBe(409);
      expect(changed.json.error.code).toBe('REPRISE_ERR_PARAM_IMMUTABLE');
      expect(changed.json.error.message).toContain('lr');
      expect(changed.json.error.details).toMatchObject({ key: 'lr', old: 0.5, new: 0.6 });

      // The same text is not the same number.
      expect((await ctx.client.post(`/runs/${run.id}/params`, { params: { lr: '0.5' } })).status).toBe(409);
      // Params from the manifest are fixed too.
      expect((await ctx.client.post(`/runs/${run.id}/params`, { params: { 'optim.lr': 0.02 } })).json.error.code).toBe('REPRISE_ERR_PARAM_IMMUTABLE');
      // A refused request stores none of its params.
      const mixed = await ctx.client.post(`/runs/${run.id}/params`, { params: { fresh: 1, lr: 0.7 } });
      expect(mixed.status).toBe(409);

      const params = (await ctx.client.get(`/runs/${run.id}/params`)).json.params;
      expect(params).toMatchObject({ lr: 0.5, 'model.depth': 12, note: 'x', flag: true, none: null, 'optim.lr': 0.01 });
      expect(params).not.toHaveProperty('fresh');
      expect((await ctx.client.get(`/runs/${run.id}`)).json.params).toEqual(params);
    });

    it('refuses malformed params', async () => {
      const run = await createRun(ctx.client, finishedRun());
      const nested = await ctx.client.post(`/runs/${run.id}/params`, { params: { obj: { a: 1 } } });
      expect(nested.status).toBe(400);
      expect(nested.json.error.message).toContain('body.params.obj');
      const emptyKey = await ctx.client.post(`/runs/${run.id}/params`, { params: { '': 1 } });
      expect(emptyKey.status).toBe(400);
    });
  });

  describe('rows', () => {
    /** A finished run of the project `rows` that names the run it reproduces. */
    const reproductionOf = (originalId: string, createdAt: number): RunRecord => {
      const run = finishedRun({ id: newRunId(createdAt), project: 'rows', name: `copy-${createdAt}`, createdAt });
      return { ...run, manifest: { ...run.manifest, run: { ...run.manifest.run, reproduces: originalId } } };
    };
    const check = (original: string, reproduction: string, verdict: Verification['verdict'], checkedAt: number): Verification => ({
      original,
      reproduction,
      verdict,
      checkedAt,
      rules: { tolerance: {}, ignore: [] },
      compared: { metrics: 1, artifacts: 0 },
      ignored: [],
      differences: verdict === 'exact' ? [] : [{ kind: 'metric', name: 'acc', original: 0.9, reproduction: 'NaN', delta: 'NaN', tolerance: null, outcome: 'diverged' }],
      environment: [],
    });

    it('say which run a row reproduces and its newest check, with the names of the runs they point to', async () => {
      const original = await createRun(ctx.client, finishedRun({ id: newRunId(BASE_TIME), project: 'rows', name: 'rows-original', createdAt: BASE_TIME }));
      const exact = await createRun(ctx.client, reproductionOf(original.id, BASE_TIME + 1000));
      const diverged = await createRun(ctx.client, reproductionOf(original.id, BASE_TIME + 2000));
      const unchecked = await createRun(ctx.client, reproductionOf(UNKNOWN_RUN, BASE_TIME + 3000));
      const plain = await createRun(ctx.client, finishedRun({ id: newRunId(BASE_TIME + 4000), project: 'rows', createdAt: BASE_TIME + 4000 }));
      for (const v of [check(original.id, exact.id, 'exact', BASE_TIME + 5000), check(original.id, diverged.id, 'diverged', BASE_TIME + 6000)]) {
        expect((await ctx.client.post('/verifications', v)).json).toEqual({ saved: true });
      }

      // One row a page: each row's related runs are on other pages, so their names are looked up.
      const { runs } = await allPages({ project: 'rows', view: 'row' }, 1);
      const row = (id: string) => runs.find((r) => r.id === id);
      expect(row(original.id)).toMatchObject({
        reproduces: null,
        verification: { original: original.id, reproduction: diverged.id, verdict: 'diverged' },
        relatedNames: { [diverged.id]: diverged.name },
      });
      expect(row(exact.id)).toMatchObject({
        reproduces: original.id,
        verification: { original: original.id, reproduction: exact.id, verdict: 'exact' },
        relatedNames: { [original.id]: 'rows-original' },
      });
      expect(row(diverged.id)).toMatchObject({ reproduces: original.id, verification: { verdict: 'diverged' }, relatedNames: { [original.id]: 'rows-original' } });
      // A run reproduced from another store: its original has no name here.
      expect(row(unchecked.id)).toMatchObject({ reproduces: UNKNOWN_RUN, verification: null, relatedNames: {} });
      expect(row(plain.id)).toMatchObject({ reproduces: null, verification: null, relatedNames: {} });
    });
  });

  describe('tags', () => {
    it('sets, replaces and deletes tags, and searches by them', async () => {
      const run = await createRun(ctx.client, finishedRun({ project: 'tagged' }));
      const other = await createRun(ctx.client, finishedRun({ project: 'tagged' }));

      const set = await ctx.client.put(`/runs/${run.id}/tags`, { tags: { stage: 'dev', owner: 'ana' } });
      expect(set.status).toBe(200);
      expect(set.json).toEqual({ tags: { stage: 'dev', owner: 'ana' } });

      const replaced = await ctx.client.put(`/runs/${run.id}/tags`, { tags: { stage: 'prod', note: 'a b/c' } });
      expect(replaced.json).toEqual({ tags: { stage: 'prod', owner: 'ana', note: 'a b/c' } });
      await ctx.client.put(`/runs/${other.id}/tags`, { tags: { stage: 'dev' } });

      const del = await ctx.client.delete(`/runs/${run.id}/tags/owner`);
      expect(del.json).toEqual({ deleted: true });
      expect((await ctx.client.delete(`/runs/${run.id}/tags/owner`)).json).toEqual({ deleted: false });
      expect((await ctx.client.delete(`/runs/${run.id}/tags/${encodeURIComponent('no such/tag')}`)).json).toEqual({ deleted: false });

      expect((await ctx.client.get(`/runs/${run.id}`)).json.run.tags).toEqual({ stage: 'prod', note: 'a b/c' });

      const prod = await allPages({ project: 'tagged', filter: "tags.stage = 'prod'" }, 10);
      expect(prod.ids).toEqual([run.id]);
      const hasOwner = await allPages({ project: 'tagged', filter: 'tags.owner is not null' }, 10);
      expect(hasOwner.ids).toEqual([]);
      const dev = await allPages({ project: 'tagged', filter: "tags.stage = 'dev'" }, 10);
      expect(dev.ids).toEqual([other.id]);

      const many = await ctx.client.post('/run-tags', { runIds: [run.id, other.id, UNKNOWN_RUN] });
      expect(many.json).toEqual({ tags: { [run.id]: { stage: 'prod', note: 'a b/c' }, [other.id]: { stage: 'dev' } } });
    });
  });
});
