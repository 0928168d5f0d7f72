/**
 * Building cached Python environments, end to end with real venvs and real pip: offline
 * from a wheelhouse committed in the project, a failed build that leaves nothing behind,
 * a damaged cache entry rebuilt, two runs needing one new environment building it once,
 * the system interpreter used as it is, and the errors that stop a run before it exists.
 *
 * Builds here never reach the package index: the wheels are made by the tests.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, gitProject, readBlob, reprise, repriseJson, sandbox, writeFiles, type Sandbox } from '../helpers/cli.js';
import { makeWheel } from '../helpers/wheels.js';

const BUILD_TIMEOUT = 120_000;

/** An index that cannot answer: a build that asks it anything fails or stalls. */
const NO_INDEX_ENV = { PIP_INDEX_URL: 'http://127.0.0.1:9/simple', PIP_RETRIES: '0', PIP_TIMEOUT: '2' };

/** Imports the wheel's package and prints where it came from. */
const PROBE = `
import json, os, sys
import reprisewheel
print("ENV " + json.dumps({"prefix": sys.prefix, "virtual_env": os.environ.get("VIRTUAL_ENV"), "version": reprisewheel.VERSION, "file": reprisewheel.__file__}), flush=True)
`;

const OFFLINE_YAML = 'name: offline\nenv:\n  requirements: requirements.txt\n  no_index: true\n  find_links: wheels\nstages:\n  - { name: probe, cmd: python probe.py }\n  - { name: after, cmd: echo after }\n';

function blobText(sb: Sandbox, ref: { sha256: string }): string {
  return readBlob(sb, ref.sha256);
}

function probeOf(stderr: string): any {
  const line = stderr.split('\n').find((l) => l.startsWith('[probe] ENV '));
  if (!line) throw new Error(`the probe stage printed nothing:\n${stderr}`);
  return JSON.parse(line.slice('[probe] ENV '.length));
}

function storeFolders(sb: Sandbox): string[] {
  const store = join(sb.home, 'envs', 'store');
  return existsSync(store) ? readdirSync(store).sort() : [];
}

function hostPythonVersion(): string {
  return spawnSync('python3', ['-c', 'import platform; print(platform.python_version())'], { encoding: 'utf8' }).stdout.trim();
}

/** How many runs the store holds (none before its database exists). */
async function runCount(sb: Sandbox, dir: string): Promise<number> {
  if (!existsSync(join(sb.storeHome, 'reprise.db'))) return 0;
  return (await repriseJson<any[]>(sb, dir, ['ls'])).length;
}

