/**
 * @module services/reproduction-plan
 * A new run resolved from a finished run's manifest alone, never from the checkout as it
 * is now: the recorded code (commit and patch), params, seed and stages, and an
 * environment built from the recorded lock. The project's own settings a manifest does
 * not hold (stage variables, declared outputs, the model's name, the reproduce rules)
 * are read from the recorded code, which is the same code the original ran.
 */
import { join } from 'node:path';
import { environmentHash, type PipOptions } from '../core/environment-key.js';
import { isRepriseError, RepriseError } from '../core/errors.js';
import { newRunId } from '../core/ids.js';
import type { ProjectConfig } from '../core/project-config.js';
import type { RunRecord } from '../core/run.js';
import { isActive, type EnvironmentFacts, type RunManifest } from '../core/run-manifest.js';
import type { HostFacts, PythonInterpreter } from '../ports/host-probe.js';
import type { EnvironmentPlan } from './environment-plan.js';
import { settingsOf, type RunPlan } from './live-run.js';
import type { RunObserver, RunServiceDeps } from './run-service.js';
import { freshManifest, imageOf, pipelineRules } from './run-manifest-draft.js';
import { layOutRecordedCode, recordedCodeOf, recordedEnvironmentOf, restoreRecordedCode } from './recorded-code.js';
import { removeWorkspace, runFolders } from './run-workspace.js';

export interface ReproduceRequest {
  /** The finished run to reproduce. */
  readonly original: RunRecord;
  /** Where the command runs: the repository around it is searched for the recorded commit first. */
  readonly cwd: string;
  readonly name?: string;
  /** Who asks for it (default: this machine's account). */
  readonly by?: string;
  readonly keepWorkspace?: boolean;
  readonly signal?: AbortSignal;
  readonly observer?: RunObserver;
}


export async function planReproduction(d: RunServiceDeps, req: ReproduceRequest, name: string): Promise<RunPlan> {
  const original = req.original;
  const m = original.manifest;
  if (isActive(original.status)) {
    throw new RepriseError('REPRISE_ERR_RUN_NOT_FINISHED', `run ${original.name} (${original.id}) is ${original.status}; only a finished run can be reproduced`, {
      hint: `wait for it to end (reprise logs --follow ${original.name})`,
      details: { run: original.id, status: original.status },
    });
  }
  // Checked before anything is laid out: a run logged through the MLflow client has neither.
  const code = recordedCodeOf(original, 'reproduced');
  const recordedEnv = recordedEnvironmentOf(original, 'reproduced');
  const resolved = recordedEnv.resolved;
  if (recordedEnv.python && !resolved) {
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', `run ${original.name} (${original.id}) ended before its environment was prepared, so there is no lock to rebuild it from`, {
      details: { run: original.id },
    });
  }
  const [captured, facts] = await Promise.all([restoreRecordedCode(d, original, req.cwd, 'reproduced'), d.host.facts()]);

  const createdAt = Date.now();
  const id = newRunId(createdAt);
  // The code is laid out first: the settings a manifest does not hold are read from it.
  const workspace = join(d.runsDir, id, 'workspace');
  let config: ProjectConfig;
  try {
    config = (await layOutRecordedCode(captured, original, workspace)).config;
  } catch (e) {
    await removeWorkspace({ root: join(d.runsDir, id) }).catch(() => undefined);
    throw e;
  }
  const folders = runFolders(d.runsDir, id, code.subdir, config);
  try {
    const python = await interpreterFor(d, recordedEnv, folders.project, req.observer);
    const env = await environmentFor(d, m, recordedEnv, python, facts);
    const manifest: RunManifest = freshManifest({
      run: { id, name, project: m.run.project, dev: m.run.dev, createdAt, reproduces: original.id },
      trigger: { kind: 'reproduction', by: req.by ?? facts.user, of: original.id },
      code,
      params: m.params,
      environment: {
        ...facts,
        python,
        repriseVersion: d.repriseVersion,
        requirements: recordedEnv.requirements,
        image: await imageOf(d),
        resolved: null,
      },
      pipeline: {
        ...m.pipeline,
        executor: d.executor.name,
        host: facts.hostname,
        ...pipelineRules(config),
      },
    });
    // The same queries as of the same times; the original's files stand in for new ones.
    const data = m.data?.map((x) => ({ ...x, snapshot: null }));
    const recordedData = new Map((m.data ?? []).flatMap((x) => (x.snapshot ? [[x.name, x.snapshot] as const] : [])));
    return {
      manifest: data ? { ...manifest, data } : manifest,
      recordedData,
      captured,
      codeLaidOut: true,
      python,
      env,
      folders,
      ...settingsOf(config),
      observer: req.observer ?? {},
    };
  } catch (e) {
    await removeWorkspace(folders).catch(() => undefined);
    throw e;
  }
}

/**
 * The interpreter the original ran with: the same version if this machine has it, else
 * the same minor version, else the default one, said as a notice (the verdict then
 * lists the difference).
 */
export async function interpreterFor(d: Pick<RunServiceDeps, 'host'>, recorded: EnvironmentFacts, projectDir: string, observer: RunObserver | undefined): Promise<PythonInterpreter | null> {
  const wanted = recorded.resolved?.pythonVersion ?? recorded.python?.version;
  if (!wanted) return d.host.findPython({ projectDir });
  const minor = wanted.split('.').slice(0, 2).join('.');
  for (const version of [wanted, minor]) {
    try {
      const py = await d.host.findPython({ projectDir, version });
      if (py && py.version !== wanted) observer?.notice?.(`the run used Python ${wanted}; this machine has ${py.version}, which is used instead`);
      if (py) return py;
    } catch (e) {
      if (!isRepriseError(e) || e.code !== 'REPRISE_ERR_INTERPRETER_NOT_FOUND') throw e;
    }
  }
  const py = await d.host.findPython({ projectDir });
  if (!py) throw new RepriseError('REPRISE_ERR_INTERPRETER_NOT_FOUND', `the run used Python ${wanted}, and this machine has no python3`, { hint: `install Python ${wanted}` });
  observer?.notice?.(`the run used Python ${wanted}; this machine has no Python ${minor}, so ${py.version} is used: the lock may not install, and results may differ`);
  return py;
}

/** The environment from the recorded lock (or the system interpreter, as the original used it). */
export async function environmentFor(d: Pick<RunServiceDeps, 'blobs'>, m: RunManifest, recorded: EnvironmentFacts, python: PythonInterpreter | null, host: HostFacts): Promise<EnvironmentPlan | null> {
  const r = recorded.resolved;
  if (!r || !python) return null;
  const pip: PipOptions = { ...r.pip, extraIndexUrls: [...r.pip.extraIndexUrls], findLinks: [...r.pip.findLinks] };
  const files = recorded.requirements;
  if (r.kind === 'system') return { kind: 'system', source: 'system', hash: null, python, requirements: [], files, lock: null, pip };
  const content = await d.blobs.read(r.lock.sha256);
  return {
    kind: 'venv',
    source: 'lock',
    hash: environmentHash({
      pythonVersion: python.version,
      platform: `${host.os.platform}-${host.arch}`,
      source: 'lock',
      files: [{ path: 'lock', text: content.toString('utf8') }],
      pip,
    }),
    python,
    requirements: [],
    files,
    lock: { path: `lock of ${m.run.name}`, content },
    pip,
  };
}
