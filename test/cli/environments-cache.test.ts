/**
 * Cached Python environments, end to end with real venvs and real pip: stages run inside
 * the virtualenv built from env.requirements, an unchanged requirements file reuses it
 * without rebuilding, a changed one (committed or not) gets a new one, `--lock` builds
 * from a pip freeze, and `reprise env ls` / `reprise env prune` show and clean the cache.
 *
 * One project and one REPRISE_HOME go through the tests in order: each build takes
 * seconds, and later tests (listing, pruning) need the environments earlier ones built.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, gitProject, readBlob, reprise, repriseJson, sandbox, startReprise, waitFor, type CliResult, type Sandbox } from '../helpers/cli.js';

const BUILD_TIMEOUT = 120_000;

/** Prints where it runs and which packages it can import, then sleeps for `sleep` seconds of params. */
const PROBE = `
import json, os, sys, time
info = {"prefix": sys.prefix, "base_prefix": sys.base_prefix, "virtual_env": os.environ.get("VIRTUAL_ENV"), "executable": sys.executable}
for name in ("six", "tomli"):
    try:
        info[name] = __import__(name).__file__
    except ImportError:
        info[name] = None
print("ENV " + json.dumps(info), flush=True)
time.sleep(json.load(open(os.environ["REPRISE_PARAMS"])).get("sleep", 0))
`;

const REQ_SIX = 'six==1.16.0\n';
const REQ_SIX_TOMLI = 'six==1.16.0\ntomli==2.0.1\n';
const REQ_TOMLI = 'tomli==2.0.1\n';

interface Probe {
  prefix: string;
  base_prefix: string;
  virtual_env: string | null;
  executable: string;
  six: string | null;
  tomli: string | null;
}