describe('building environments offline, failing, and repairing them', () => {
  let sb: Sandbox;
  let dir: string;
  beforeAll(async () => {
    sb = await sandbox();
    // At first the wheelhouse is empty and the requirement does not exist anywhere.
    dir = gitProject(sb, {
      'reprise.yaml': OFFLINE_YAML,
      'requirements.txt': 'reprise-no-such-package-zzz==1.0\n',
      'wheels/.keep': '',
      'probe.py': PROBE,
    });
  });
  afterAll(() => sb.cleanup());

  const run = async (args: string[] = []): Promise<{ code: number | null; stderr: string; run: any }> => {
    const res = await reprise(sb, dir, ['run', '--json', ...args], NO_INDEX_ENV);
    return { code: res.code, stderr: res.stderr, run: JSON.parse(res.stdout) };
  };

  /** Commits a wheel into the project's wheelhouse and a requirements file asking for it. */
  const requireWheel = (): void => {
    makeWheel(join(dir, 'wheels'), 'reprisewheel', '0.1.0');
    writeFileSync(join(dir, 'requirements.txt'), 'reprisewheel==0.1.0\n');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'a real requirement');
  };

  it('fails a run whose requirement does not exist while preparing, leaving no environment; a fixed file then works', { timeout: BUILD_TIMEOUT }, async () => {
    const failed = await run();
    expect(failed.code).toBe(1);
    const shown = await repriseJson(sb, dir, ['show', failed.run.id]);
    expect(shown.status).toBe('failed');
    expect(shown.failure.stage).toBeNull();
    expect(shown.failure.message.startsWith('building the environment failed')).toBe(true);
    const pipSays = `${shown.failure.message}\n${shown.failure.stderrTail.join('\n')}`;
    expect(pipSays).toMatch(/No matching distribution found for reprise-no-such-package-zzz/);
    expect(shown.failure.stderrTail.join('\n')).toContain('reprise-no-such-package-zzz');
    // Nothing ran, and no environment was recorded, listed or kept on disk.
    expect(shown.manifest.execution.stages.map((s: any) => s.status)).toEqual(['skipped', 'skipped']);
    expect(shown.manifest.environment.resolved).toBeNull();
    expect(failed.stderr).not.toContain('[probe]');
    expect(await repriseJson(sb, dir, ['env', 'ls'])).toEqual([]);
    expect(storeFolders(sb)).toEqual([]);
    expect(readdirSync(join(sb.home, 'envs')).filter((n) => n !== 'store')).toEqual([]);

    requireWheel();
    const fixed = await run();
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.run.status).toBe('succeeded');
    expect(fixed.run.manifest.environment.resolved.cacheHit).toBe(false);
    expect(storeFolders(sb)).toHaveLength(1);
  });

  it('builds offline from a wheelhouse committed in the project', { timeout: BUILD_TIMEOUT }, async () => {
    if (!existsSync(join(dir, 'wheels', 'reprisewheel-0.1.0-py3-none-any.whl'))) requireWheel();
    const res = await run();
    expect(res.code, res.stderr).toBe(0);
    const r = res.run.manifest.environment.resolved;
    expect(r).toMatchObject({ kind: 'venv', source: 'requirements', pip: { noIndex: true, findLinks: ['wheels'], indexUrl: null, extraIndexUrls: [] } });
    const probe = probeOf(res.stderr);
    expect(probe.version).toBe('0.1.0');
    expect(probe.virtual_env).toBe(r.path);
    expect(probe.file.startsWith(join(r.path, 'lib') + '/')).toBe(true);
    // The wheel's own name and version are in the recorded pip freeze.
    expect(blobText(sb, r.lock).split('\n')).toContain('reprisewheel==0.1.0');
  });

  it('rebuilds a damaged cache entry and says why', { timeout: BUILD_TIMEOUT }, async () => {
    const healthy = await run();
    expect(healthy.code, healthy.stderr).toBe(0);
    const { hash, path } = healthy.run.manifest.environment.resolved;
    const h12 = hash.slice(0, 12);
    const [pyDir] = readdirSync(join(path, 'lib'));
    const init = join(path, 'lib', pyDir!, 'site-packages', 'reprisewheel', '__init__.py');
    expect(existsSync(init)).toBe(true);
    unlinkSync(init);

    const repaired = await run();
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(repaired.stderr).toContain(`environment ${h12} is damaged (`);
    expect(repaired.stderr).toContain('rebuilding it');
    const r = repaired.run.manifest.environment.resolved;
    expect(r).toMatchObject({ hash, cacheHit: false });
    expect(r.rebuiltBecause).toContain(`lib/${pyDir}/site-packages/reprisewheel/__init__.py`);
    expect(r.buildMs).toBeGreaterThan(0);
    expect(probeOf(repaired.stderr).version).toBe('0.1.0');
    // The damaged folder is gone; one folder holds the environment.
    expect(storeFolders(sb).filter((f) => f.startsWith(hash))).toEqual([r.path.split('/').at(-1)]);
    if (r.path !== path) expect(existsSync(path)).toBe(false);

    // A missing interpreter (a symbolic link in the venv) is damage too.
    unlinkSync(join(r.path, 'bin', 'python'));
    const again = await run();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`environment ${h12} is damaged (`);
    expect(again.run.manifest.environment.resolved).toMatchObject({ hash, cacheHit: false });
    expect(again.run.manifest.environment.resolved.rebuiltBecause).toContain('bin/python');

    // The rebuilt entry is whole: the next run reuses it.
    const reused = await run();
    expect(reused.run.manifest.environment.resolved).toMatchObject({ hash, cacheHit: true, rebuiltBecause: null, path: again.run.manifest.environment.resolved.path });
  });

  it('two runs started together that need the same new environment build it once', { timeout: BUILD_TIMEOUT }, async () => {
    const conc = gitProject(sb, { 'reprise.yaml': OFFLINE_YAML, 'requirements.txt': 'reprisewheel==0.2.0\n', 'probe.py': PROBE }, 'conc');
    makeWheel(join(conc, 'wheels'), 'reprisewheel', '0.2.0');
    git(conc, 'add', '-A');
    git(conc, 'commit', '-q', '-m', 'wheelhouse');
    const before = storeFolders(sb);

    const results = await Promise.all([1, 2].map((i) => reprise(sb, conc, ['run', '--json', '--name', `together-${i}`], NO_INDEX_ENV)));
    for (const res of results) expect(res.code, res.stderr).toBe(0);
    const runs = results.map((res) => JSON.parse(res.stdout));
    const resolved = runs.map((r) => r.manifest.environment.resolved);
    expect(resolved[0].hash).toBe(resolved[1].hash);
    expect(resolved[0].path).toBe(resolved[1].path);
    expect(resolved.map((r) => r.cacheHit).sort()).toEqual([false, true]);
    for (const res of results) expect(probeOf(res.stderr).version).toBe('0.2.0');
    const hash: string = resolved[0].hash;
    const added = storeFolders(sb).filter((f) => !before.includes(f));
    expect(added).toEqual([resolved[0].path.split('/').at(-1)]);
    // The run that did not build waited for the one that did.
    const waiter = results[resolved.findIndex((r) => r.cacheHit)]!;
    const builder = results[resolved.findIndex((r) => !r.cacheHit)]!;
    expect(waiter.stderr).toContain(`waiting: another run is building environment ${hash.slice(0, 12)}`);
    expect(builder.stderr).not.toContain('waiting: another run');
    expect(existsSync(join(sb.home, 'envs', `${hash}.lock`))).toBe(false);
    const listed = (await repriseJson<any[]>(sb, conc, ['env', 'ls'])).find((e) => e.hash === hash);
    expect(listed?.runs).toBe(2);
  });
});

