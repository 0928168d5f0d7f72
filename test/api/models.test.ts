/**
 * The model store and retention over the API, as downstream systems and the web UI use
 * them: promotion answered 201 or refused with 409 and the failing gates, NAME@ALIAS
 * resolved with each file's download address, alias moves in the audit log, retention
 * kept or flagged by hand (not on a pinned run), and gc on the server.
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GateOutcome } from '../../src/core/gates.js';
import type { RunRecord } from '../../src/core/run.js';
import { gateOutcomes } from '../../src/ports/metadata-store.fixtures.js';
import { useServer } from '../helpers/server.js';
import { createRun, finishedRun, UNKNOWN_RUN } from './fixtures.js';

const sha = (b: string): string => createHash('sha256').update(b).digest('hex');

describe('the model store over the API', () => {
  const ctx = useServer();
  const gates = gateOutcomes(Date.now());
  let passed: RunRecord;
  let failedGates: RunRecord;
  let running: RunRecord;

  /** A finished run with a gate outcome and a model of one file (its bytes uploaded). */
  async function runWithModel(name: string, gate: GateOutcome, weights: string, status: RunRecord['status'] = 'succeeded'): Promise<RunRecord> {
    expect((await ctx.client.put(`/blobs/${sha(weights)}`, weights, { headers: { 'content-type': 'application/octet-stream' } })).status).toBe(200);
    const artifacts = [{ path: 'model/weights.txt', size: weights.length, sha256: sha(weights) }];
    const base = finishedRun({ name, status });
    const run: RunRecord = { ...base, manifest: { ...base.manifest, status, outputs: { ...base.manifest.outputs, artifacts, gate } } };
    await createRun(ctx.client, run);
    expect((await ctx.client.put(`/runs/${run.id}/artifacts`, { artifacts })).status).toBe(200);
    return run;
  }

  beforeAll(async () => {
    passed = await runWithModel('passed', gates.passed, 'weights of the passed run\n');
    failedGates = await runWithModel('failed-gates', gates.failed, 'weights of the run that failed its gates\n');
    const r = finishedRun({ name: 'still-running', status: 'running', endedAt: null, heartbeatAt: Date.now(), host: 'elsewhere' });
    running = await createRun(ctx.client, { ...r, manifest: { ...r.manifest, status: 'running' } });
  });

  it('refuses a run that failed its gates with 409, the failing gates in the message and details, and registers nothing', async () => {
    const res = await ctx.client.post('/models/clf/versions', { runId: failedGates.id });
    expect(res.status).toBe(409);
    expect(res.json.error.code).toBe('REPRISE_ERR_PROMOTION_REFUSED');
    expect(res.json.error.message).toContain('val_loss (min) is 0.6, not <= 0.4');
    expect(res.json.error.details.failedGates).toEqual(['val_loss (min) is 0.6, not <= 0.4', 'no metric "f1" was logged']);
    expect((await ctx.client.get('/models')).json).toEqual({ models: [] });
    expect((await ctx.client.get('/models/clf')).status).toBe(404);
  });

  it('answers bad requests with the field or value named', async () => {
    const unknown = await ctx.client.post('/models/clf/versions', { runId: UNKNOWN_RUN });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('REPRISE_ERR_RUN_NOT_FOUND');
    const alias = await ctx.client.post('/models/clf/versions', { runId: passed.id, alias: '7up' });
    expect(alias.status).toBe(400);
    expect(alias.json.error).toMatchObject({ code: 'REPRISE_ERR_MODEL_INVALID', details: { field: 'alias', value: '7up' } });
    const name = await ctx.client.post('/models/bad%20name/versions', { runId: passed.id });
    expect(name.status).toBe(400);
    expect(name.json.error.code).toBe('REPRISE_ERR_MODEL_INVALID');
    const body = await ctx.client.post('/models/clf/versions', { alias: 'candidate' });
    expect(body.status).toBe(400);
    expect(body.json.error.message).toContain('runId');
  });

  it('promotes a passed run with 201, resolves NAME@ALIAS with download addresses, and audits alias moves', async () => {
    const res = await ctx.client.post('/models/clf/versions', { runId: passed.id, note: 'first', by: 'ci' });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ aliasFrom: null, version: { model: 'clf', version: 1, runId: passed.id, runName: 'passed', aliases: ['candidate'], createdBy: 'ci', note: 'first' } });
    expect(res.json.version.files).toEqual([{ path: 'weights.txt', size: 26, sha256: sha('weights of the passed run\n') }]);

    const resolved = await ctx.client.get('/models/clf/versions/candidate');
    expect(resolved.status).toBe(200);
    const file = resolved.json.version.files[0];
    expect(file.url).toBe(`/api/v1/blobs/${file.sha256}`);
    expect((await ctx.client.get(file.url)).text).toBe('weights of the passed run\n');
    expect((await ctx.client.get('/models/clf/versions/1')).json.version.version).toBe(1);
    expect((await ctx.client.get('/models/clf/versions/production')).status).toBe(404);
    expect((await ctx.client.get('/models/clf/versions/0')).status).toBe(400);

    const moved = await ctx.client.put('/models/clf/aliases/production', { version: 1, note: 'ship it' });
    expect(moved.json).toEqual({ alias: 'production', from: null, to: 1 });
    expect((await ctx.client.put('/models/clf/aliases/production', { version: 2 })).status).toBe(404);
    const audit = await ctx.client.get('/model-audit?model=clf');
    expect(audit.json.entries.map((e: any) => [e.action, e.alias, e.fromVersion, e.toVersion, e.by, e.note])).toEqual([
      ['alias', 'production', null, 1, 'api', 'ship it'],
      ['promote', 'candidate', null, 1, 'ci', 'first'],
    ]);
    expect((await ctx.client.get('/models')).json.models).toEqual([
      expect.objectContaining({ name: 'clf', versions: 1, latestVersion: 1, aliases: { candidate: 1, production: 1 } }),
    ]);

    const detail = await ctx.client.get(`/runs/${passed.id}`);
    expect(detail.json).toMatchObject({ gate: { status: 'passed' }, retention: { state: 'pinned' }, models: [{ model: 'clf', version: 1, aliases: ['candidate', 'production'] }] });
  });

  it('keeps or flags a finished run by hand, never a pinned one or one still going', async () => {
    const pinned = await ctx.client.put(`/runs/${passed.id}/retention`, { state: 'flagged' });
    expect(pinned.status).toBe(409);
    expect(pinned.json.error.code).toBe('REPRISE_ERR_RUN_PINNED');
    const going = await ctx.client.put(`/runs/${running.id}/retention`, { state: 'kept' });
    expect(going.status).toBe(409);
    expect(going.json.error.code).toBe('REPRISE_ERR_RUN_NOT_FINISHED');
    const kept = await ctx.client.put(`/runs/${failedGates.id}/retention`, { state: 'kept', by: 'bob' });
    expect(kept.status).toBe(200);
    expect(kept.json.retention).toMatchObject({ state: 'kept', manual: true, by: 'bob', reason: 'kept by bob' });
    const rows = await ctx.client.get('/runs?view=row&project=mnist');
    const row = rows.json.runs.find((r: any) => r.id === failedGates.id);
    expect(row).toMatchObject({ gate: { status: 'failed' }, retention: { state: 'kept', by: 'bob' } });
    expect(rows.json.runs.find((r: any) => r.id === running.id).retention).toBeNull();
    expect((await ctx.client.put(`/runs/${failedGates.id}/retention`, { state: 'pinned' })).status).toBe(400);
  });

  it('collects on the server: a dry run first, then the run flagged by hand', async () => {
    expect((await ctx.client.put(`/runs/${failedGates.id}/retention`, { state: 'flagged', until: Date.now() - 1 })).status).toBe(200);
    const dry = await ctx.client.post('/gc', { dryRun: true, graceMs: 0 });
    expect(dry.json).toMatchObject({ dryRun: true, runsCollected: [{ id: failedGates.id }], blobsFreed: 1 });
    const gc = await ctx.client.post('/gc', { graceMs: 0 });
    expect(gc.json).toMatchObject({ dryRun: false, runsCollected: [{ id: failedGates.id }], blobsFreed: 1, blobsShared: 0 });
    expect((await ctx.client.head(`/blobs/${sha('weights of the run that failed its gates\n')}`)).status).toBe(404);
    expect((await ctx.client.head(`/blobs/${sha('weights of the passed run\n')}`)).status).toBe(200);
    expect((await ctx.client.get(`/runs/${failedGates.id}`)).json.retention).toMatchObject({ state: 'deleted' });
    const promote = await ctx.client.post('/models/clf/versions', { runId: failedGates.id });
    expect(promote.status).toBe(409);
  });
});
