/**
 * @module services/run-service
 * Starting and tracking a run, written once: resolve (config, params, code, environment),
 * record, prepare the workspace, run the stages in order while their output and metrics
 * stream in, then store outputs and logs and settle the status. Bad input is refused
 * before a run exists; once a run exists it always ends with a status and a reason.
 */
import { randomInt } from 'node:crypto';
import { hostname } from 'node:os';
import { contentHash } from '../core/canonical-json.js';
import { RepriseError, isRepriseError } from '../core/errors.js';
import { newRunId, newRunName } from '../core/ids.js';
import { applyOverrides, parseOverride, type Params } from '../core/params.js';
import type { RunRecord } from '../core/run.js';
import type { StageRecord } from '../core/run-manifest.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { CodeSource } from '../ports/code-source.js';
import type { EnvironmentProvider, PreparedEnvironment } from '../ports/environment-provider.js';
import type { Executor } from '../ports/executor.js';
import type { HostProbe } from '../ports/host-probe.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { RunLogStore } from '../ports/run-log-store.js';
import { processStartTime } from '../platform/process-identity.js';
import { planEnvironment } from './environment-plan.js';
import { LiveRun, messageOf, type RunPlan } from './live-run.js';
import type { MetricProblem } from './metrics-tailer.js';
import { loadProject, readParamsFile } from './project-loader.js';
import { prepareWorkspace, removeWorkspace, runFolders } from './run-workspace.js';
import { planReproduction, type ReproduceRequest } from './reproduction-plan.js';
import { freshManifest, imageOf, pipelineRules } from './run-manifest-draft.js';
import type { StreamName } from './stage-logs.js';

/** How often a running run says it is alive; other machines judge it lost without it. */
export const HEARTBEAT_MS = 5_000;

export interface RunObserver {
  /** The run exists: its id, name and manifest are recorded. */
  created?(run: RunRecord): void;
  /** A line of pip's output while the run's environment is built. */
  envProgress?(line: string): void;
  /** The environment is ready (built or reused). */
  envReady?(env: PreparedEnvironment): void;
  stageStarted?(stage: string, index: number, total: number): void;
  output?(stage: string, stream: StreamName, line: string): void;
  stageEnded?(stage: StageRecord): void;
  metricProblem?(problem: MetricProblem): void;
  /** Something worth saying that is not wrong: waiting for another run, rebuilding a damaged environment. */
  notice?(message: string): void;
  warning?(message: string): void;
}

export interface StartRunRequest {
  /** Where the command was run: reprise.yaml is looked for here and above. */
  readonly cwd: string;
  /** `key=value` as typed after -p. */
  readonly overrides?: readonly string[];
  readonly dev?: boolean;
  readonly name?: string;
  readonly seed?: number;
  /** Build the environment from this lock (a `pip freeze`) instead of the requirements. */
  readonly lockFile?: string;
  /** Run with the interpreter found as it is, building nothing (inside a container image). */
  readonly systemEnv?: boolean;
  /** Snapshot the folder instead of pinning a git commit. */
  readonly noGit?: boolean;
  /** Leave `<home>/runs/<id>` in place after the run, for debugging. */
  readonly keepWorkspace?: boolean;
  /** Aborting cancels the run: stages are ended, what was logged is kept. */
  readonly signal?: AbortSignal;
  readonly observer?: RunObserver;
}

export interface RunServiceDeps {
  readonly store: MetadataStore;
  readonly blobs: BlobStore;
  readonly executor: Executor;
  readonly host: HostProbe;
  readonly environments: EnvironmentProvider;
  readonly codeSources: { readonly git: CodeSource; readonly folder: CodeSource };
  readonly runsDir: string;
  readonly repriseVersion: string;
  readonly sdkPythonPath: string;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Where stage output is copied as it is written, when readers cannot see this
   * machine's run folder: the server, for a run started with REPRISE_SERVER.
   */
  readonly logMirror?: RunLogStore;
}

export class RunService {
  readonly #d: RunServiceDeps;

  constructor(deps: RunServiceDeps) {
    this.#d = deps;
  }

  /** Runs the project's pipeline to the end and returns the finished run. */
  async run(req: StartRunRequest): Promise<RunRecord> {
    return this.#launch(await this.#resolve(req), req);
  }

  /**
   * Runs a finished run again from its manifest alone (see reproduction-plan) and returns
   * the new run, which names the original in `manifest.run.reproduces`.
   */
  async reproduce(req: ReproduceRequest): Promise<RunRecord> {
    const name = await this.#checkedName(req.name);
    return this.#launch(await planReproduction(this.#d, req, name), req);
  }

  /** Records a resolved run, then prepares it and runs its stages to a final status. */
  async #launch(plan: RunPlan, req: { readonly keepWorkspace?: boolean; readonly signal?: AbortSignal }): Promise<RunRecord> {
    const { manifest, captured, folders, python, observer } = plan;
    const now = Date.now();
    const record: RunRecord = {
      id: manifest.run.id,
      name: manifest.run.name,
      project: manifest.run.project,
      status: 'preparing',
      dev: manifest.run.dev,
      createdAt: now,
      startedAt: null,
      endedAt: null,
      host: hostname(),
      pid: process.pid,
      pidStart: processStartTime(process.pid),
      heartbeatAt: now,
      envHash: plan.env?.hash ?? null,
      manifest,
    };
    await this.#d.store.createRun(record);
    observer.created?.(record);

