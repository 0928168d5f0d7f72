/**
 * A cache of virtualenvs under `<root>` (REPRISE_HOME/envs), one per environment key.
 *
 * Layout: `store/<hash prefix>-<random>/` holds a venv, built where it stays (venvs hold
 * absolute paths, so they cannot be moved); `<hash>` is a symbolic link to it, published
 * by an atomic rename only once pip succeeded and the venv's record
 * (`reprise-env.json`: pip freeze, files and sizes) is written. So a failed or
 * interrupted build never becomes a cache entry. `<hash>.lock` (proper-lockfile) makes
 * concurrent requests for one new environment build it once: the others wait, then reuse.
 * A reused entry is checked against its record first; a damaged one is rebuilt.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import lockfile from 'proper-lockfile';
import { RepriseError } from '../../../core/errors.js';
import type { EnvironmentInfo, EnvironmentProvider, EnvironmentRequest, PreparedEnvironment } from '../../../ports/environment-provider.js';
import type { PythonInterpreter } from '../../../ports/host-probe.js';
import { fileStamp } from '../../../platform/file-stamp.js';
import { replaceFile } from '../../../platform/replace-file.js';
import { runCommand, streamCommand } from '../../../platform/run-command.js';
import { walkFiles } from '../../../platform/walk-files.js';

const RECORD = 'reprise-env.json';
const LAST_USED = '.reprise-last-used';
const HASH = /^[0-9a-f]{64}$/;
/** How many of pip's last output lines a failure quotes. */
const PIP_TAIL_LINES = 30;
/** A lock whose holder stopped refreshing it this long ago is taken over (the holder died). */
const LOCK_STALE_MS = 30_000;

/** Prints the interpreter's installed distributions as a freeze, and the folders they live in. */
const SYSTEM_FREEZE = [
  'import importlib.metadata as m, json, site, sys',
  "pins = sorted({(d.metadata['Name'], d.version) for d in m.distributions() if d.metadata['Name']}, key=lambda p: p[0].lower())",
  // The user site folder counts even before it exists: `pip install --user` creates it.
  "dirs = list(dict.fromkeys([p for p in sys.path if p] + [site.getusersitepackages()]))",
  "print(json.dumps({'freeze': ''.join(f'{n}=={v}\\n' for n, v in pins), 'dirs': dirs}))",
].join('\n');

/** Variables that change which folders an interpreter imports from. */
const PATH_VARS = ['PYTHONPATH', 'PYTHONHOME', 'PYTHONUSERBASE', 'PYTHONNOUSERSITE', 'PYTHONSAFEPATH'];

/** A system interpreter's freeze, valid while the interpreter and its package folders are unchanged. */
interface SystemFreeze {
  readonly python: string;
  /** The variables that change what the interpreter sees (PATH_VARS), as they were. */
  readonly vars: string;
  readonly stamp: string;
  /** Each folder on sys.path (and the user site) with its mtime, -1 if absent: installing or removing a package changes it. */
  readonly dirs: readonly (readonly [string, number])[];
  readonly freeze: string;
}

interface EnvRecord {
  readonly hash: string;
  readonly python: PythonInterpreter;
  readonly basePython: string;
  readonly pipVersion: string | null;
  readonly freeze: string;
  readonly source: string;
  readonly createdAt: number;
  readonly sizeBytes: number;
  /** Every file but bytecode caches, with its size: what a reuse checks. */
  readonly files: readonly (readonly [string, number])[];
}

type Check = { state: 'absent' } | { state: 'ok'; dir: string; record: EnvRecord } | { state: 'damaged'; dir: string | null; reason: string };

export class VenvEnvironmentProvider implements EnvironmentProvider {
  readonly #root: string;

  constructor(options: { root: string }) {
    this.#root = options.root;
  }