interface RunOutcome extends CliResult {
  /** `reprise run --json`: the finished run, as `reprise show --json` gives it. */
  run: any;
  resolved: any;
  probe: Probe;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

function hostPythonVersion(): string {
  const res = spawnSync('python3', ['-c', 'import platform; print(platform.python_version())'], { encoding: 'utf8' });
  return res.stdout.trim();
}

describe('cached environments', () => {
  let sb: Sandbox;
  // The environments are this machine's: under the client's home in both modes.
  let envsDir: string;
  let storeDir: string;
  let dir: string;
  beforeAll(async () => {
    sb = await sandbox();
    envsDir = join(sb.home, 'envs');
    storeDir = join(envsDir, 'store');
    dir = gitProject(sb, {
      'reprise.yaml': 'name: envs\nparams: input.json\nenv:\n  requirements: requirements.txt\nstages:\n  - { name: probe, cmd: python probe.py }\n',
      'input.json': '{"sleep": 0}',
      'requirements.txt': REQ_SIX,
      'probe.py': PROBE,
    });
  });
  afterAll(() => sb.cleanup());

  const blob = (ref: { sha256: string }): string => readBlob(sb, ref.sha256);
  const storeFolders = (): string[] => (existsSync(storeDir) ? readdirSync(storeDir).sort() : []);
  /** The published entries: `envs/<hash>` symbolic links. */
  const entries = (): string[] => (existsSync(envsDir) ? readdirSync(envsDir).filter((n) => /^[0-9a-f]{64}$/.test(n)).sort() : []);
  const envRecord = (path: string): any => JSON.parse(readFileSync(join(path, 'reprise-env.json'), 'utf8'));
  const envLs = (): Promise<any[]> => repriseJson<any[]>(sb, dir, ['env', 'ls']);

  const run = async (args: string[] = []): Promise<RunOutcome> => {
    const res = await reprise(sb, dir, ['run', '--json', ...args]);
    expect(res.code, res.stderr).toBe(0);
    const details = JSON.parse(res.stdout);
    const line = res.stderr.split('\n').find((l) => l.startsWith('[probe] ENV '));
    expect(line, res.stderr).toBeDefined();
    return { ...res, run: details, resolved: details.manifest.environment.resolved, probe: JSON.parse(line!.slice('[probe] ENV '.length)) as Probe };
  };

  // Filled in as the tests go: later tests build on what earlier ones made.
  let first: RunOutcome;
  let six: { hash: string; path: string };
  let sixTomli: { hash: string; path: string };
  let tomliOnly: { hash: string; path: string };
  let locked: { hash: string; path: string };

  it('runs the stages inside a virtualenv built from env.requirements', { timeout: BUILD_TIMEOUT }, async () => {
    first = await run();
    const r = first.resolved;
    expect(first.run.status).toBe('succeeded');
    expect(r).toMatchObject({ kind: 'venv', source: 'requirements', cacheHit: false, rebuiltBecause: null, lockInput: null, pythonVersion: hostPythonVersion() });
    expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(r.buildMs).toBeGreaterThan(0);
    expect(r.prepareMs).toBeGreaterThanOrEqual(r.buildMs);
    // The venv lives in the cache, published as envs/<hash>.
    expect(r.path.startsWith(storeDir + '/')).toBe(true);
    expect(realpathSync(join(envsDir, r.hash))).toBe(realpathSync(r.path));
    // The stage ran inside it: its interpreter, VIRTUAL_ENV, and six imported from its site-packages.
    expect(realpathSync(first.probe.prefix)).toBe(realpathSync(r.path));
    expect(first.probe.prefix).not.toBe(first.probe.base_prefix);
    expect(first.probe.virtual_env).toBe(r.path);
    expect(first.probe.executable.startsWith(join(r.path, 'bin') + '/')).toBe(true);
    expect(first.probe.six).not.toBeNull();
    expect(first.probe.six!.startsWith(join(r.path, 'lib') + '/')).toBe(true);
    expect(first.probe.tomli).toBeNull();
    expect(first.run.manifest.environment.python.path).toBe(join(r.path, 'bin', 'python'));
    expect(first.run.manifest.environment.requirements).toEqual([{ path: 'requirements.txt', sha256: sha256(REQ_SIX) }]);
    // The lock is the environment's pip freeze: exact versions of everything in it.
    const lock = blob(r.lock).split('\n');
    expect(lock).toContain('six==1.16.0');
    expect(r.pipVersion).toMatch(/^\d+\./);
    expect(lock).toContain(`pip==${r.pipVersion}`);
    expect(first.stderr).toMatch(new RegExp(`environment ${r.hash.slice(0, 12)} \\(python [0-9.]+, pip [0-9.]+\\): built in`));
    six = { hash: r.hash, path: r.path };
  });

  it('reuses the environment for unchanged requirements, without rebuilding it', { timeout: BUILD_TIMEOUT }, async () => {
    const createdAt = envRecord(six.path).createdAt;
    expect(createdAt).toBeGreaterThan(0);
    const again = await run();
    expect(again.resolved).toMatchObject({ kind: 'venv', hash: six.hash, path: six.path, cacheHit: true, buildMs: null, rebuiltBecause: null });
    expect(again.resolved.lock).toEqual(first.resolved.lock);
    // Checking the cached entry costs far less than the build did.
    expect(again.resolved.prepareMs).toBeLessThan(first.resolved.buildMs);
    expect(again.probe.virtual_env).toBe(six.path);
    expect(again.stderr).toContain(`environment ${six.hash.slice(0, 12)} (python`);
    expect(again.stderr).toMatch(/\): reused/);
    // Not rebuilt: still one folder, whose record was not rewritten.
    expect(storeFolders()).toHaveLength(1);
    expect(envRecord(six.path).createdAt).toBe(createdAt);
  });

  it('builds a new environment when requirements.txt changes, committed or not, and lists both', { timeout: BUILD_TIMEOUT }, async () => {
    writeFileSync(join(dir, 'requirements.txt'), REQ_SIX_TOMLI);
    git(dir, 'commit', '-q', '-am', 'add tomli');
    const committed = await run();
    expect(committed.run.manifest.code.dirty).toBe(false);
    expect(committed.resolved.cacheHit).toBe(false);
    expect(committed.resolved.hash).not.toBe(six.hash);
    expect(committed.resolved.path).not.toBe(six.path);
    expect(committed.probe.virtual_env).toBe(committed.resolved.path);
    expect(committed.probe.tomli?.startsWith(committed.resolved.path + '/')).toBe(true);
    expect(committed.probe.six?.startsWith(committed.resolved.path + '/')).toBe(true);
    sixTomli = { hash: committed.resolved.hash, path: committed.resolved.path };

    // An uncommitted edit is part of the run's code too: six dropped, so it must be gone from the venv.
    writeFileSync(join(dir, 'requirements.txt'), REQ_TOMLI);
    const dirty = await run();
    expect(dirty.run.manifest.code.dirty).toBe(true);
    expect(dirty.run.manifest.code.changedFiles).toContain('requirements.txt');
    expect(dirty.run.manifest.environment.requirements).toEqual([{ path: 'requirements.txt', sha256: sha256(REQ_TOMLI) }]);
    expect(dirty.resolved.cacheHit).toBe(false);
    expect([six.hash, sixTomli.hash]).not.toContain(dirty.resolved.hash);
    expect(dirty.probe.six).toBeNull();
    expect(dirty.probe.tomli?.startsWith(dirty.resolved.path + '/')).toBe(true);
    expect(blob(dirty.resolved.lock).split('\n')).not.toContain('six==1.16.0');
    tomliOnly = { hash: dirty.resolved.hash, path: dirty.resolved.path };
    git(dir, 'checkout', '--', 'requirements.txt');

    const listed = await envLs();
    const byHash = new Map(listed.map((e) => [e.hash, e]));
    expect([...byHash.keys()].sort()).toEqual([six.hash, sixTomli.hash, tomliOnly.hash].sort());
    expect(byHash.get(six.hash)).toMatchObject({ path: six.path, runs: 2, source: 'requirements.txt', pythonVersion: hostPythonVersion() });
    expect(byHash.get(sixTomli.hash)).toMatchObject({ path: sixTomli.path, runs: 1 });
    expect(byHash.get(tomliOnly.hash)).toMatchObject({ path: tomliOnly.path, runs: 1 });
    for (const e of listed) expect(e.sizeBytes).toBeGreaterThan(1_000_000);
    expect(storeFolders()).toHaveLength(3);
  });

  it('builds from a lock with --lock, records it, and reuses that environment', { timeout: BUILD_TIMEOUT }, async () => {
    // The pip freeze of the first run: rebuilding from it must give the same packages.
    const lockText = blob(first.resolved.lock);
    writeFileSync(join(sb.root, 'six.lock'), lockText);
    // A path relative to where reprise runs; the committed requirements (six and tomli) are ignored.
    const fromLock = await run(['--lock', '../six.lock']);
    const r = fromLock.resolved;
    expect(r).toMatchObject({ kind: 'venv', source: 'lock', cacheHit: false });
    expect(r.lockInput).toEqual({ sha256: sha256(lockText), size: Buffer.byteLength(lockText) });
    expect(blob(r.lockInput)).toBe(lockText);
    expect([six.hash, sixTomli.hash, tomliOnly.hash]).not.toContain(r.hash);
    expect(fromLock.probe.six?.startsWith(r.path + '/')).toBe(true);
    expect(fromLock.probe.tomli).toBeNull();
    expect(blob(r.lock).split('\n').filter(Boolean).sort()).toEqual(lockText.split('\n').filter(Boolean).sort());

    const again = await run(['--lock', join(sb.root, 'six.lock')]);
    expect(again.resolved).toMatchObject({ source: 'lock', hash: r.hash, path: r.path, cacheHit: true, buildMs: null });
    expect(again.resolved.lockInput).toEqual(r.lockInput);
    locked = { hash: r.hash, path: r.path };
    const listed = (await envLs()).find((e) => e.hash === r.hash);
    expect(listed).toMatchObject({ runs: 2, source: 'lock six.lock' });
  });

  it('env ls shows each environment: hash prefix, python version, size, last used, runs', async () => {
    const listed = await envLs();
    expect(listed).toHaveLength(4);
    const res = await reprise(sb, dir, ['env', 'ls']);
    expect(res.code, res.stderr).toBe(0);
    const [header, ...rows] = res.stdout.trim().split('\n');
    expect(header).toMatch(/^HASH\s+PYTHON\s+SIZE\s+LAST USED\s+RUNS\s+FROM$/);
    expect(rows).toHaveLength(listed.length);
    const units: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
    for (const e of listed) {
      const row = rows.find((l) => l.startsWith(e.hash.slice(0, 12) + ' '));
      expect(row, `a row for ${e.hash}`).toBeDefined();
      const m = /^([0-9a-f]{12})\s+(\S+)\s+([\d.]+) (B|KiB|MiB|GiB)\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ)\s+(\d+)\s+(.+)$/.exec(row!);
      expect(m, row).not.toBeNull();
      expect(m![2]).toBe(e.pythonVersion);
      // The size shown is the listed size, rounded.
      expect(Math.abs(Number(m![3]) * units[m![4]!]! - e.sizeBytes) / e.sizeBytes).toBeLessThan(0.06);
      expect(m![5]).toBe(new Date(e.lastUsedAt).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'));
      expect(Date.now() - e.lastUsedAt).toBeLessThan(10 * 60_000);
      expect(Number(m![6])).toBe(e.runs);
      expect(m![7]).toBe(e.source);
    }
  });

  it('env prune rejects a malformed --older-than, naming the option', async () => {
    const res = await reprise(sb, dir, ['env', 'prune', '--older-than', '3x']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--older-than "3x"');
    expect(res.stderr).toContain('REPRISE_ERR_ARG_INVALID');
    expect(await envLs()).toHaveLength(4);
  });

  it('env prune --older-than 30d keeps environments used just now', async () => {
    const res = await repriseJson(sb, dir, ['env', 'prune', '--older-than', '30d']);
    expect(res).toMatchObject({ removed: [], kept: [], dryRun: false });
    expect(await envLs()).toHaveLength(4);
    expect(storeFolders()).toHaveLength(4);
  });

  it('env prune --dry-run lists what it would remove and removes nothing', async () => {
    // A folder an interrupted build left: only a real prune removes it.
    const orphan = join(storeDir, `${'a'.repeat(64)}-deadbeef`);
    mkdirSync(orphan);
    writeFileSync(join(orphan, 'half-built'), 'x');
    const res = await repriseJson(sb, dir, ['env', 'prune', '--dry-run', '--older-than', '0']);
    expect(res.dryRun).toBe(true);
    expect(res.removed.map((e: any) => e.hash).sort()).toEqual([six.hash, sixTomli.hash, tomliOnly.hash, locked.hash].sort());
    expect(res.orphans).toBe(0);
    const text = await reprise(sb, dir, ['env', 'prune', '--dry-run', '--older-than', '0']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`would remove ${six.hash.slice(0, 12)}`);
    expect(text.stdout).toContain('would remove 4 environment(s)');
    expect(await envLs()).toHaveLength(4);
    expect(entries()).toHaveLength(4);
    expect(storeFolders()).toHaveLength(5);
    for (const e of [six, sixTomli, tomliOnly, locked]) expect(existsSync(join(e.path, 'bin', 'python'))).toBe(true);
  });

  it('env prune never removes an environment a running run needs; the run still succeeds', { timeout: BUILD_TIMEOUT }, async () => {
    // requirements.txt is back to six and tomli: the sleeper reuses that environment.
    const child = startReprise(sb, dir, ['run', '--name', 'sleeper', '-p', 'sleep=3', '--json']);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const exited = new Promise<number | null>((r) => child.once('close', r));
    await waitFor('the sleeper stage to start', () => stderr.includes('[probe] ENV ') || undefined, 60_000);
    expect((await repriseJson(sb, dir, ['show', 'sleeper'])).status).toBe('running');

    const res = await repriseJson(sb, dir, ['env', 'prune', '--older-than', '0']);
    expect(res.kept).toHaveLength(1);
    expect(res.kept[0].env.hash).toBe(sixTomli.hash);
    expect(res.kept[0].reason).toBe('a queued or running run needs it');
    expect(res.removed.map((e: any) => e.hash).sort()).toEqual([six.hash, tomliOnly.hash, locked.hash].sort());
    expect(res.orphans).toBe(1);
    // Only the needed environment is left, on disk and in the listing.
    expect(entries()).toEqual([sixTomli.hash]);
    expect(storeFolders().map((f) => join(storeDir, f))).toEqual([sixTomli.path]);
    for (const e of [six, tomliOnly, locked]) expect(existsSync(e.path)).toBe(false);

    expect(await exited, stderr).toBe(0);
    const sleeper = JSON.parse(stdout);
    expect(sleeper.status).toBe('succeeded');
    expect(sleeper.manifest.environment.resolved).toMatchObject({ hash: sixTomli.hash, cacheHit: true });
    expect((await envLs()).map((e) => e.hash)).toEqual([sixTomli.hash]);
  });

  it('env prune --older-than 0 removes every unused environment', async () => {
    const res = await reprise(sb, dir, ['env', 'prune', '--older-than', '0']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`removed ${sixTomli.hash.slice(0, 12)}`);
    expect(res.stdout).toContain('removed 1 environment(s)');
    expect(await envLs()).toEqual([]);
    expect(entries()).toEqual([]);
    expect(storeFolders()).toEqual([]);
    expect(existsSync(sixTomli.path)).toBe(false);
    // No link left dangling, no lock left held.
    expect(readdirSync(envsDir).filter((n) => n !== 'store')).toEqual([]);
    const text = await reprise(sb, dir, ['env', 'ls']);
    expect(text.stdout).toContain('no cached environments yet');
  });
});


describe('what counts as changed requirements', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await sandbox();
  });
  afterAll(() => sb.cleanup());

  it('reuses the environment when requirements.txt changes only in comments, blank lines or spacing', { timeout: BUILD_TIMEOUT }, async () => {
    const dir = gitProject(sb, {
      'reprise.yaml': 'name: tidy\nenv:\n  requirements: requirements.txt\nstages:\n  - { name: a, cmd: python -c "import six" }\n',
      'requirements.txt': REQ_SIX,
    });
    const first = await repriseJson(sb, dir, ['run']);
    writeFileSync(join(dir, 'requirements.txt'), `# pinned for the paper\n\n${REQ_SIX.trim()}    # keep\n`);
    const second = await repriseJson(sb, dir, ['run']);
    const [a, b] = [first.manifest.environment.resolved, second.manifest.environment.resolved];
    expect(b).toMatchObject({ hash: a.hash, path: a.path, cacheHit: true });
    // The file itself is still recorded as it was, byte for byte.
    expect(second.manifest.environment.requirements[0].sha256).not.toBe(first.manifest.environment.requirements[0].sha256);
  });
});
