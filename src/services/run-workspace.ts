/**
 * @module services/run-workspace
 * The private folder of one run under `<home>/runs/<id>`: the code, the params file, the
 * metrics file, and the output, model, TensorBoard and log folders. No two runs share
 * any of it, which is what makes parallel runs safe; the user's checkout is never
 * written. Also the environment every stage gets (the contract with user code).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Params } from '../core/params.js';
import { shellQuote } from '../core/shell-quote.js';
import type { ProjectConfig } from '../core/project-config.js';
import type { CapturedCode } from '../ports/code-source.js';
import type { PythonInterpreter } from '../ports/host-probe.js';

export interface RunFolders {
  readonly root: string;
  readonly workspace: string;
  /** The project inside the workspace: where stages run. */
  readonly project: string;
  readonly params: string;
  readonly metrics: string;
  readonly outputs: string;
  readonly model: string;
  readonly tb: string;
  readonly logs: string;
  /** The materialized data queries: REPRISE_DATA_<NAME> points into it. */
  readonly data: string;
  /** Put first on PATH: `python` and `python3` point at the run's interpreter. */
  readonly bin: string;
}

export function runFolders(runsDir: string, runId: string, subdir: string, config: ProjectConfig): RunFolders {
  const root = join(runsDir, runId);
  const workspace = join(root, 'workspace');
  const project = subdir ? join(workspace, subdir) : workspace;
  return {
    root,
    workspace,
    project,
    params: config.params ? join(project, config.params) : join(root, 'params.json'),
    metrics: join(root, 'metrics.jsonl'),
    outputs: join(root, 'outputs'),
    model: config.model?.path ? join(project, config.model.path) : join(root, 'model'),
    tb: join(root, 'tb'),
    logs: join(root, 'logs'),
    data: join(root, 'data'),
    bin: join(root, 'bin'),
  };
}

/** Writes the code into a run's workspace folder. */
export async function layOutCode(workspace: string, code: CapturedCode): Promise<void> {
  await mkdir(workspace, { recursive: true });
  await code.writeTo(workspace);
}

/**
 * Lays the run's folder out: code (unless `codeLaidOut` says it is there already),
 * params written where the code reads them, empty outputs.
 */
export async function prepareWorkspace(
  folders: RunFolders,
  code: CapturedCode,
  params: Params,
  python: PythonInterpreter | null,
  codeLaidOut = false,
): Promise<void> {
  if (!codeLaidOut) await layOutCode(folders.workspace, code);
  await mkdir(dirname(folders.params), { recursive: true });
  await writeFile(folders.params, `${JSON.stringify(params, null, 2)}\n`);
  await writeFile(folders.metrics, '');
  for (const dir of [folders.outputs, folders.model, folders.tb, folders.logs, folders.data, folders.bin]) {
    await mkdir(dir, { recursive: true });
  }
  if (python) {
    // Scripts rather than symlinks: a venv's python finds its venv from the path it is
    // started by, which a symlink elsewhere would hide.
    const shim = `#!/bin/sh\nexec ${shellQuote(python.path)} "$@"\n`;
    for (const name of ['python', 'python3']) await writeFile(join(folders.bin, name), shim, { mode: 0o755 });
  }
}

export async function removeWorkspace(folders: Pick<RunFolders, 'root'>): Promise<void> {
  await rm(folders.root, { recursive: true, force: true });
}

export interface StageEnvironment {
  readonly runId: string;
  readonly project: string;
  readonly stage: string;
  readonly seed: number;
  readonly folders: RunFolders;
  /** Folder holding the Python SDK package, put on PYTHONPATH so stages can `import reprise`. */
  readonly sdkPythonPath: string;
  /** The virtualenv the stage runs in, or null for the system interpreter. */
  readonly venv: string | null;
  /** REPRISE_DATA_<NAME> of each materialized data query. */
  readonly data?: Readonly<Record<string, string>>;
  readonly extra: Readonly<Record<string, string>> | undefined;
}

/** The whole environment of a stage process. Variables a parent run set are not inherited. */
export function stageEnvironment(base: NodeJS.ProcessEnv, s: StageEnvironment): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) {
    if (v !== undefined && !(k.startsWith('REPRISE_') && k !== 'REPRISE_HOME')) env[k] = v;
  }
  const f = s.folders;
  const first = s.venv ? `${s.venv}/bin:${f.bin}` : f.bin;
  env.PATH = base.PATH ? `${first}:${base.PATH}` : first;
  if (s.venv) env.VIRTUAL_ENV = s.venv;
  else delete env.VIRTUAL_ENV;
  env.PYTHONPATH = base.PYTHONPATH ? `${s.sdkPythonPath}:${base.PYTHONPATH}` : s.sdkPythonPath;
  // Without it Python buffers output sent to a pipe, and nothing streams live.
  env.PYTHONUNBUFFERED = '1';
  env.PYTHONHASHSEED = String(s.seed);
  env.REPRISE_RUN_ID = s.runId;
  env.REPRISE_PROJECT = s.project;
  env.REPRISE_STAGE = s.stage;
  env.REPRISE_PARAMS = f.params;
  env.REPRISE_METRICS = f.metrics;
  env.REPRISE_OUTPUT_DIR = f.outputs;
  env.REPRISE_MODEL_DIR = f.model;
  env.REPRISE_TB_DIR = f.tb;
  env.REPRISE_SEED = String(s.seed);
  Object.assign(env, s.data ?? {});
  return { ...env, ...(s.extra ?? {}) };
}
