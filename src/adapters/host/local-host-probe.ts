/**
 * The machine this process runs on, from Node's `os` module, `nvidia-smi` when present,
 * and the Python interpreters on PATH.
 */
import { access, constants } from 'node:fs/promises';
import os from 'node:os';
import { delimiter, join } from 'node:path';
import { RepriseError } from '../../core/errors.js';
import type { HostFacts, HostProbe, PythonInterpreter } from '../../ports/host-probe.js';
import { runCommand } from '../../platform/run-command.js';

const PYTHON_INFO = 'import os, sys, platform; print(os.path.realpath(sys.executable)); print(platform.python_version())';

export class LocalHostProbe implements HostProbe {
  readonly #path: string;

  constructor(options: { path?: string } = {}) {
    this.#path = options.path ?? process.env.PATH ?? '';
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
    const res = await runCommand(smi, ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader,nounits']).catch(() => undefined);
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

  async findPython(version?: string): Promise<PythonInterpreter | null> {
    if (version === undefined) {
      for (const name of ['python3', 'python']) {
        const found = await this.#which(name);
        if (found) return this.#inspect(found);
      }
      return null;
    }
    const candidates = [`python${version}`, 'python3', 'python'];
    const seen: string[] = [];
    for (const name of candidates) {
      const found = await this.#which(name);
      if (!found) continue;
      const py = await this.#inspect(found);
      if (!py) continue;
      if (py.version === version || py.version.startsWith(`${version}.`)) return py;
      seen.push(`${py.version} (${name})`);
    }
    throw new RepriseError('REPRISE_ERR_INTERPRETER_NOT_FOUND', `env.python asks for Python ${version}, which is not on PATH; found: ${seen.length ? seen.join(', ') : 'none'}`, {
      hint: `install python${version}, or change env.python in reprise.yaml`,
      details: { requested: version, found: seen },
    });
  }

  async #inspect(executable: string): Promise<PythonInterpreter | null> {
    const res = await runCommand(executable, ['-c', PYTHON_INFO]).catch(() => undefined);
    if (!res || res.code !== 0) return null;
    const [path, version] = res.stdout.toString('utf8').trim().split('\n');
    return path && version ? { path: path.trim(), version: version.trim() } : null;
  }

  async #which(name: string): Promise<string | undefined> {
    for (const dir of this.#path.split(delimiter)) {
      if (!dir) continue;
      const candidate = join(dir, name);
      try {
        await access(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
    return undefined;
  }
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
