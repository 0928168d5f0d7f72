/**
 * Runs started at the same instant from one checkout never share a workspace, params
 * file, output folder or metrics file, and all finish with their own results. Embedded,
 * the four processes also create and write one new SQLite file at once; through a
 * server, they all report to it at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitProject, readBlob, reprise, repriseJson, sandbox, type Sandbox } from '../helpers/cli.js';

const TRAIN = `
import json, os, time
p = json.load(open("input.json"))
paths = {k: os.environ[k] for k in ("REPRISE_PARAMS", "REPRISE_METRICS", "REPRISE_OUTPUT_DIR", "REPRISE_MODEL_DIR")}
paths["cwd"] = os.getcwd()
time.sleep(0.3)  # keep the runs overlapping
with open(os.environ["REPRISE_METRICS"], "a") as m:
    for step in range(5):
        m.write(json.dumps({"step": step, "score": p["seed"] * 100 + step}) + "\\n")
json.dump({"seed": p["seed"], "paths": paths}, open(os.path.join(os.environ["REPRISE_OUTPUT_DIR"], "result.json"), "w"))
open(os.path.join(os.environ["REPRISE_MODEL_DIR"], "model.txt"), "w").write(f"model for seed {p['seed']}\\n")
`;

describe('parallel runs from one checkout', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await sandbox();
  });
  afterAll(() => sb.cleanup());

  it('four runs started together each succeed with their own params, metrics and artifacts', async () => {
    const dir = gitProject(sb, {
      'reprise.yaml': 'name: par\nparams: input.json\nstages:\n  - { name: train, cmd: python train.py }\n',
      'input.json': '{"seed": 0}',
      'train.py': TRAIN,
    });
    const seeds = [1, 2, 3, 4];
    const results = await Promise.all(seeds.map((s) => reprise(sb, dir, ['run', '-p', `seed=${s}`, '--name', `par-${s}`])));
    for (const r of results) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/database is locked|SQLITE_BUSY/i);
    }
    const seen = new Map<string, string>();
    for (const s of seeds) {
      const run = await repriseJson(sb, dir, ['show', `par-${s}`]);
      expect(run.status).toBe('succeeded');
      expect(run.manifest.params.values).toEqual({ seed: s });
      expect(run.metrics.score).toEqual({ last: s * 100 + 4, lastStep: 4, lastTs: expect.any(Number), min: s * 100, max: s * 100 + 4, count: 5 });
      const result = run.artifacts.find((a: any) => a.path === 'outputs/result.json');
      const body = JSON.parse(readBlob(sb, result.sha256));
      expect(body.seed).toBe(s);
      for (const [kind, path] of Object.entries(body.paths as Record<string, string>)) {
        expect(seen.get(path), `${kind} ${path} shared by two runs`).toBeUndefined();
        seen.set(path, run.id);
      }
      const model = run.artifacts.find((a: any) => a.path === 'model/model.txt');
      expect(readBlob(sb, model.sha256)).toBe(`model for seed ${s}\n`);
    }
    expect(seen.size).toBe(seeds.length * 5);
  });
});
