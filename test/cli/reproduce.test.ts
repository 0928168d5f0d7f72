/**
 * `reprise reproduce` and `reprise verify`, end to end: the shipped example reproduced
 * exactly (its model's hash included), a nondeterministic stage reported as diverged
 * with the metric named, a run from a dirty tree reproduced after the tree moved on, an
 * old lock rebuilt after the requirements changed, the commit fetched from the recorded
 * remote, a run exported and imported into an empty store, and what is refused. Through
 * a server, a colleague with another REPRISE_HOME reproduces the run: its patch and lock
 * come from the server.
 */
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleProject, git, gitProject, readBlob, reprise, repriseJson, sandbox, SERVER_MODE, yamlFor, type Sandbox } from '../helpers/cli.js';
import { makeWheel } from '../helpers/wheels.js';

const BUILD_TIMEOUT = 180_000;

/** Writes one metrics line: the values of `expr` (a Python dict expression) at step 1. */
const metricsScript = (imports: string, expr: string): string =>
  `import json, os${imports ? `, ${imports}` : ''}\nwith open(os.environ["REPRISE_METRICS"], "a") as f:\n    f.write(json.dumps(dict(step=1, **${expr})) + "\\n")\n`;

async function reproduceJson(sb: Sandbox, cwd: string, ref: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: any; stderr: string }> {
  const res = await reprise(sb, cwd, ['reproduce', ref, '--json'], extraEnv);
  let out: any;
  try {
    out = JSON.parse(res.stdout);
  } catch {
    throw new Error(`reprise reproduce ${ref} printed no JSON (exit ${res.code})\n${res.stderr}\n${res.stdout}`);
  }
  return { code: res.code, out, stderr: res.stderr };
}

