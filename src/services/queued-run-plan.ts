/**
 * @module services/queued-run-plan
 * A queued run made ready on the worker that claimed it: everything fixed at submit
 * (code version, params, seed, stages, gates) is read from its manifest, never from a
 * checkout; the code is found again (the local repository, the recorded remote, or the
 * files that came with the run) and laid out; this machine's interpreter and facts are
 * recorded, and the environment is planned from the recorded code's requirements.
 */
import { join } from 'node:path';
import type { ExecutedBy } from '../core/queue.js';
import type { RunRecord } from '../core/run.js';
import type { RunManifest } from '../core/run-manifest.js';
import { planEnvironment } from './environment-plan.js';
import { settingsOf, type RunPlan } from './live-run.js';
import { layOutRecordedCode, recordedCodeOf, restoreRecordedCode } from './recorded-code.js';
import type { RunObserver, RunServiceDeps } from './run-service.js';
import { imageOf } from './run-manifest-draft.js';
import { removeWorkspace, runFolders } from './run-workspace.js';

export interface QueuedRunContext {
  /** Where a repository holding the commit may be: looked in before fetching. */
  readonly near: string;
  readonly executedBy: ExecutedBy;
  /** Variables every stage gets from the worker (CUDA_VISIBLE_DEVICES). */
  readonly workerEnv: Readonly<Record<string, string>>;
  readonly observer: RunObserver;
}

export async function planQueuedRun(d: RunServiceDeps, run: RunRecord, ctx: QueuedRunContext): Promise<RunPlan> {
  const m = run.manifest;
  const root = join(d.runsDir, run.id);
  try {
    const [captured, facts] = await Promise.all([restoreRecordedCode(d, run, ctx.near, 'run on a worker'), d.host.facts()]);
    const { config, projectDir } = await layOutRecordedCode(captured, run, join(root, 'workspace'));
    const python = await d.host.findPython({ projectDir, ...(config.env?.python ? { version: config.env.python } : {}) });
    const project = { dir: projectDir, configPath: join(projectDir, 'reprise.yaml'), config, name: m.run.project };
    const env = await planEnvironment(project, python, facts, undefined, m.submission?.systemEnv ?? false);
    const manifest: RunManifest = {
      ...m,
      status: 'preparing',
      environment: {
        ...facts,
        python,
        repriseVersion: d.repriseVersion,
        requirements: [...(env?.files ?? [])],
        image: await imageOf(d),
        resolved: null,
      },
      pipeline: { ...m.pipeline, executor: d.executor.name, host: facts.hostname },
      execution: { ...m.execution, worker: ctx.executedBy },
    };
    return {
      manifest,
      captured,
      codeLaidOut: true,
      python,
      env,
      folders: runFolders(d.runsDir, run.id, recordedCodeOf(run, 'run on a worker').subdir, config),
      ...settingsOf(config),
      workerEnv: ctx.workerEnv,
      observer: ctx.observer,
    };
  } catch (e) {
    await removeWorkspace({ root }).catch(() => undefined);
    throw e;
  }
}
