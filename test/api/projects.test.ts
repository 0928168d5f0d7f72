/**
 * Projects over the API: the projects list, the keys a table can show, counts, rows for
 * a table, and a project's dashboard (runs per week, success rate, best metrics over time).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/core/run.js';
import type { RunStatus } from '../../src/core/run-manifest.js';
import { useServer } from '../helpers/server.js';
import { createRun, finishedRun, makeRunRecord, newRunId } from './fixtures.js';

const DAY = 86_400_000;
/** Mondays, 00:00 UTC. */
const NOV_2 = Date.UTC(2026, 10, 2);
const NOV_9 = Date.UTC(2026, 10, 9);
const NOV_16 = Date.UTC(2026, 10, 16);
const NOV_23 = Date.UTC(2026, 10, 23);

interface Planned {
  readonly at: number;
  readonly status: RunStatus;
  readonly dev?: boolean;
  readonly valAcc?: number;
  readonly lr: number;
}

const PLAN: Planned[] = [
  { at: NOV_2 + DAY, status: 'succeeded', valAcc: 0.8, lr: 0.1 },
  { at: NOV_2 + 2 * DAY, status: 'succeeded', valAcc: 0.85, lr: 0.05 },
  { at: NOV_2 + 3 * DAY, status: 'failed', lr: 0.5 },
  { at: NOV_16 + DAY, status: 'succeeded', valAcc: 0.83, lr: 0.02 },
  { at: NOV_16 + 2 * DAY, status: 'lost', lr: 0.02 },
  { at: NOV_16 + 3 * DAY, status: 'canceled', lr: 0.01 },
  { at: NOV_23 + DAY, status: 'succeeded', valAcc: 0.9, lr: 0.01 },
  { at: NOV_23 + 2 * DAY, status: 'succeeded', dev: true, valAcc: 0.99, lr: 0.3 },
];

