/**
 * The unmodified `mlflow` Python client against a real `reprise server`: each script of
 * test/mlflow logs the way users do (tracking and artifacts, the model registry,
 * sklearn autologging), checks what the client reads back, then reads the same runs
 * through Reprise's own API. A script stops at its first broken check and says what it
 * expected, what came, and the HTTP exchanges just before; that is the failure shown here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useServer } from '../helpers/server.js';
import { assertMlflowVenv, RUN_ID, runMlflowScript, summaryOf } from './mlflow-python.js';

const TIMEOUT = 300_000;

describe('the mlflow client against a Reprise server', () => {
  const ctx = useServer();
  beforeAll(() => assertMlflowVenv());

  async function script<T = any>(name: string, args: readonly string[]): Promise<T> {
    return summaryOf<T>(name, await runMlflowScript(name, args, ctx.server.url));
  }

  it('answers the first calls the client makes: the Default experiment, by name and by id', async () => {
    const byName = await ctx.client.get('/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default');
    expect(byName.status, byName.text).toBe(200);
    expect(byName.json.experiment).toMatchObject({ experiment_id: '0', name: 'Default', lifecycle_stage: 'active' });
    const unknown = await ctx.client.get('/api/2.0/mlflow/experiments/get-by-name?experiment_name=nothing-by-this-name');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it(
    'tracks runs as mlflow users log them, and Reprise holds the same runs, params, tags, series and artifacts',
    async () => {
      const summary = await script('client_surface.py', ['--experiment', 'mlflow-surface']);
      const ids: string[] = [...Object.values(summary.runs).flat()] as string[];
      // The MLflow run id is the Reprise run id, and each run is one of the project's.
      for (const id of ids) expect(id).toMatch(RUN_ID);
      const listed = await ctx.client.get('/runs?project=mlflow-surface&limit=100');
      expect(listed.status).toBe(200);
      expect(new Set(listed.json.runs.map((r: any) => r.id))).toEqual(new Set(ids));
      const projects = (await ctx.client.get('/projects')).json.projects.map((p: any) => p.name);
      expect(projects).toContain('mlflow-surface');
      const exp = await ctx.client.get('/api/2.0/mlflow/experiments/get-by-name?experiment_name=mlflow-surface');
      expect(exp.json.experiment.experiment_id).toBe(summary.experiment_id);
    },
    TIMEOUT,
  );

  it(
    'registers a logged scikit-learn model only as the promotion rule allows, and loads it back by alias',
    async () => {
      const summary = await script('registry.py', ['--experiment', 'mlflow-registry', '--model', 'iris-classifier']);
      const model = await ctx.client.get(`/models/${summary.model}`);
      expect(model.status, model.text).toBe(200);
      const byRun = Object.fromEntries(model.json.versions.map((v: any) => [v.runId, String(v.version)]));
      // Each registration is a version of Reprise's model store, under the version number mlflow answered.
      for (const [key, runId] of Object.entries<string>(summary.runs)) expect(byRun[runId]).toBe(summary.versions[key]);
      expect(model.json.model.aliases.champion).toBe(Number(summary.versions.candidate));
    },
    TIMEOUT,
  );

  it(
    "keeps what mlflow.sklearn.autolog() logs: the estimator's params, training metrics and the model",
    async () => {
      const summary = await script('autolog.py', ['--experiment', 'mlflow-autolog']);
      expect(summary.run_id).toMatch(RUN_ID);
      const params = await ctx.client.get(`/runs/${summary.run_id}/params`);
      expect(params.json.params).toEqual(summary.params);
      const artifacts = (await ctx.client.get(`/runs/${summary.run_id}/artifacts`)).json.artifacts.map((a: any) => a.path);
      expect(artifacts).toContain('model/MLmodel');
    },
    TIMEOUT,
  );
});
