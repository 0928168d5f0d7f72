/**
 * The shipped example trains a real model through every stage, logging per-epoch
 * metrics through the SDK and storing its model. It runs from a copy, as a user's own
 * repository would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleProject, readBlob, reprise, repriseJson, sandbox, type Sandbox } from '../helpers/cli.js';

describe('examples/iris', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await sandbox();
  });
  afterAll(() => sb.cleanup());

  it('loads, preprocesses, trains, evaluates and persists a model', async () => {
    const dir = exampleProject(sb, 'iris');
    const res = await reprise(sb, dir, ['run', '-p', 'epochs=8']);
    expect(res.code, res.stderr).toBe(0);
    const [listed] = await repriseJson<any[]>(sb, dir, ['ls']);
    const run = await repriseJson(sb, dir, ['show', listed.id]);
    expect(run.manifest.execution.stages.map((s: any) => `${s.name}:${s.status}`)).toEqual([
      'load:succeeded', 'preprocess:succeeded', 'train:succeeded', 'evaluate:succeeded', 'persist:succeeded',
    ]);
    for (const key of ['train_loss', 'train_accuracy']) expect(run.metrics[key]).toMatchObject({ count: 8, lastStep: 8 });
    expect(run.metrics.val_accuracy.count).toBeGreaterThanOrEqual(8);
    expect(run.metrics.val_accuracy.last).toBeGreaterThan(0.8);
    const model = run.artifacts.find((a: any) => a.path === 'model/model.json');
    const body = JSON.parse(readBlob(sb, model.sha256));
    expect(body.params.epochs).toBe(8);
    expect(run.artifacts.map((a: any) => a.path)).toEqual(expect.arrayContaining(['outputs/eval.json', 'outputs/loss_curve.svg']));
  });
});
