/**
 * The machine this process runs on, from Node's `os` module, `nvidia-smi` when present,
 * and the Python interpreters on PATH.
 *
 * Asking an interpreter its version means starting it, and through a version manager's
 * shim (pyenv) that costs ~150 ms on every run. So answers are cached in a file, keyed
 * on everything that decides which interpreter a name resolves to (the executable found
 * on PATH, the version-manager variables, the nearest .python-version), and trusted only
 * while the real interpreter file is unchanged.
 */
import { mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { RepriseError } from '../../core/errors.js';
import type { HostFacts, HostProbe, PythonInterpreter } from '../../ports/host-probe.js';
import { fileStamp } from '../../platform/file-stamp.js';
import { findOnPath } from '../../platform/find-on-path.js';
import { replaceFile } from '../../platform/replace-file.js';
import { runCommand } from '../../platform/run-command.js';

// sys.executable as the interpreter reports it: a venv's python must stay a venv path.
const PYTHON_INFO = 'import sys, platform; print(sys.executable); print(platform.python_version())';

/** Environment variables that change which interpreter `python3` is. */
const SELECTOR_VARS = ['PYENV_VERSION', 'PYENV_ROOT', 'VIRTUAL_ENV', 'CONDA_PREFIX'];

interface CacheEntry {
  readonly key: string;
  readonly path: string;
  readonly version: string;
  /** `${mtimeMs}:${size}` of `path` when it was asked. */
  readonly stamp: string;
}

export class LocalHostProbe implements HostProbe {
  readonly #path: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #cacheFile: string | undefined;

  constructor(options: { env?: NodeJS.ProcessEnv; cacheFile?: string } = {}) {
    this.#env = options.env ?? process.env;
    this.#path = this.#env.PATH ?? '';
    this.#cacheFile = options.cacheFile;
  }

  async facts(): Promise<HostFacts> {
    const cpus = os.cpus();
    return {
      os: { platform: os.platform(), type: os.type(), release: os.release() },
      arch: os.arch(),
      cpu: { model: cpus[0]?.model.trim() ?? 'unknown', cores: cpus.length },
      memoryBytes: os.totalmem(),
      gpus: await this.#gpus(),
      hostname: os.hostname(),
      user: safeUser(),
      nodeVersion: process.version,
    };
  }

  async #gpus(): Promise<HostFacts['gpus']> {
    const smi = await this.#which('nvidia-smi');
    if (!smi) return [];
    const res = await runCommand(smi, ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader,nounits'], { timeoutMs: 10_000 }).catch(() => undefined);
    if (!res || res.code !== 0) return [];
    return res.stdout
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((line) => {
        const [name, mem, driver] = line.split(',').map((s) => s.trim());
        const memoryMiB = Number(mem);
        return { name: name ?? 'unknown', memoryMiB: Number.isFinite(memoryMiB) ? memoryMiB : null, driver: driver ?? null };
      });
  }

  async findPython(opts: { version?: string; projectDir: string }): Promise<PythonInterpreter | null> {
    const { version, projectDir } = opts;
    if (version === undefined) {
      for (const name of ['python3', 'python']) {
        const found = await this.#which(name);
        if (found) return this.#inspect(found, projectDir);
      }
      return null;
    }
    const candidates = [`python${version}`, 'python3', 'python'];
    const seen: string[] = [];
    for (const name of candidates) {
      const found = await this.#which(name);
      if (!found) continue;
      const py = await this.#inspect(found, projectDir);
      if (!py) continue;
      if (py.version === version || py.version.startsWith(`${version}.`)) return py;
      seen.push(`${py.version} (${name})`);
    }
    throw new RepriseError('REPRISE_ERR_INTERPRETER_NOT_FOUND', `env.python asks for Python ${version}, which is not on PATH; found: ${seen.length ? seen.join(', ') : 'none'}`, {
      hint: `install python${version}, or change env.python in reprise.yaml`,
      details: { requested: version, found: seen },
    });
  }

  async #inspect(executable: string, projectDir: string): Promise<PythonInterpreter | null> {
    const key = await this.#cacheKey(executable, projectDir);
    const cache = await this.#readCache();
    const hit = cache.find((e) => e.key === key);
    if (hit && fileStamp(hit.path) === hit.stamp) return { path: hit.path, version: hit.version };

    const res = await runCommand(executable, ['-c', PYTHON_INFO], { cwd: projectDir, env: this.#env }).catch(() => undefined);
    if (!res || res.code !== 0) return null;
    const [path, version] = res.stdout.toString('utf8').trim().split('\n');
    if (!path || !version) return null;
    const found = { path: path.trim(), version: version.trim() };
    const stamp = fileStamp(found.path);
    if (stamp) await this.#writeCache([{ key, ...found, stamp }, ...cache.filter((e) => e.key !== key)].slice(0, 32));
    return found;
  }

  async #cacheKey(executable: string, projectDir: string): Promise<string> {
    const parts = [executable, fileStamp(executable) ?? '', ...SELECTOR_VARS.map((v) => `${v}=${this.#env[v] ?? ''}`)];
    for (let dir = projectDir; ; dir = dirname(dir)) {
      const pinned = await readFile(join(dir, '.python-version'), 'utf8').catch(() => undefined);
      if (pinned !== undefined) {
        parts.push(`${dir}:${pinned.trim()}`);
        break;
      }
      if (dirname(dir) === dir) break;
    }
    return parts.join('\0');
  }

  async #readCache(): Promise<CacheEntry[]> {
    if (!this.#cacheFile) return [];
    try {
      const data: unknown = JSON.parse(await readFile(this.#cacheFile, 'utf8'));
      return Array.isArray(data) ? (data as CacheEntry[]) : [];
    } catch {
      return [];
    }
  }

  /** Written aside and renamed, so concurrent runs never read half a file. */
  async #writeCache(entries: CacheEntry[]): Promise<void> {
    if (!this.#cacheFile) return;
    try {
      await mkdir(dirname(this.#cacheFile), { recursive: true });
      await replaceFile(this.#cacheFile, JSON.stringify(entries));
    } catch {
      // A cache that cannot be written only costs time.
    }
  }

  #which(name: string): Promise<string | undefined> {
    return findOnPath(name, this.#path);
  }
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