describe('the system interpreter, env.system: true', () => {
  const SYS_YAML = 'name: sys\nenv:\n  system: true\n  requirements: requirements.txt\nstages:\n  - { name: probe, cmd: "python -c \\"import json, os, sys; print(\'SYS \' + json.dumps([sys.prefix, sys.base_prefix, os.environ.get(\'VIRTUAL_ENV\')]))\\"" }\n';
  let sb: Sandbox;
  let userEnv: { PYTHONUSERBASE: string };
  let dir: string;
  beforeAll(async () => {
    sb = await sandbox();
    // The interpreter's user site lives in the sandbox: installing into it touches nothing else.
    userEnv = { PYTHONUSERBASE: join(sb.root, 'userbase') };
    dir = gitProject(sb, { 'reprise.yaml': SYS_YAML, 'requirements.txt': 'reprise-no-such-package-zzz==1.0\n' }, 'sys');
  });
  afterAll(() => sb.cleanup());

  it('runs the stages with the interpreter as it is and still records its packages', async () => {
    const res = await reprise(sb, dir, ['run', '--json'], userEnv);
    expect(res.code, res.stderr).toBe(0);
    const run = JSON.parse(res.stdout);
    const r = run.manifest.environment.resolved;
    expect(r).toMatchObject({ kind: 'system', source: 'system', hash: null, path: null, lockInput: null, buildMs: null, pythonVersion: hostPythonVersion() });
    // Nothing installed: the requirements (which could not be installed) are only recorded.
    expect(run.manifest.environment.requirements).toEqual([{ path: 'requirements.txt', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    const line = res.stderr.split('\n').find((l) => l.startsWith('[probe] SYS '));
    expect(line, res.stderr).toBeDefined();
    const [prefix, basePrefix, virtualEnv] = JSON.parse(line!.slice('[probe] SYS '.length));
    expect(prefix).toBe(basePrefix);
    expect(virtualEnv).toBeNull();
    // The packages the interpreter has are still recorded, one pin a line.
    const pins = blobText(sb, r.lock).split('\n').filter(Boolean);
    expect(pins.length).toBeGreaterThan(0);
    for (const pin of pins) expect(pin).toMatch(/^\S+==\S+$/);
    if (r.pipVersion !== null) expect(pins).toContain(`pip==${r.pipVersion}`);
    expect(pins.some((p) => p.startsWith('reprisewheel=='))).toBe(false);
    expect(res.stderr).toContain('used as it is');
    // No virtualenv was built or published.
    expect(existsSync(join(sb.home, 'envs', 'store'))).toBe(false);
    expect(existsSync(join(sb.home, 'envs')) ? readdirSync(join(sb.home, 'envs')).filter((n) => /^[0-9a-f]{64}/.test(n)) : []).toEqual([]);
    expect(await repriseJson(sb, dir, ['env', 'ls'])).toEqual([]);
  });

  /** Installs the test wheel of `version` with the interpreter's own pip, offline. */
  const pipInstall = (version: string, ...where: string[]): void => {
    const wheels = join(sb.root, 'user-wheels');
    makeWheel(wheels, 'reprisewheel', version);
    const pip = spawnSync('python3', ['-m', 'pip', 'install', '--no-index', '--find-links', wheels, ...where, `reprisewheel==${version}`], {
      // Only the sandbox's user site or target folder is written, even where the interpreter is externally managed.
      env: { ...process.env, ...userEnv, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_BREAK_SYSTEM_PACKAGES: '1' },
      encoding: 'utf8',
    });
    expect(pip.status, pip.stderr).toBe(0);
  };

  it('records a package installed with pip install --user after a run in the next run\'s lock', { timeout: BUILD_TIMEOUT }, async () => {
    // The user site did not exist when the first run looked at the interpreter.
    pipInstall('0.1.0', '--user');
    writeFiles(dir, { 'reprise.yaml': SYS_YAML.replace('print(', 'import reprisewheel; print(reprisewheel.__file__); print(') });
    git(dir, 'commit', '-q', '-am', 'use the user-installed package');
    const res = await reprise(sb, dir, ['run', '--json'], userEnv);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain(`[probe] ${join(sb.root, 'userbase')}`);
    const r = JSON.parse(res.stdout).manifest.environment.resolved;
    expect(blobText(sb, r.lock).split('\n')).toContain('reprisewheel==0.1.0');
  });

  let withPythonPath: { stderr: string; run: any } | undefined;

  it('a run with PYTHONPATH naming a folder of packages imports from it', { timeout: BUILD_TIMEOUT }, async () => {
    const libs = join(sb.root, 'pylibs');
    pipInstall('0.3.0', '--target', libs);
    const res = await reprise(sb, dir, ['run', '--json'], { ...userEnv, PYTHONPATH: libs });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain(`[probe] ${join(libs, 'reprisewheel')}`);
    withPythonPath = { stderr: res.stderr, run: JSON.parse(res.stdout) };
  });

  // Variables that change sys.path are part of what the cached freeze is keyed on.
  it('records the packages a PYTHONPATH folder adds in that run\'s lock', () => {
    const r = withPythonPath!.run.manifest.environment.resolved;
    expect(blobText(sb, r.lock).split('\n')).toContain('reprisewheel==0.3.0');
  });

  it('rejects pip options together with system: true, naming the key', async () => {
    const before = await runCount(sb, dir);
    const bad = gitProject(sb, { 'reprise.yaml': 'name: sys\nenv:\n  system: true\n  no_index: true\nstages:\n  - { name: a, cmd: "true" }\n' }, 'sys-pip');
    const res = await reprise(sb, bad, ['run']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('reprise.yaml:4: env.no_index');
    expect(res.stderr).toContain('system: true');
    expect(res.stderr).toContain('REPRISE_ERR_CONFIG_INVALID');
    expect(await runCount(sb, dir)).toBe(before);
  });

  it('rejects --lock with system: true', async () => {
    const before = await runCount(sb, dir);
    writeFileSync(join(sb.root, 'x.lock'), 'six==1.16.0\n');
    const res = await reprise(sb, dir, ['run', '--lock', join(sb.root, 'x.lock')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--lock builds an environment, but reprise.yaml says env.system: true');
    expect(await runCount(sb, dir)).toBe(before);
  });
});

describe('environment errors that stop a run before it exists', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await sandbox();
  });
  afterAll(() => sb.cleanup());

  it('names the versions found when env.python is not installed', async () => {
    const dir = gitProject(sb, { 'reprise.yaml': 'name: old\nenv:\n  python: "2.7"\n  requirements: requirements.txt\nstages:\n  - { name: a, cmd: "true" }\n', 'requirements.txt': 'six==1.16.0\n' }, 'old');
    const res = await reprise(sb, dir, ['run']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('Python 2.7');
    expect(res.stderr).toMatch(new RegExp(`found: .*${hostPythonVersion().replace(/\./g, '\\.')}`));
    expect(res.stderr).toContain('REPRISE_ERR_INTERPRETER_NOT_FOUND');
    expect(await runCount(sb, dir)).toBe(0);
    expect(existsSync(join(sb.home, 'envs'))).toBe(false);
  });

  it('names a missing requirements file, also one included with -r', async () => {
    const dir = gitProject(sb, {
      'reprise.yaml': 'name: req\nenv:\n  requirements: [requirements.txt, extra/dev.txt]\nstages:\n  - { name: a, cmd: "true" }\n',
      'requirements.txt': 'six==1.16.0\n',
    }, 'req');
    const res = await reprise(sb, dir, ['run']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(join(dir, 'extra/dev.txt'));
    expect(res.stderr).toContain('REPRISE_ERR_CONFIG_INVALID');

    writeFiles(dir, { 'extra/dev.txt': '-r base.txt\n' });
    const nested = await reprise(sb, dir, ['run']);
    expect(nested.code).toBe(2);
    expect(nested.stderr).toContain(join(dir, 'extra/base.txt'));
    expect(nested.stderr).toContain('included by extra/dev.txt');
    expect(await runCount(sb, dir)).toBe(0);
  });

  it('names a --lock file that does not exist', async () => {
    const dir = gitProject(sb, { 'reprise.yaml': 'name: lock\nenv:\n  requirements: requirements.txt\nstages:\n  - { name: a, cmd: "true" }\n', 'requirements.txt': 'six==1.16.0\n' }, 'lock');
    const res = await reprise(sb, dir, ['run', '--lock', 'missing.lock']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`--lock ${join(dir, 'missing.lock')}: no such file`);
    expect(await runCount(sb, dir)).toBe(0);
  });
});
