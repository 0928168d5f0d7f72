/**
 * @module services/environment-plan
 * Which environment a run needs, decided before the run exists: the system interpreter
 * as it is, or a virtualenv built from the requirements files (or from a lock, with
 * `reprise run --lock`), identified by its environment key.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, normalize, resolve } from 'node:path';
import { sha256Hex } from '../core/canonical-json.js';
import { environmentHash, nestedRequirementFiles, pipOptionArgs, pipOptionsFrom, type PipOptions } from '../core/environment-key.js';
import { RepriseError } from '../core/errors.js';
import { CONFIG_FILE } from '../core/project-config.js';
import type { EnvironmentProvider, PreparedEnvironment } from '../ports/environment-provider.js';
import type { HostFacts, PythonInterpreter } from '../ports/host-probe.js';
import type { LoadedProject } from './project-loader.js';

export interface EnvironmentPlan {
  readonly kind: 'venv' | 'system';
  readonly source: 'requirements' | 'lock' | 'system';
  /** The environment key; null for the system interpreter. */
  readonly hash: string | null;
  /** The interpreter a venv is made from, or used as it is. */
  readonly python: PythonInterpreter;
  /** Requirements files named in reprise.yaml, relative to the project. */
  readonly requirements: readonly string[];
  /** Every requirements file with its hash, nested ones included: recorded in the manifest. */
  readonly files: readonly { path: string; sha256: string }[];
  /** The lock to build from, when `--lock` was given. */
  readonly lock: { readonly path: string; readonly content: Buffer } | null;
  readonly pip: PipOptions;
}

export async function planEnvironment(
  project: LoadedProject,
  python: PythonInterpreter | null,
  host: Pick<HostFacts, 'os' | 'arch'>,
  lockFile: string | undefined,
  /** Use the interpreter found as it is, whatever reprise.yaml asks (inside a built image). */
  systemEnv = false,
): Promise<EnvironmentPlan | null> {
  const env = project.config.env;
  const req = env?.requirements;
  const requirements = req === undefined ? [] : Array.isArray(req) ? req : [req];
  const read = await readRequirementFiles(project.dir, requirements);
  const files = read.map(({ path, sha256 }) => ({ path, sha256 }));
  const pip = pipOptionsFrom(env);
  let lock: EnvironmentPlan['lock'] = null;
  if (lockFile !== undefined) {
    try {
      lock = { path: lockFile, content: await readFile(lockFile) };
    } catch {
      throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--lock ${lockFile}: no such file`, { details: { path: lockFile } });
    }
  }
  if (!python) {
    if (requirements.length === 0 && !lock) return null;
    throw new RepriseError('REPRISE_ERR_INTERPRETER_NOT_FOUND', 'the project needs a Python environment, but no python3 is on PATH', { hint: 'install Python 3' });
  }
  if (lock && (env?.system || systemEnv)) {
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--lock builds an environment, but ${systemEnv ? '--system-env' : `${CONFIG_FILE} says env.system: true`}`);
  }
  const kind = env?.system || systemEnv || (requirements.length === 0 && !lock) ? 'system' : 'venv';
  const source = kind === 'system' ? 'system' : lock ? 'lock' : 'requirements';
  const platform = `${host.os.platform}-${host.arch}`;
  const hash = kind === 'system'
    ? null
    : environmentHash({
        pythonVersion: python.version,
        platform,
        source: source as 'requirements' | 'lock',
        files: lock ? [{ path: 'lock', text: lock.content.toString('utf8') }] : read.map((f) => ({ path: f.path, text: f.content.toString('utf8') })),
        pip,
      });
  return { kind, source, hash, python, requirements, files, lock, pip };
}

/**
 * The environment a plan asks for, built or reused by the provider; a lock is first
 * copied to `lockCopy` for pip to read. What a run's stages and a served version run in.
 */
export async function provideEnvironment(
  environments: EnvironmentProvider,
  plan: EnvironmentPlan,
  o: { readonly projectDir: string; readonly lockCopy: string; readonly onProgress?: (line: string) => void; readonly onNotice?: (message: string) => void },
): Promise<PreparedEnvironment> {
  if (plan.lock) await writeFile(o.lockCopy, plan.lock.content);
  return environments.prepare({
    kind: plan.kind,
    python: plan.python,
    hash: plan.hash,
    source: plan.lock ? `lock ${basename(plan.lock.path)}` : plan.requirements.join(', ') || 'system',
    installArgs: installArgs(plan, o.projectDir, plan.lock ? o.lockCopy : null),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(o.onNotice ? { onNotice: o.onNotice } : {}),
  });
}

/** `pip install` arguments for a plan, with paths inside the run's workspace. */
export function installArgs(plan: EnvironmentPlan, projectWorkspace: string, lockCopy: string | null): string[] {
  const sources = lockCopy ? ['-r', lockCopy] : plan.requirements.flatMap((r) => ['-r', join(projectWorkspace, r)]);
  return [...sources, ...pipOptionArgs(plan.pip, (p) => resolve(projectWorkspace, p))];
}

/**
 * Each requirements file and those it includes (-r, -c), with contents and sha256, paths
 * relative to the project; a missing one is an error naming it and who includes it.
 */
export async function readRequirementFiles(
  projectDir: string,
  top: readonly string[],
): Promise<{ path: string; sha256: string; content: Buffer }[]> {
  const out: { path: string; sha256: string; content: Buffer }[] = [];
  const seen = new Set<string>();
  const visit = async (rel: string, from: string | null): Promise<void> => {
    const norm = normalize(rel);
    if (seen.has(norm)) return;
    seen.add(norm);
    const path = join(projectDir, norm);
    let content: Buffer;
    try {
      content = await readFile(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      const by = from ? `included by ${from}` : `env.requirements in ${CONFIG_FILE}`;
      throw new RepriseError('REPRISE_ERR_CONFIG_INVALID', `the requirements file ${path} (${by}) does not exist`, { details: { path } });
    }
    out.push({ path: norm, sha256: sha256Hex(content), content });
    for (const nested of nestedRequirementFiles(content.toString('utf8'))) await visit(join(dirname(norm), nested), norm);
  };
  for (const rel of top) await visit(rel, null);
  return out;
}