  async prepare(req: EnvironmentRequest): Promise<PreparedEnvironment> {
    if (req.kind === 'system') return this.#system(req.python);
    const hash = req.hash;
    if (!hash || !HASH.test(hash)) throw new RepriseError('REPRISE_ERR_INTERNAL', `environment key ${JSON.stringify(hash)} is not a sha256. This is a bug in Reprise.`);

    const first = await this.#check(hash);
    if (first.state === 'ok') return this.#reuse(first.dir, first.record);

    const release = await this.#lock(hash, () => req.onNotice?.(`waiting: another run is building environment ${hash.slice(0, 12)}`));
    try {
      const again = await this.#check(hash);
      if (again.state === 'ok') return this.#reuse(again.dir, again.record);
      let rebuiltBecause: string | null = null;
      if (again.state === 'damaged') {
        rebuiltBecause = again.reason;
        req.onNotice?.(`environment ${hash.slice(0, 12)} is damaged (${again.reason}); rebuilding it`);
        await rm(join(this.#root, hash), { force: true });
        if (again.dir) await rm(again.dir, { recursive: true, force: true });
      }
      return await this.#build(req, hash, rebuiltBecause);
    } finally {
      await release();
    }
  }

  /** The interpreter as it is. Asking it for its packages costs ~150 ms, so the answer is kept. */
  async #system(python: PythonInterpreter): Promise<PreparedEnvironment> {
    const freeze = await this.#systemFreeze(python);
    return {
      kind: 'system',
      hash: null,
      path: null,
      python,
      pipVersion: pipVersionIn(freeze),
      freeze,
      cacheHit: true,
      rebuiltBecause: null,
      buildMs: null,
    };
  }

  async #systemFreeze(python: PythonInterpreter): Promise<string> {
    const cacheFile = join(this.#root, 'system-freezes.json');
    const cached = (JSON.parse(await readFile(cacheFile, 'utf8').catch(() => '[]')) as SystemFreeze[]).filter((e) => e && e.python);
    const stamp = fileStamp(python.path) ?? '';
    const vars = PATH_VARS.map((v) => `${v}=${process.env[v] ?? ''}`).join('\0');
    const hit = cached.find((e) => e.python === python.path && e.vars === vars && e.stamp === stamp && e.dirs.every(([d, m]) => mtimeOf(d) === m));
    if (hit) return hit.freeze;
    const res = await runCommand(python.path, ['-c', SYSTEM_FREEZE]);
    if (res.code !== 0) return '';
    const { freeze, dirs } = JSON.parse(res.stdout.toString('utf8')) as { freeze: string; dirs: string[] };
    const entry: SystemFreeze = { python: python.path, vars, stamp, dirs: dirs.map((d) => [d, mtimeOf(d)] as const), freeze };
    const next = [entry, ...cached.filter((e) => !(e.python === python.path && e.vars === vars))].slice(0, 16);
    await mkdir(this.#root, { recursive: true });
    await replaceFile(cacheFile, JSON.stringify(next));
    return freeze;
  }

  async #reuse(dir: string, record: EnvRecord): Promise<PreparedEnvironment> {
    await writeFile(join(dir, LAST_USED), String(Date.now())).catch(() => undefined);
    return {
      kind: 'venv',
      hash: record.hash,
      path: dir,
      python: record.python,
      pipVersion: record.pipVersion,
      freeze: record.freeze,
      cacheHit: true,
      rebuiltBecause: null,
      buildMs: null,
    };
  }

  async #build(req: EnvironmentRequest, hash: string, rebuiltBecause: string | null): Promise<PreparedEnvironment> {
    const started = Date.now();
    const dir = join(this.#root, 'store', `${hash}-${randomBytes(4).toString('hex')}`);
    await mkdir(join(this.#root, 'store'), { recursive: true });
    try {
      const venv = await runCommand(req.python.path, ['-m', 'venv', dir]);
      if (venv.code !== 0) {
        throw new RepriseError('REPRISE_ERR_ENV_BUILD_FAILED', `creating a virtualenv with ${req.python.path} failed: ${venv.stderr.trim() || venv.stdout.toString('utf8').trim()}`, {
          hint: 'on Debian and Ubuntu, install the python3-venv package',
        });
      }
      const python = join(dir, 'bin', 'python');
      const tail: string[] = [];
      const pip = await streamCommand(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', ...req.installArgs], {
        env: { ...process.env, PIP_NO_INPUT: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1' },
        onLine: (line) => {
          tail.push(line);
          if (tail.length > PIP_TAIL_LINES) tail.shift();
          req.onProgress?.(line);
        },
      });
      if (pip.code !== 0) {
        throw new RepriseError('REPRISE_ERR_ENV_BUILD_FAILED', `pip could not install the requirements (exit ${pip.code}):\n${tail.join('\n')}`, {
          details: { pipOutput: tail },
        });
      }
      const frozen = await runCommand(python, ['-m', 'pip', 'freeze', '--all', '--disable-pip-version-check']);
      if (frozen.code !== 0) throw new RepriseError('REPRISE_ERR_ENV_BUILD_FAILED', `pip freeze failed: ${frozen.stderr.trim()}`);
      const freeze = frozen.stdout.toString('utf8');
      const files: [string, number][] = [];
      let sizeBytes = 0;
      for await (const e of walkFiles(dir, ['__pycache__'])) {
        sizeBytes += e.stats.size;
        files.push([e.rel, e.stats.isSymbolicLink() ? -1 : e.stats.size]);
      }
      const record: EnvRecord = {
        hash,
        python: { path: python, version: req.python.version },
        basePython: req.python.path,
        pipVersion: pipVersionIn(freeze),
        freeze,
        source: req.source,
        createdAt: Date.now(),
        sizeBytes,
        files,
      };
      await writeFile(join(dir, `${RECORD}.tmp`), JSON.stringify(record));
      await rename(join(dir, `${RECORD}.tmp`), join(dir, RECORD));
      await writeFile(join(dir, LAST_USED), String(Date.now()));
      // Publishing is one rename: the entry appears whole or not at all.
      const link = join(this.#root, `${hash}.link-${process.pid}`);
      await rm(link, { force: true });
      await symlink(dir, link);
      await rename(link, join(this.#root, hash));
      return {
        kind: 'venv',
        hash,
        path: dir,
        python: record.python,
        pipVersion: record.pipVersion,
        freeze,
        cacheHit: false,
        rebuiltBecause,
        buildMs: Date.now() - started,
      };
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
  }

  async #check(hash: string): Promise<Check> {
    let dir: string;
    try {
      dir = await readlink(join(this.#root, hash));
    } catch {
      return { state: 'absent' };
    }
    let record: EnvRecord;
    try {
      record = JSON.parse(await readFile(join(dir, RECORD), 'utf8')) as EnvRecord;
    } catch {
      return { state: 'damaged', dir, reason: `its record ${RECORD} is missing or unreadable` };
    }
    // Synchronous stats: thousands of them finish faster than as many promises.
    const missing: string[] = [];
    for (const [rel, size] of record.files) {
      const path = join(dir, rel);
      if (size < 0) {
        if (!existsSync(path)) missing.push(rel);
        continue;
      }
      try {
        if (statSync(path).size !== size) missing.push(rel);
      } catch {
        missing.push(rel);
      }
    }
    if (missing.length > 0) {
      return { state: 'damaged', dir, reason: `${missing.length} file(s) missing or changed, e.g. ${missing.slice(0, 3).join(', ')}` };
    }
    return { state: 'ok', dir, record };
  }

  /** Waits for the environment's lock; `onWait` is called once if it has to wait. */
  async #lock(hash: string, onWait: () => void): Promise<() => Promise<void>> {
    await mkdir(this.#root, { recursive: true });
    let told = false;
    for (;;) {
      try {
        return await lockfile.lock(join(this.#root, hash), this.#lockOptions(hash));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
        if (!told) onWait();
        told = true;
        await sleep(250);
      }
    }
  }

  /** One lock file per environment key; never waited on here, the callers decide. */
  #lockOptions(hash: string): { lockfilePath: string; realpath: false; stale: number; retries: 0 } {
    return { lockfilePath: join(this.#root, `${hash}.lock`), realpath: false, stale: LOCK_STALE_MS, retries: 0 };
  }

  async list(): Promise<EnvironmentInfo[]> {
    const out: EnvironmentInfo[] = [];
    for (const name of await readdir(this.#root).catch(() => [] as string[])) {
      if (!HASH.test(name)) continue;
      const check = await this.#check(name);
      if (check.state === 'absent') continue;
      const dir = check.dir ?? join(this.#root, name);
      const record = check.state === 'ok' ? check.record : undefined;
      const lastUsed = Number(await readFile(join(dir, LAST_USED), 'utf8').catch(() => '0'));
      out.push({
        hash: name,
        path: dir,
        pythonVersion: record?.python.version ?? '?',
        sizeBytes: record?.sizeBytes ?? 0,
        createdAt: record?.createdAt ?? 0,
        lastUsedAt: Number.isFinite(lastUsed) ? lastUsed : 0,
        source: check.state === 'ok' ? (record?.source ?? '') : `damaged: ${check.reason}`,
      });
    }
    return out.sort((a, b) => b.lastUsedAt - a.lastUsedAt);
  }

  async remove(hash: string, stillNeeded: () => Promise<boolean>): Promise<boolean> {
    if (!HASH.test(hash)) return false;
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(join(this.#root, hash), this.#lockOptions(hash));
    } catch {
      return false;
    }
    try {
      if (await stillNeeded()) return false;
      const dir = await readlink(join(this.#root, hash)).catch(() => null);
      await rm(join(this.#root, hash), { force: true });
      if (dir) await rm(dir, { recursive: true, force: true });
      return true;
    } finally {
      await release();
    }
  }

  async removeOrphans(): Promise<number> {
    const storeDir = join(this.#root, 'store');
    const linked = new Set<string>();
    for (const name of await readdir(this.#root).catch(() => [] as string[])) {
      if (HASH.test(name)) linked.add(await readlink(join(this.#root, name)).catch(() => ''));
    }
    let removed = 0;
    for (const name of await readdir(storeDir).catch(() => [] as string[])) {
      const dir = join(storeDir, name);
      if (linked.has(dir)) continue;
      // A build in progress holds its environment's lock; what it writes is not an orphan.
      const hash = name.slice(0, 64);
      const building = await lockfile
        .check(join(this.#root, hash), this.#lockOptions(hash))
        .catch(() => false);
      if (building) continue;
      await rm(dir, { recursive: true, force: true });
      removed++;
    }
    return removed;
  }
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

function pipVersionIn(freeze: string): string | null {
  const m = /^pip==(\S+)$/m.exec(freeze);
  return m?.[1] ?? null;
}