describe('projects', () => {
  const ctx = useServer();
  const runs: RunRecord[] = [];

  beforeAll(async () => {
    for (const [i, p] of PLAN.entries()) {
      const run = finishedRun({ id: newRunId(p.at), name: `dash-${i}`, project: 'dash', createdAt: p.at, status: p.status, dev: p.dev ?? false });
      await createRun(ctx.client, makeRunRecord({ ...run, params: { lr: p.lr, optim: { name: 'sgd' } } }));
      if (p.valAcc !== undefined) {
        const m = await ctx.client.post(`/runs/${run.id}/metrics`, { points: [{ key: 'val_acc', value: 0.1, step: 0 }, { key: 'val_acc', value: p.valAcc, step: 1 }, { key: 'val_loss', value: 1 - p.valAcc, step: 1 }] });
        expect(m.status).toBe(200);
      }
      runs.push(run);
    }
    await ctx.client.put(`/runs/${runs[0]!.id}/tags`, { tags: { stage: 'candidate' } });
    await createRun(ctx.client, finishedRun({ project: 'other', status: 'failed' }));
  });

  it('lists each project with counts by status, dev runs and its best headline metric, dev runs aside', async () => {
    const res = await ctx.client.get('/projects');
    expect(res.status).toBe(200);
    const [dash, other] = res.json.projects;
    expect(dash).toMatchObject({ name: 'dash', runs: 8, devRuns: 1, byStatus: { succeeded: 5, failed: 1, lost: 1, canceled: 1 }, firstRunAt: NOV_2 + DAY });
    expect(dash.best).toMatchObject({ key: 'val_acc', goal: 'max', value: 0.9, runName: 'dash-6' });
    expect(other).toMatchObject({ name: 'other', runs: 1, byStatus: { failed: 1 }, best: null });
  });

  it("gives the keys a project's runs use", async () => {
    const res = await ctx.client.get('/run-keys?project=dash');
    expect(res.json).toEqual({ params: ['lr', 'optim.name'], metrics: ['val_acc', 'val_loss'], tags: ['stage'] });
  });

  it('counts the runs a filter matches, and refuses a bad filter naming the token', async () => {
    expect((await ctx.client.get(`/runs/count?project=dash&filter=${encodeURIComponent('params.lr <= 0.05')}`)).json).toEqual({ count: 5 });
    expect((await ctx.client.get('/runs/count?project=dash&status=succeeded&dev=false')).json).toEqual({ count: 4 });
    const bad = await ctx.client.get(`/runs/count?filter=${encodeURIComponent('params.lr <')}`);
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('REPRISE_ERR_FILTER_INVALID');
  });

  it('serves table rows: no manifest, params flattened, metrics and tags', async () => {
    const res = await ctx.client.get(`/runs?project=dash&view=row&order=${encodeURIComponent('metrics.val_acc desc')}&limit=2`);
    expect(res.status).toBe(200);
    const [first, second] = res.json.runs;
    expect(first.name).toBe('dash-7');
    expect(second.name).toBe('dash-6');
    expect(first.manifest).toBeUndefined();
    expect(first).toMatchObject({ project: 'dash', status: 'succeeded', dev: true, params: { lr: 0.3, 'optim.name': 'sgd' }, code: { commit: runs[7]!.manifest.code?.kind === 'git' ? runs[7]!.manifest.code.commit : '' } });
    expect(first.metrics.val_acc).toMatchObject({ last: 0.99, count: 2 });
    const tagged = await ctx.client.get(`/runs?project=dash&view=row&filter=${encodeURIComponent("tags.stage = 'candidate'")}`);
    expect(tagged.json.runs.map((r: { tags: unknown }) => r.tags)).toEqual([{ stage: 'candidate' }]);
  });

  it('gives the params of many runs at once', async () => {
    const res = await ctx.client.post('/run-params', { runIds: [runs[0]!.id, runs[1]!.id] });
    expect(res.json.params[runs[0]!.id]).toEqual({ lr: 0.1, 'optim.name': 'sgd' });
    expect(res.json.params[runs[1]!.id]).toEqual({ lr: 0.05, 'optim.name': 'sgd' });
  });

  it("gives a project's dashboard: totals without dev runs, every week, best values over time", async () => {
    const res = await ctx.client.get('/projects/dash/dashboard');
    expect(res.status).toBe(200);
    const d = res.json;
    expect(d.totals).toEqual({ runs: 7, devRuns: 1, succeeded: 4, failed: 2, canceled: 1, active: 0, successRate: 4 / 6 });
    expect(d.lastRun).toMatchObject({ name: 'dash-6', status: 'succeeded' });
    expect(d.weeks).toEqual([
      { weekStart: NOV_2, runs: 3, succeeded: 2, failed: 1, canceled: 0, active: 0 },
      { weekStart: NOV_9, runs: 0, succeeded: 0, failed: 0, canceled: 0, active: 0 },
      { weekStart: NOV_16, runs: 3, succeeded: 1, failed: 1, canceled: 1, active: 0 },
      { weekStart: NOV_23, runs: 1, succeeded: 1, failed: 0, canceled: 0, active: 0 },
    ]);
    expect(d.metrics.map((m: { key: string }) => m.key)).toEqual(['val_acc', 'val_loss']);
    const acc = d.metrics[0];
    expect(acc.goal).toBe('max');
    expect(acc.weeks.map((w: { weekStart: number; best: number; bestSoFar: number }) => [w.weekStart, w.best, w.bestSoFar])).toEqual([
      [NOV_2, 0.85, 0.85],
      [NOV_16, 0.83, 0.85],
      [NOV_23, 0.9, 0.9],
    ]);
    expect(acc.best).toMatchObject({ value: 0.9, runName: 'dash-6' });
    const loss = d.metrics[1];
    expect(loss.goal).toBe('min');
    expect(loss.best.value).toBeCloseTo(0.1);
    expect(d.availableMetrics).toEqual(['val_acc', 'val_loss']);
  });

  it('shows the metrics asked for, and names a metric no run records', async () => {
    expect((await ctx.client.get('/projects/dash/dashboard?metrics=val_loss')).json.metrics.map((m: { key: string }) => m.key)).toEqual(['val_loss']);
    const bad = await ctx.client.get('/projects/dash/dashboard?metrics=val_loss,f2');
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('"f2"');
  });

  it('answers 404 for a project without runs', async () => {
    const res = await ctx.client.get('/projects/nothing-here/dashboard');
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('REPRISE_ERR_PROJECT_NOT_FOUND');
    expect(res.json.error.hint).toContain('reprise run');
  });
});