    const live = new LiveRun(this.#d, record, plan);
    const heartbeat = setInterval(() => {
      this.#d.store.updateRun(record.id, { heartbeatAt: Date.now() }).catch(() => undefined);
    }, HEARTBEAT_MS);
    heartbeat.unref();
    try {
      try {
        await prepareWorkspace(folders, captured, manifest.params.values as Params, python, plan.codeLaidOut ?? false);
      } catch (e) {
        return await live.finish('failed', { stage: null, exitCode: null, message: `preparing the workspace failed: ${messageOf(e)}`, stderrTail: [] });
      }
      try {
        await live.prepareEnvironment();
      } catch (e) {
        const pipOutput = isRepriseError(e) ? (e.details?.pipOutput as string[] | undefined) : undefined;
        return await live.finish('failed', { stage: null, exitCode: null, message: `building the environment failed: ${messageOf(e)}`, stderrTail: pipOutput ?? [] });
      }
      try {
        return await live.execute(req.signal);
      } catch (e) {
        // A fault of Reprise's own (the store, the disk) still ends the run with its reason.
        return await live.finish('failed', { stage: null, exitCode: null, message: `Reprise failed while running the stages: ${messageOf(e)}`, stderrTail: [] });
      }
    } finally {
      clearInterval(heartbeat);
      if (!req.keepWorkspace) await removeWorkspace(folders).catch(() => undefined);
    }
  }

  async #resolve(req: StartRunRequest): Promise<RunPlan> {
    const overrides = (req.overrides ?? []).map(parseOverride);
    if (req.name !== undefined) checkName(req.name);
    if (req.seed !== undefined && !(Number.isSafeInteger(req.seed) && req.seed >= 0 && req.seed < 2 ** 31)) {
      throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--seed ${req.seed}: expected a whole number from 0 to ${2 ** 31 - 1}`);
    }
    const project = await loadProject(req.cwd);
    const params = applyOverrides(await readParamsFile(project), overrides);
    const source = req.noGit ? this.#d.codeSources.folder : this.#d.codeSources.git;
    const [captured, facts, python] = await Promise.all([
      source.capture(project.dir, this.#d.blobs),
      this.#d.host.facts(),
      this.#d.host.findPython({ projectDir: project.dir, ...(project.config.env?.python ? { version: project.config.env.python } : {}) }),
    ]);
    const env = await planEnvironment(project, python, facts, req.lockFile, req.systemEnv ?? false);

    const createdAt = Date.now();
    const id = newRunId(createdAt);
    const name = req.name ?? (await this.#freshName());
    const seedSource = req.seed !== undefined ? 'flag' : project.config.seed !== undefined ? 'config' : 'generated';
    const seed = req.seed ?? project.config.seed ?? randomInt(0, 2 ** 31 - 1);
    const folders = runFolders(this.#d.runsDir, id, captured.version.subdir, project.config);
    const manifest = freshManifest({
      run: { id, name, project: project.name, dev: req.dev ?? false, createdAt },
      code: captured.version,
      params: {
        file: project.config.params ?? null,
        values: params,
        overrides: overrides.map((o) => ({ key: o.path.join('.'), value: o.value })),
        hash: contentHash(params),
      },
      environment: {
        ...facts,
        python,
        repriseVersion: this.#d.repriseVersion,
        requirements: [...(env?.files ?? [])],
        image: await imageOf(this.#d),
        resolved: null,
      },
      pipeline: {
        configFile: 'reprise.yaml',
        stages: project.config.stages.map((s) => ({ name: s.name, cmd: s.cmd })),
        seed,
        seedSource,
        executor: this.#d.executor.name,
        host: facts.hostname,
        ...pipelineRules(project.config),
      },
    });
    return {
      manifest,
      captured,
      python,
      env,
      folders,
      declaredOutputs: project.config.outputs ?? [],
      modelName: project.config.model?.name ?? null,
      stageEnv: new Map(project.config.stages.map((s) => [s.name, s.env])),
      observer: req.observer ?? {},
    };
  }

  /** The name asked for, checked, or a fresh generated one. */
  async #checkedName(name: string | undefined): Promise<string> {
    if (name === undefined) return this.#freshName();
    checkName(name);
    return name;
  }

  /** A generated name no other run has, so a name alone finds a run. */
  async #freshName(): Promise<string> {
    for (let i = 0; i < 5; i++) {
      const name = newRunName();
      if ((await this.#d.store.findRuns(name, 1)).every((r) => r.name !== name)) return name;
    }
    return `${newRunName()}-${randomInt(1000, 9999)}`;
  }
}

function checkName(name: string): void {
  if (!/^[^\s\u0000-\u001f][^\u0000-\u001f]{0,99}$/.test(name)) {
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--name ${JSON.stringify(name)}: a run name is 1 to 100 characters, without control characters or a leading space`);
  }
}
