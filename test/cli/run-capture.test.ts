/**
 * `reprise run` in a scratch repository with a dirty tree: everything a run must capture
 * is in `reprise show --json`, and the user's checkout is never written.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobPath, git, gitProject, readBlob, reprise, repriseJson, sandbox, writeFiles, yamlFor, type Sandbox } from '../helpers/cli.js';

const STAGE = `
import json, os, sys
params = json.load(open("input.json"))
env = {k: v for k, v in os.environ.items() if k.startswith("REPRISE_") or k == "PYTHONHASHSEED"}
files = sorted(os.path.relpath(os.path.join(d, f), ".") for d, _, fs in os.walk(".") for f in fs)
out = os.environ["REPRISE_OUTPUT_DIR"]
json.dump({"cwd": os.getcwd(), "env": env, "files": files, "params": params,
           "notes": open("notes.txt").read(), "blob": open("data.bin", "rb").read().hex(),
           "tracked": open("tracked.txt").read(), "python": os.path.realpath(sys.executable)}, open(os.path.join(out, "info.json"), "w"))
open(os.path.join(out, "same.txt"), "w").write("identical in every run\\n")
open(os.path.join(os.environ["REPRISE_MODEL_DIR"], "weights.bin"), "wb").write(bytes(range(256)))
with open(os.environ["REPRISE_METRICS"], "a") as m:
    m.write('{"step": 0, "loss": 1.5, "acc": 0.1}\\n')
    m.write('{"step": 1, "loss": NaN, "acc": Infinity}\\n')
    m.write('this is not json\\n')
    m.write('{"step": 2, "loss": 0.25, "acc": -Infinity, "bad": "x"}\\n')
    m.write('{"lr": 0.1}\\n{"lr": 0.05}\\n')
print("hello from train")
print("a warning", file=sys.stderr)
`;

describe('reprise run captures a complete, isolated run', () => {
  let sb: Sandbox;
  let dir: string;
  let head: string;
  let run: any;
  let before: { status: string; files: Record<string, number> };

  const snapshotCheckout = (): { status: string; files: Record<string, number> } => {
    const files: Record<string, number> = {};
    const walk = (d: string, rel: string): void => {
      for (const name of readdirSync(d)) {
        if (name === '.git') continue;
        const abs = join(d, name);
        const st = statSync(abs);
        if (st.isDirectory()) walk(abs, `${rel}${name}/`);
        else files[`${rel}${name}`] = st.mtimeMs;
      }
    };
    walk(dir, '');
    return { status: git(dir, 'status', '--porcelain', '--untracked-files=all'), files };
  };

  beforeAll(async () => {
    sb = await sandbox();
    dir = gitProject(sb, {
      'reprise.yaml': yamlFor([{ name: 'train', cmd: 'python train.py' }], 'env:\n  system: true\n  requirements: requirements.txt\n'),
      'input.json': JSON.stringify({ epochs: 10, optim: { lr: 0.1, momentum: 0.9 }, label: 'base' }),
      'requirements.txt': 'numpy==1.26.4\n',
      'train.py': STAGE,
      'tracked.txt': 'committed\n',
      '.gitignore': 'ignored.txt\n',
    });
    git(dir, 'remote', 'add', 'origin', 'https://git.example.com/team/proj.git');
    head = git(dir, 'rev-parse', 'HEAD').trim();
    // A dirty tree: a modified tracked file, an untracked text file, an untracked binary file, an ignored file.
    writeFiles(dir, {
      'tracked.txt': 'changed but not committed\n',
      'notes.txt': 'untracked notes\n',
      'data.bin': Buffer.from([0, 1, 2, 255, 254, 0, 10, 13]),
      'ignored.txt': 'must not travel\n',
    });
    before = snapshotCheckout();
    const res = await reprise(sb, dir, ['run', '-p', 'epochs=2', '-p', 'optim.lr=0.01', '-p', 'layers=[64,32]', '-p', 'label=abc', '--dev']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('[train] hello from train');
    expect(res.stderr).toContain('[train] a warning');
    expect(res.stderr).toMatch(/metrics line 3 skipped: not valid JSON/);
    const listed = await repriseJson<any[]>(sb, dir, ['ls']);
    run = await repriseJson(sb, dir, ['show', listed[0].id]);
  });

  afterAll(() => sb.cleanup());

  it('never writes into the checkout', () => {
    expect(snapshotCheckout()).toEqual(before);
  });

  it('pins the code: remote, branch, commit, dirty flag and a patch of every uncommitted change', () => {
    const code = run.manifest.code;
    expect(code).toMatchObject({ kind: 'git', remoteUrl: 'https://git.example.com/team/proj.git', branch: 'main', commit: head, dirty: true, subdir: '' });
    expect(code.changedFiles.sort()).toEqual(['data.bin', 'notes.txt', 'tracked.txt']);
    const patch = readBlob(sb, code.patch.sha256);
    expect(patch).toContain('GIT binary patch');
    expect(patch).toContain('+changed but not committed');
    expect(patch).not.toContain('must not travel');
  });

  it('runs the stage in a fresh export of the commit plus the patch', () => {
    const info = JSON.parse(readArtifact(sb, run, 'outputs/info.json'));
    expect(info.tracked).toBe('changed but not committed\n');
    expect(info.notes).toBe('untracked notes\n');
    expect(info.blob).toBe('000102fffe000a0d');
    expect(info.files).not.toContain('ignored.txt');
    expect(info.cwd.startsWith(sb.home)).toBe(true);
    expect(info.cwd).not.toBe(dir);
  });

  it('merges overrides into the params file the code reads, and records them with a hash', () => {
    const info = JSON.parse(readArtifact(sb, run, 'outputs/info.json'));
    const expected = { epochs: 2, optim: { lr: 0.01, momentum: 0.9 }, label: 'abc', layers: [64, 32] };
    expect(info.params).toEqual(expected);
    expect(run.manifest.params.values).toEqual(expected);
    expect(run.manifest.params.file).toBe('input.json');
    expect(run.manifest.params.overrides).toEqual([
      { key: 'epochs', value: 2 },
      { key: 'optim.lr', value: 0.01 },
      { key: 'layers', value: [64, 32] },
      { key: 'label', value: 'abc' },
    ]);
    expect(run.manifest.params.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(run.params).toEqual({ epochs: 2, 'optim.lr': 0.01, layers: [64, 32], label: 'abc' });
  });

  it('records the environment', () => {
    const e = run.manifest.environment;
    const info = JSON.parse(readArtifact(sb, run, 'outputs/info.json'));
    expect(e.python.version).toMatch(/^3\.\d+\.\d+/);
    expect(realpathSync(e.python.path)).toBe(info.python);
    expect(e.os.platform).toBe(process.platform);
    expect(e.arch).toBe(process.arch);
    expect(e.cpu.cores).toBeGreaterThan(0);
    expect(e.cpu.model.length).toBeGreaterThan(0);
    expect(e.memoryBytes).toBeGreaterThan(0);
    expect(Array.isArray(e.gpus)).toBe(true);
    expect(e.hostname.length).toBeGreaterThan(0);
    expect(e.user.length).toBeGreaterThan(0);
    expect(e.repriseVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(e.requirements).toEqual([{ path: 'requirements.txt', sha256: createHash('sha256').update('numpy==1.26.4\n').digest('hex') }]);
  });

  it('records the pipeline and exports the seed', () => {
    const info = JSON.parse(readArtifact(sb, run, 'outputs/info.json'));
    expect(run.manifest.pipeline).toMatchObject({ stages: [{ name: 'train', cmd: 'python train.py' }], seed: 7, seedSource: 'config', executor: 'local' });
    expect(info.env.REPRISE_SEED).toBe('7');
    expect(info.env.PYTHONHASHSEED).toBe('7');
    expect(info.env.REPRISE_RUN_ID).toBe(run.id);
    expect(info.env.REPRISE_STAGE).toBe('train');
    expect(info.env.REPRISE_PROJECT).toBe('proj');
  });

  it('records each stage with its exit code, times and logs', async () => {
    const [stage] = run.manifest.execution.stages;
    expect(stage).toMatchObject({ name: 'train', status: 'succeeded', exitCode: 0 });
    expect(stage.endedAt).toBeGreaterThanOrEqual(stage.startedAt);
    expect(readBlob(sb, stage.logs.stdout.sha256)).toBe('hello from train\n');
    expect(readBlob(sb, stage.logs.stderr.sha256)).toBe('a warning\n');
    expect(readBlob(sb, stage.logs.combined.sha256).split('\n').sort()).toEqual(['', 'a warning', 'hello from train']);
    const logs = await reprise(sb, dir, ['logs', run.name]);
    expect(logs.stdout).toContain('[train] hello from train');
    const stderrOnly = await reprise(sb, dir, ['logs', run.id, '--stage', 'train', '--stream', 'stderr']);
    expect(stderrOnly.stdout).toBe('a warning\n');
  });

  it('reads metrics with steps, NaN and ±Infinity, and reports bad lines by number', async () => {
    expect(run.metrics.loss).toEqual({ last: 0.25, lastStep: 2, lastTs: expect.any(Number), min: 0.25, max: 1.5, count: 3 });
    expect(run.metrics.acc).toEqual({ last: '-Infinity', lastStep: 2, lastTs: expect.any(Number), min: '-Infinity', max: 'Infinity', count: 3 });
    expect(run.metrics.lr).toMatchObject({ last: 0.05, lastStep: 1, count: 2 });
    expect(run.manifest.outputs.metricProblems.count).toBe(2);
    expect(run.manifest.outputs.metricProblems.examples).toEqual([
      { line: 3, problem: 'not valid JSON' },
      { line: 4, problem: expect.stringContaining('"bad" is not a number') },
    ]);
    const series = await repriseJson(sb, dir, ['metrics', run.id, 'loss']);
    expect(series.points.map((p: any) => [p.step, p.value])).toEqual([[0, 1.5], [1, 'NaN'], [2, 0.25]]);
  });

  it('stores outputs and the model by sha256, with path, size and hash', () => {
    const byPath = Object.fromEntries(run.artifacts.map((a: any) => [a.path, a]));
    expect(Object.keys(byPath).sort()).toEqual(['model/weights.bin', 'outputs/info.json', 'outputs/same.txt']);
    const weights = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(byPath['model/weights.bin']).toEqual({ path: 'model/weights.bin', size: 256, sha256: createHash('sha256').update(weights).digest('hex') });
    expect(run.manifest.outputs.model).toMatchObject({ path: 'model', files: 1, bytes: 256 });
    expect(run.status).toBe('succeeded');
    expect(run.dev).toBe(true);
  });

  it('stores identical files once across runs, and marks dev runs in listings', async () => {
    const res = await reprise(sb, dir, ['run']);
    expect(res.code, res.stderr).toBe(0);
    const runs = await repriseJson<any[]>(sb, dir, ['ls']);
    expect(runs).toHaveLength(2);
    const [second] = runs;
    const details = await repriseJson(sb, dir, ['show', second.id]);
    const same = (r: any): string => r.artifacts.find((a: any) => a.path === 'outputs/same.txt').sha256;
    expect(same(details)).toBe(same(run));
    const stored = readdirSync(dirname(blobPath(sb, same(run)))).filter((n) => n === same(run));
    expect(stored).toHaveLength(1);
    const table = await reprise(sb, dir, ['ls']);
    expect(table.stdout).toContain(`${run.name} (dev)`);
    expect(table.stdout).not.toContain(`${second.name} (dev)`);
    expect((await repriseJson<any[]>(sb, dir, ['ls', '--dev'])).map((r) => r.id)).toEqual([run.id]);
    expect((await repriseJson<any[]>(sb, dir, ['ls', '--no-dev'])).map((r) => r.id)).toEqual([second.id]);
  });

  it('finds a run by full id, unique prefix or name', async () => {
    for (const ref of [run.id, run.id.slice(0, 20), run.name]) {
      expect((await repriseJson(sb, dir, ['show', ref])).id).toBe(run.id);
    }
    const missing = await reprise(sb, dir, ['show', 'no-such-run']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('REPRISE_ERR_RUN_NOT_FOUND');
  });

  it('keeps the database and blobs in the store\'s home, never in a client\'s', () => {
    expect(existsSync(join(sb.storeHome, 'reprise.db'))).toBe(true);
    expect(existsSync(blobPath(sb, run.manifest.code.patch.sha256))).toBe(true);
    // Through a server, this machine's home holds only its own things (envs, runs, caches).
    if (sb.mode === 'server') {
      expect(existsSync(join(sb.home, 'reprise.db'))).toBe(false);
      expect(existsSync(join(sb.home, 'blobs'))).toBe(false);
    }
  });

  it('captures an edit of the same size made within the second of the last commit', async () => {
    const racy = gitProject(sb, { 'reprise.yaml': yamlFor([{ name: 'show', cmd: 'cat v.txt' }]), 'input.json': '{}\n', 'v.txt': '0\n' }, 'racy');
    // git caches stat data by the second: an edit in the same second as the index was
    // written, keeping the size, leaves it all the same; only the contents differ.
    const second = (ms: number): number => Math.floor(ms / 1000);
    for (let i = 1; ; i++) {
      writeFileSync(join(racy, 'v.txt'), `${i}\n`);
      git(racy, 'commit', '-qam', `v${i}`);
      writeFileSync(join(racy, 'v.txt'), 'x\n');
      if (second(statSync(join(racy, '.git', 'index')).mtimeMs) === second(statSync(join(racy, 'v.txt')).ctimeMs)) break;
      if (i === 20) throw new Error('could not edit a file within the second of a commit');
    }
    // The run starts in a later second, as it would on a busy machine.
    await new Promise((r) => setTimeout(r, 1_100));
    const run = await repriseJson(sb, racy, ['run']);
    expect(run.manifest.code).toMatchObject({ dirty: true, changedFiles: ['v.txt'] });
    expect(readBlob(sb, run.manifest.execution.stages[0].logs.stdout.sha256)).toBe('x\n');
  });

  it('leaves no workspace behind', () => {
    expect(readdirSync(join(sb.home, 'runs'))).toEqual([]);
    writeFileSync(join(sb.root, 'done'), '');
  });
});

function readArtifact(sb: Sandbox, run: any, path: string): string {
  const a = run.artifacts.find((x: any) => x.path === path);
  if (!a) throw new Error(`no artifact ${path} in ${run.artifacts.map((x: any) => x.path).join(', ')}`);
  return readBlob(sb, a.sha256);
}