describe('reprise reproduce', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await sandbox();
  });
  afterAll(() => sb.cleanup());

  it('reproduces the example exactly, model hash included, and links the two runs both ways', { timeout: BUILD_TIMEOUT }, async () => {
    const dir = exampleProject(sb, 'iris');
    const first = await reprise(sb, dir, ['run', '-p', 'epochs=3']);
    expect(first.code, first.stderr).toBe(0);
    const [orig] = await repriseJson<any[]>(sb, dir, ['ls']);

    const { code, out, stderr } = await reproduceJson(sb, dir, orig.name);
    expect(code, stderr).toBe(0);
    expect(out.verification).toMatchObject({ original: orig.id, reproduction: out.run.id, verdict: 'exact', differences: [] });
    expect(out.verification.compared.metrics).toBe(4);
    const original = await repriseJson(sb, dir, ['show', orig.id]);
    const model = (r: any) => r.artifacts.find((a: any) => a.path === 'model/model.json');
    expect(model(out.run).sha256).toBe(model(original).sha256);
    expect(out.run.artifacts).toEqual(original.artifacts);
    // Built from the manifest: the same code, params and seed; the environment from the lock.
    const m = out.run.manifest;
    expect(m.run.reproduces).toBe(orig.id);
    expect(m.code).toEqual(original.manifest.code);
    expect(m.params).toEqual(original.manifest.params);
    expect(m.pipeline.seed).toBe(original.manifest.pipeline.seed);
    expect(m.environment.resolved.source).toBe('lock');
    expect(readBlob(sb, m.environment.resolved.lockInput.sha256)).toBe(readBlob(sb, original.manifest.environment.resolved.lock.sha256));

    // Linked both ways: ls and show, from either run.
    const listed = await repriseJson<any[]>(sb, dir, ['ls']);
    expect(listed.find((r) => r.id === out.run.id)).toMatchObject({ reproduces: orig.id, check: { role: 'reproduction', verdict: 'exact', other: { id: orig.id, name: orig.name } } });
    expect(listed.find((r) => r.id === orig.id)).toMatchObject({ reproduces: null, check: { role: 'original', verdict: 'exact', other: { id: out.run.id } } });
    const table = await reprise(sb, dir, ['ls']);
    expect(table.stdout).toContain(`reproduces ${orig.name}: exactly`);
    const shown = await reprise(sb, dir, ['show', orig.name]);
    expect(shown.stdout).toContain(`reproduced by  ${out.run.name} (${out.run.id}): reproduced exactly`);
    const shownJson = await repriseJson(sb, dir, ['show', out.run.id]);
    expect(shownJson.reproducibility).toMatchObject({ reproduces: orig.id, checks: [{ role: 'reproduction', verdict: 'exact', other: { id: orig.id } }] });
  });

  describe('a stage that is not deterministic', () => {
    let dir: string;
    let orig: any;
    let repro: any;
    beforeAll(async () => {
      dir = gitProject(sb, {
        'reprise.yaml': yamlFor([{ name: 'measure', cmd: 'python measure.py' }], 'reproduce:\n  ignore: [outputs/stamp.txt]\n'),
        'input.json': '{"lr": 0.1}\n',
        'measure.py':
          metricsScript('random, time', '{"fixed": 0.5, "noise": random.SystemRandom().random()}') +
          'open(os.path.join(os.environ["REPRISE_OUTPUT_DIR"], "stamp.txt"), "w").write(str(time.time_ns()))\n' +
          'open(os.path.join(os.environ["REPRISE_OUTPUT_DIR"], "same.txt"), "w").write("same")\n',
      }, 'noisy');
      const res = await reprise(sb, dir, ['run']);
      expect(res.code, res.stderr).toBe(0);
      [orig] = await repriseJson<any[]>(sb, dir, ['ls', '--project', 'proj']);
    });

    it('is reported diverged, naming the metric, and exits 1', async () => {
      const res = await reprise(sb, dir, ['reproduce', orig.id]);
      expect(res.code, res.stderr).toBe(1);
      expect(res.stdout).toMatch(/: diverged · 2 metric\(s\) and 1 artifact\(s\) compared, 1 diverged/);
      expect(res.stdout).toMatch(/metric\s+noise\s+\S+\s+\S+\s+[+-]\S+\s+-\s+diverged/);
      expect(res.stdout).toContain('ignored: outputs/stamp.txt');
      [repro] = (await repriseJson<any[]>(sb, dir, ['ls', '--project', 'proj'])).filter((r) => r.reproduces === orig.id);
      expect(repro.check).toMatchObject({ role: 'reproduction', verdict: 'diverged' });
    });

    it('verify compares any two runs the same way, with tolerances from the command line', async () => {
      const strict = await reprise(sb, dir, ['verify', orig.id, repro.id, '--json']);
      expect(strict.code).toBe(1);
      const v = JSON.parse(strict.stdout);
      expect(v.differences).toEqual([
        expect.objectContaining({ kind: 'metric', name: 'noise', tolerance: null, outcome: 'diverged', original: expect.any(Number), reproduction: expect.any(Number) }),
      ]);
      expect(v.ignored).toEqual(['outputs/stamp.txt']);
      const loose = await reprise(sb, dir, ['verify', orig.id, repro.id, '--tolerance', 'noise=1']);
      expect(loose.code, loose.stderr).toBe(0);
      expect(loose.stdout).toContain('reproduced within tolerance');
      const ignoring = await repriseJson(sb, dir, ['verify', orig.id, repro.id, '--ignore', 'no*']);
      expect(ignoring).toMatchObject({ verdict: 'exact', ignored: ['noise', 'outputs/stamp.txt'] });
    });

    it('refuses what cannot be compared, naming it', async () => {
      const same = await reprise(sb, dir, ['verify', orig.id, orig.name]);
      expect(same.code).toBe(2);
      expect(same.stderr).toContain('REPRISE_ERR_ARG_INVALID');
      const tol = await reprise(sb, dir, ['verify', orig.id, repro.id, '--tolerance', 'noise=-1']);
      expect(tol.code).toBe(2);
      expect(tol.stderr).toContain('--tolerance "noise=-1"');
      const missing = await reprise(sb, dir, ['reproduce', 'no-such-run']);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('REPRISE_ERR_RUN_NOT_FOUND');
    });
  });

  it('reproduces a run from a dirty tree after the tree was cleaned and committed over', { timeout: BUILD_TIMEOUT }, async () => {
    const dir = gitProject(sb, {
      'reprise.yaml': yamlFor([{ name: 'read', cmd: 'python read.py' }]),
      'input.json': '{"scale": 2}\n',
      'value.txt': '1\n',
      'read.py': metricsScript('', '{"value": float(open("value.txt").read()) * json.load(open("input.json"))["scale"], "extra": float(os.path.exists("extra.txt"))}'),
    }, 'dirty');
    writeFileSync(join(dir, 'value.txt'), '2\n');
    writeFileSync(join(dir, 'extra.txt'), 'untracked\n');
    const first = await repriseJson(sb, dir, ['run']);
    expect(first.metrics.value.last).toBe(4);
    expect(first.metrics.extra.last).toBe(1);
    expect(first.manifest.code.dirty).toBe(true);

    git(dir, 'checkout', '--', 'value.txt');
    rmSync(join(dir, 'extra.txt'));
    writeFileSync(join(dir, 'value.txt'), '3\n');
    git(dir, 'commit', '-qam', 'over');

    // Through a server, a colleague's machine: another home, nothing of the first run's on disk.
    const colleague = SERVER_MODE ? { REPRISE_HOME: join(sb.root, 'colleague-home') } : {};
    const { code, out, stderr } = await reproduceJson(sb, dir, first.name, colleague);
    expect(code, stderr).toBe(0);
    expect(out.verification.verdict).toBe('exact');
    expect(out.run.metrics.value.last).toBe(4);
    expect(out.run.metrics.extra.last).toBe(1);
    expect(out.run.manifest.code).toEqual(first.manifest.code);

    // Exported, imported into an empty store, and reproduced there.
    const bundle = join(sb.root, 'dirty.tar.gz');
    const exported = await reprise(sb, dir, ['export', first.id, '-o', bundle]);
    expect(exported.code, exported.stderr).toBe(0);
    const elsewhere = await sandbox();
    try {
      const imported = await reprise(elsewhere, dir, ['import', bundle]);
      expect(imported.code, imported.stderr).toBe(0);
      const there = await reproduceJson(elsewhere, dir, first.name);
      expect(there.code, there.stderr).toBe(0);
      expect(there.out.verification).toMatchObject({ original: first.id, verdict: 'exact' });
      expect(there.out.run.metrics.value.last).toBe(4);
    } finally {
      await elsewhere.cleanup();
    }
  });

  it('rebuilds the old lock after requirements.txt changed on the branch', { timeout: BUILD_TIMEOUT }, async () => {
    const dir = gitProject(sb, {
      'reprise.yaml': 'name: locked\nenv:\n  requirements: requirements.txt\n  no_index: true\n  find_links: wheels\nstages:\n  - { name: probe, cmd: python probe.py }\n',
      'requirements.txt': 'reprisewheel==0.1.0\n',
      'probe.py': metricsScript('reprisewheel', '{"minor": float(reprisewheel.VERSION.split(".")[1])}'),
    }, 'locked');
    makeWheel(join(dir, 'wheels'), 'reprisewheel', '0.1.0');
    makeWheel(join(dir, 'wheels'), 'reprisewheel', '0.2.0');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'wheelhouse');
    const first = await repriseJson(sb, dir, ['run']);
    expect(first.metrics.minor.last).toBe(1);

    writeFileSync(join(dir, 'requirements.txt'), 'reprisewheel==0.2.0\n');
    git(dir, 'commit', '-qam', 'upgrade');
    const today = await repriseJson(sb, dir, ['run']);
    expect(today.metrics.minor.last).toBe(2);

    const { code, out, stderr } = await reproduceJson(sb, dir, first.id);
    expect(code, stderr).toBe(0);
    expect(out.verification.verdict).toBe('exact');
    expect(out.run.metrics.minor.last).toBe(1);
    const env = out.run.manifest.environment.resolved;
    expect(env.source).toBe('lock');
    expect(readBlob(sb, env.lock.sha256).split('\n')).toContain('reprisewheel==0.1.0');
    // The run of today's branch differs from the original by its package, and says so.
    const differs = await reprise(sb, dir, ['verify', first.id, today.id, '--json']);
    expect(differs.code).toBe(1);
    const v = JSON.parse(differs.stdout);
    expect(v.verdict).toBe('diverged');
    expect(v.environment).toContainEqual({ what: 'package reprisewheel', original: '0.1.0', reproduction: '0.2.0' });
  });

  it('reproduces a run of a folder outside git from its stored snapshot, after the folder is gone', async () => {
    const dir = join(sb.root, 'plain');
    mkdirSync(dir);
    writeFileSync(join(dir, 'reprise.yaml'), yamlFor([{ name: 'one', cmd: 'python one.py' }]));
    writeFileSync(join(dir, 'input.json'), '{"k": 3}\n');
    writeFileSync(join(dir, 'one.py'), metricsScript('', '{"k": float(json.load(open("input.json"))["k"])}'));
    const first = await repriseJson(sb, dir, ['run', '--no-git']);
    expect(first.manifest.code.kind).toBe('folder');
    rmSync(dir, { recursive: true, force: true });
    const { code, out, stderr } = await reproduceJson(sb, sb.root, first.id);
    expect(code, stderr).toBe(0);
    expect(out.verification.verdict).toBe('exact');
    expect(out.run.metrics.k.last).toBe(3);
  });

  it("carries a commit's files in a bundle and reproduces from them where no repository has the commit", async () => {
    const dir = gitProject(sb, {
      'reprise.yaml': yamlFor([{ name: 'measure', cmd: './measure.sh' }]),
      'input.json': '{"k": 2}\n',
      'measure.sh': '#!/bin/sh\nexec python alias.py\n',
      'lib.py': metricsScript('', '{"k": float(json.load(open("input.json"))["k"]) * float(open("value.txt").read())}'),
      'value.txt': '5\n',
    }, 'paper');
    // An executable script, a symbolic link and an uncommitted change: all must come back.
    chmodSync(join(dir, 'measure.sh'), 0o755);
    symlinkSync('lib.py', join(dir, 'alias.py'));
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'script and link');
    writeFileSync(join(dir, 'value.txt'), '7\n');
    const first = await repriseJson(sb, dir, ['run']);
    expect(first.metrics.k.last).toBe(14);
    const bundle = join(sb.root, 'paper.tar.gz');
    const exported = await reprise(sb, dir, ['export', first.id, '-o', bundle]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stderr).not.toContain('warning');
    rmSync(dir, { recursive: true, force: true });

    const reader = await sandbox();
    try {
      const imported = await reprise(reader, reader.root, ['import', bundle]);
      expect(imported.code, imported.stderr).toBe(0);
      const { code, out, stderr } = await reproduceJson(reader, reader.root, first.id);
      expect(code, stderr).toBe(0);
      expect(out.verification.verdict).toBe('exact');
      expect(out.run.metrics.k.last).toBe(14);
      expect(out.run.manifest.code).toMatchObject({ commit: first.manifest.code.commit, archive: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    } finally {
      await reader.cleanup();
    }
  });

  it('fetches the commit from the recorded remote when no local repository has it, and says so when none has', async () => {
    const origin = join(sb.root, 'origin.git');
    const work = gitProject(sb, { 'reprise.yaml': yamlFor([{ name: 'one', cmd: 'python one.py' }]), 'input.json': '{}\n', 'one.py': metricsScript('', '{"one": 1.0}') }, 'cloned');
    git(sb.root, 'clone', '-q', '--bare', work, origin);
    git(work, 'remote', 'add', 'origin', origin);
    const withRemote = await repriseJson(sb, work, ['run']);
    expect(withRemote.manifest.code.remoteUrl).toBe(origin);
    const alone = gitProject(sb, { 'reprise.yaml': yamlFor([{ name: 'one', cmd: 'python one.py' }]), 'input.json': '{}\n', 'one.py': metricsScript('', '{"one": 2.0}') }, 'alone');
    const withoutRemote = await repriseJson(sb, alone, ['run']);
    rmSync(work, { recursive: true, force: true });
    rmSync(alone, { recursive: true, force: true });

    const elsewhere = join(sb.root, 'elsewhere');
    mkdirSync(elsewhere);
    const fetched = await reproduceJson(sb, elsewhere, withRemote.id);
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(fetched.out.verification.verdict).toBe('exact');

    const lost = await reprise(sb, elsewhere, ['reproduce', withoutRemote.id]);
    expect(lost.code).toBe(2);
    expect(lost.stderr).toContain('REPRISE_ERR_CODE_COMMIT_NOT_FOUND');
    expect(lost.stderr).toContain(withoutRemote.manifest.code.commit);
    expect(lost.stderr).toContain('the run recorded no remote');
    // Nothing was recorded for the refused reproduction.
    const runs = await repriseJson<any[]>(sb, elsewhere, ['ls', '-n', '100']);
    expect(runs.filter((r) => r.reproduces === withoutRemote.id)).toEqual([]);
  });
});
