/**
 * mlflow calls inside a real `reprise run`: the stages' code uses the mlflow client as it
 * would anywhere, and what it logs (params, a metric over steps, an artifact, from two
 * stages) lands in that very Reprise run, through the server the run reports to, and
 * embedded through the endpoint the run opens on loopback; no second run appears. The stages' interpreter is the `.venv-mlflow` one, chosen the way a
 * project without requirements picks it: `python3` on PATH.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitProject, reprise, repriseJson, sandbox, type Sandbox } from '../helpers/cli.js';
import { api, startServer, type Api, type RunningServer } from '../helpers/server.js';
import { assertMlflowVenv, MLFLOW_CLIENT_ENV, MLFLOW_VENV_BIN, RUN_ID, SCRIPTS_DIR } from './mlflow-python.js';

const TIMEOUT = 240_000;

const YAML = `name: mlflow-inside
stages:
  - { name: train, cmd: python stage.py train }
  - { name: evaluate, cmd: python stage.py evaluate }
`;

describe('mlflow inside a reprise run', () => {
  let sb: Sandbox;
  let own: RunningServer | undefined;
  let client: Api;
  let dir: string;

  beforeAll(async () => {
    assertMlflowVenv();
    sb = await sandbox();
    // Through a server: the sandbox's own in server mode, else one started here.
    let url = sb.server?.url;
    if (!url) {
      own = await startServer();
      url = own.url;
    }
    client = api(url);
    // Whatever the test process has, the stages must get the tracking address and run from Reprise.
    for (const k of Object.keys(sb.env)) if (k.startsWith('MLFLOW_')) delete sb.env[k];
    Object.assign(sb.env, MLFLOW_CLIENT_ENV, { REPRISE_SERVER: url, PATH: `${MLFLOW_VENV_BIN}:${process.env.PATH ?? ''}` });
    dir = gitProject(sb, { 'reprise.yaml': YAML, 'stage.py': readFileSync(join(SCRIPTS_DIR, 'inside_run_stage.py'), 'utf8') });
  });
  afterAll(async () => {
    await sb?.cleanup();
    await own?.stop();
  });

  it(
    "logs the stages' mlflow calls into the run itself, with no second run",
    async () => {
      const res = await reprise(sb, dir, ['run', '--name', 'tracked']);
      expect(res.code, `${res.stderr}\n${res.stdout}`).toBe(0);
      const shown = await repriseJson(sb, dir, ['show', 'tracked']);
      expect(shown.id).toMatch(RUN_ID);
      expect(shown.status).toBe('succeeded');
      // Each stage's mlflow.start_run() resumed this run: the stage printed which one it logged to.
      const logs = await reprise(sb, dir, ['logs', 'tracked']);
      expect(logs.stdout).toContain(`stage train logged to mlflow run ${shown.id}`);
      expect(logs.stdout).toContain(`stage evaluate logged to mlflow run ${shown.id}`);

      const run = await client.get(`/runs/${shown.id}`);
      expect(run.status, run.text).toBe(200);
      expect(run.json.run.project).toBe('mlflow-inside');
      expect(run.json.run.status).toBe('succeeded');
      expect(run.json.params).toMatchObject({ lr: '0.05', epochs: '3', optimizer: 'sgd' });
      const loss = await client.get(`/runs/${shown.id}/history?key=loss&full=true`);
      expect(loss.status, loss.text).toBe(200);
      expect({ steps: loss.json.steps, values: loss.json.values }).toEqual({ steps: [0, 1, 2], values: [1, 1 / 2, 1 / 3] });
      expect(run.json.run.metrics.eval_accuracy).toMatchObject({ last: 0.91, count: 1 });
      const report = run.json.artifacts.find((a: any) => a.path === 'reports/report.txt');
      expect(report, JSON.stringify(run.json.artifacts)).toMatchObject({ size: Buffer.byteLength('trained for 3 epochs\n') });
      expect((await client.get(`/runs/${shown.id}/artifacts/reports/report.txt`)).text).toBe('trained for 3 epochs\n');

      // One run, seen the same from both sides: Reprise's project and mlflow's experiment.
      const listed = await client.get('/runs?project=mlflow-inside');
      expect(listed.json.runs.map((r: any) => r.id)).toEqual([shown.id]);
      expect((await client.get('/runs/count')).json.count).toBe(1);
      const exp = await client.get('/api/2.0/mlflow/experiments/get-by-name?experiment_name=mlflow-inside');
      expect(exp.status, exp.text).toBe(200);
      const found = await client.post('/api/2.0/mlflow/runs/search', { experiment_ids: [exp.json.experiment.experiment_id] });
      expect(found.status, found.text).toBe(200);
      expect(found.json.runs.map((r: any) => r.info.run_id)).toEqual([shown.id]);
    },
    TIMEOUT,
  );
});

describe('mlflow inside an embedded reprise run (no server anywhere)', () => {
  let sb: Sandbox;
  let dir: string;

  beforeAll(async () => {
    assertMlflowVenv();
    sb = await sandbox();
    for (const k of Object.keys(sb.env)) if (k.startsWith('MLFLOW_')) delete sb.env[k];
    delete sb.env.REPRISE_SERVER;
    Object.assign(sb.env, MLFLOW_CLIENT_ENV, { PATH: `${MLFLOW_VENV_BIN}:${process.env.PATH ?? ''}` });
    dir = gitProject(sb, { 'reprise.yaml': YAML, 'stage.py': readFileSync(join(SCRIPTS_DIR, 'inside_run_stage.py'), 'utf8') });
  });
  afterAll(async () => {
    await sb?.cleanup();
  });

  it(
    "logs the stages' mlflow calls into the run through a loopback endpoint, closed when the run ends",
    async () => {
      const res = await reprise(sb, dir, ['run', '--name', 'local']);
      expect(res.code, `${res.stderr}\n${res.stdout}`).toBe(0);
      const shown = await repriseJson(sb, dir, ['show', 'local']);
      expect(shown.status).toBe('succeeded');
      const logs = await reprise(sb, dir, ['logs', 'local']);
      expect(logs.stdout).toContain(`stage train logged to mlflow run ${shown.id}`);
      expect(logs.stdout).toContain(`stage evaluate logged to mlflow run ${shown.id}`);
      // The address the stages got is this run's own, on loopback.
      expect(logs.stdout).toMatch(/logged to mlflow run \w+ at http:\/\/127\.0\.0\.1:\d+/);
      expect(shown.allParams).toMatchObject({ lr: '0.05', epochs: '3', optimizer: 'sgd' });
      expect(shown.metrics.eval_accuracy).toMatchObject({ last: 0.91, count: 1 });
      const loss = await repriseJson(sb, dir, ['metrics', 'local', 'loss']);
      expect(loss.points.map((p: any) => [p.step, p.value])).toEqual([
        [0, 1],
        [1, 1 / 2],
        [2, 1 / 3],
      ]);
      expect(shown.artifacts.find((a: any) => a.path === 'reports/report.txt')).toMatchObject({ size: Buffer.byteLength('trained for 3 epochs\n') });
      const listed = await repriseJson(sb, dir, ['ls']);
      expect(listed.map((r: any) => r.id)).toEqual([shown.id]);
    },
    TIMEOUT,
  );
});
