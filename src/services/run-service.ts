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
import { applyOverrides, parseOverride, type ParamOverride, type Params } from '../core/params.js';
import { checkQueueName, DEFAULT_QUEUE, type ExecutedBy, type SweepRecord } from '../core/queue.js';
import { describeSweep, expandSweep, type SweepSpec } from '../core/sweep.js';
import type { RunRecord } from '../core/run.js';
import { ACTIVE_STATUSES, type CodeVersion, type DataInput, type RunManifest, type StageRecord } from '../core/run-manifest.js';
import type { GitProvider, Trigger } from '../core/trigger.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { CodeSource } from '../ports/code-source.js';
import type { EnvironmentProvider, PreparedEnvironment } from '../ports/environment-provider.js';
import type { Executor } from '../ports/executor.js';
import type { HostProbe } from '../ports/host-probe.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { MlflowEndpoint } from './mlflow-endpoint.js';
import type { RunLogStore } from '../ports/run-log-store.js';
import type { SystemMonitor } from '../ports/system-monitor.js';
import { processStartTime } from '../platform/process-identity.js';
import { pinDataInputs, type DataSources } from './data-inputs.js';
import { planEnvironment, readRequirementFiles } from './environment-plan.js';
import { LiveRun, messageOf, settingsOf, type RunPlan } from './live-run.js';
import type { MetricProblem } from './metrics-tailer.js';
import { loadProject, readParamsFile } from './project-loader.js';
import { planQueuedRun } from './queued-run-plan.js';
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
  /** A data query is materialized (its snapshot recorded). */
  dataReady?(input: DataInput): void;
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
  /** Who starts it, as audit logs name people (default: this machine's account). */
  readonly by?: string;
  /** Leave `<home>/runs/<id>` in place after the run, for debugging. */
  readonly keepWorkspace?: boolean;
  /** Aborting cancels the run: stages are ended, what was logged is kept. */
  readonly signal?: AbortSignal;
  readonly observer?: RunObserver;
}

/** How many times a lost queued run is queued again, unless told otherwise. */
export const DEFAULT_RETRIES = 1;

export interface SubmitRequest {
  readonly cwd: string;
  readonly overrides?: readonly string[];
  readonly dev?: boolean;
  /** The run's name; a sweep's runs are named after the sweep. */
  readonly name?: string;
  readonly seed?: number;
  readonly noGit?: boolean;
  readonly systemEnv?: boolean;
  /** Default: `resources.queue` of reprise.yaml, else `default`. */
  readonly queue?: string;
  readonly priority?: number;
  readonly retries?: number;
  /** Who submits, as audit logs name people. */
  readonly by: string;
  /** Many runs, one per point of the spec (core/sweep). */
  readonly sweep?: { readonly spec: SweepSpec; readonly name?: string };
  /**
   * The code, already fixed (a pushed commit the server fetched), with `cwd` its files
   * laid out: nothing is captured from a checkout.
   */
  readonly code?: CodeVersion;
  /** What started it, when not a person's submit or sweep: a merge, a CI job. */
  readonly trigger?: Trigger;
  /** The hook delivery that asked for it: remembered with the runs, so it starts them once. */
  readonly delivery?: { readonly provider: GitProvider; readonly id: string; readonly receivedAt: number };
}

export interface Submitted {
  readonly runs: RunRecord[];
  readonly sweep: SweepRecord | null;
}

export interface ExecuteRequest {
  /** A run the worker has claimed (preparing, held by it). */
  readonly run: RunRecord;
  readonly executedBy: ExecutedBy;
  /** Where a repository with the run's commit may be, looked in before fetching. */
  readonly near: string;
  /** Set for every stage: the GPUs the worker gave the run. */
  readonly workerEnv?: Readonly<Record<string, string>>;
  readonly keepWorkspace?: boolean;
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
  /** Samples the machine while stages run (`system/*` metrics); none: not sampled. */
  readonly systemMonitor?: SystemMonitor;
  /** Where `data:` queries are answered: the lake, and databases reprise.yaml declares. */
  readonly data: DataSources;
  /** Where stages' `mlflow` calls go (MLFLOW_TRACKING_URI and MLFLOW_RUN_ID); none: not set. */
  readonly mlflow?: MlflowEndpoint;
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
    const { manifest, observer } = plan;
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
    return this.#drive(record, plan, { ...req, heartbeat: true });
  }

  /**
   * Runs a queued run this process's worker has claimed: its plan is read from the
   * manifest fixed at submit (see queued-run-plan), then it goes like any run. The worker
   * keeps it alive (one heartbeat for all its runs) and aborts `signal` when it is canceled.
   */
  async execute(req: ExecuteRequest): Promise<RunRecord> {
    const { run } = req;
    const observer = req.observer ?? {};
    let plan: RunPlan;
    try {
      plan = await planQueuedRun(this.#d, run, { near: req.near, executedBy: req.executedBy, workerEnv: req.workerEnv ?? {}, observer });
    } catch (e) {
      // The run exists: it ends with the reason, like a run whose environment failed.
      const endedAt = Date.now();
      const manifest: RunManifest = {
        ...run.manifest,
        status: 'failed',
        failure: { stage: null, exitCode: null, message: `preparing the run on ${req.executedBy.name} failed: ${messageOf(e)}`, stderrTail: [] },
        execution: { ...run.manifest.execution, worker: req.executedBy, endedAt },
      };
      await this.#d.store.updateRun(run.id, { status: 'failed', endedAt, manifest }, ACTIVE_STATUSES).catch(() => false);
      return (await this.#d.store.getRun(run.id)) ?? run;
    }
    const record: RunRecord = { ...run, status: 'preparing', envHash: plan.env?.hash ?? null, manifest: plan.manifest };
    await this.#d.store.updateRun(run.id, { envHash: record.envHash, manifest: plan.manifest });
    observer.created?.(record);
    return this.#drive(record, plan, { ...req, heartbeat: false });
  }

  /** A recorded run through its workspace, environment and stages to its final status. */
  async #drive(
    record: RunRecord,
    plan: RunPlan,
    req: { readonly keepWorkspace?: boolean; readonly signal?: AbortSignal; readonly heartbeat: boolean },
  ): Promise<RunRecord> {
    const { manifest, captured, folders, python } = plan;
    const live = new LiveRun(this.#d, record, plan);
    // Aborted by the caller (Ctrl-C, a worker's cancel) or by a cancel request seen at a heartbeat.
    const stop = new AbortController();
    const onAbort = (): void => stop.abort(req.signal?.reason);
    req.signal?.addEventListener('abort', onAbort, { once: true });
    if (req.signal?.aborted) onAbort();
    let beating = false;
    const heartbeat = req.heartbeat
      ? setInterval(() => {
          if (beating) return;
          beating = true;
          this.#d.store
            .heartbeat({ at: Date.now(), runIds: [record.id] })
            .then((beat) => {
              if (beat[record.id] === 'cancel' && !stop.signal.aborted) stop.abort('canceled on request: reprise cancel');
            })
            .catch(() => undefined)
            .finally(() => {
              beating = false;
            });
        }, HEARTBEAT_MS)
      : undefined;
    heartbeat?.unref();
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
        await live.prepareData();
      } catch (e) {
        return await live.finish('failed', { stage: null, exitCode: null, message: `materializing the data failed: ${messageOf(e)}`, stderrTail: [] });
      }
      try {
        return await live.execute(stop.signal);
      } catch (e) {
        // A fault of Reprise's own (the store, the disk) still ends the run with its reason.
        return await live.finish('failed', { stage: null, exitCode: null, message: `Reprise failed while running the stages: ${messageOf(e)}`, stderrTail: [] });
      }
    } finally {
      if (heartbeat) clearInterval(heartbeat);
      req.signal?.removeEventListener('abort', onAbort);
      if (!req.keepWorkspace) await removeWorkspace(folders).catch(() => undefined);
    }
  }

  /**
   * Queues the project's pipeline instead of running it here: the code version (commit +
   * patch, with the commit's files when no remote has it), params and seed are fixed now,
   * so editing or committing in the checkout afterwards changes nothing queued. With a
   * sweep, one run per point of it, all or nothing.
   */
  async submit(req: SubmitRequest): Promise<Submitted> {
    const overrides = (req.overrides ?? []).map(parseOverride);
    if (req.name !== undefined) checkName(req.name);
    checkSeed(req.seed);
    const project = await loadProject(req.cwd);
    const resources = project.config.resources ?? {};
    const queue = checkQueueName(req.queue ?? resources.queue ?? DEFAULT_QUEUE);
    const priority = req.priority ?? resources.priority ?? 0;
    const retries = req.retries ?? resources.retries ?? DEFAULT_RETRIES;
    const base = applyOverrides(await readParamsFile(project), overrides);
    const env = project.config.env;
    // Missing requirements are bad input: refused now, not when a worker gets the run.
    await readRequirementFiles(project.dir, env?.requirements === undefined ? [] : Array.isArray(env.requirements) ? env.requirements : [env.requirements]);
    const source = req.noGit ? this.#d.codeSources.folder : this.#d.codeSources.git;
    const [code, facts] = await Promise.all([
      req.code ?? source.capture(project.dir, this.#d.blobs, { portable: true }).then((c) => c.version),
      this.#d.host.facts(),
    ]);

    const at = Date.now();
    // Pinned once for all the runs: every run of a sweep reads the same rows.
    const data = await pinDataInputs(this.#d, project.config, at);
    const points = req.sweep ? expandSweep(req.sweep.spec) : [{}];
    const sweep: SweepRecord | null = req.sweep
      ? {
          id: newRunId(at),
          name: req.sweep.name ?? (await this.#freshName()),
          project: project.name,
          createdAt: at,
          createdBy: req.by,
          spec: req.sweep.spec,
          description: describeSweep(req.sweep.spec),
          runs: points.length,
        }
      : null;
    if (sweep) checkName(sweep.name, '--name');
    const runs: RunRecord[] = [];
    for (const [index, point] of points.entries()) {
      const createdAt = at + index;
      const id = newRunId(createdAt);
      const pointOverrides: ParamOverride[] = Object.entries(point).map(([key, value]) => ({ raw: `${key}=${JSON.stringify(value)}`, path: key.split('.'), value }));
      const params = applyOverrides(base, pointOverrides);
      const name = sweep ? `${sweep.name}-${index + 1}` : (req.name ?? (await this.#freshName()));
      const seedSource = req.seed !== undefined ? 'flag' : project.config.seed !== undefined ? 'config' : 'generated';
      const seed = req.seed ?? project.config.seed ?? randomInt(0, 2 ** 31 - 1);
      const manifest: RunManifest = {
        ...freshManifest({
          run: { id, name, project: project.name, dev: req.dev ?? false, createdAt },
          trigger: req.trigger ?? (sweep ? { kind: 'sweep', by: req.by, sweep: sweep.name } : { kind: 'submit', by: req.by }),
          code,
          params: {
            file: project.config.params ?? null,
            values: params,
            overrides: [...overrides, ...pointOverrides].map((o) => ({ key: o.path.join('.'), value: o.value })),
            hash: contentHash(params),
          },
          // The submitting machine's facts until a worker records its own.
          environment: { ...facts, python: null, repriseVersion: this.#d.repriseVersion, requirements: [], image: null, resolved: null },
          pipeline: {
            configFile: 'reprise.yaml',
            stages: project.config.stages.map((s) => ({ name: s.name, cmd: s.cmd })),
            seed,
            seedSource,
            executor: 'queue',
            host: facts.hostname,
            ...pipelineRules(project.config),
          },
        }),
        ...(data ? { data } : {}),
        status: 'queued',
        submission: {
          via: sweep ? 'sweep' : 'submit',
          by: req.by,
          at,
          queue,
          priority,
          retries,
          attempt: 1,
          retryOf: null,
          gpus: resources.gpus ?? null,
          cpus: resources.cpus ?? null,
          memoryBytes: resources.memory ?? null,
          systemEnv: req.systemEnv ?? false,
          sweep: sweep ? { id: sweep.id, name: sweep.name, index } : null,
        },
      };
      runs.push({
        id,
        name,
        project: project.name,
        status: 'queued',
        dev: req.dev ?? false,
        createdAt,
        startedAt: null,
        endedAt: null,
        host: hostname(),
        pid: process.pid,
        pidStart: processStartTime(process.pid),
        heartbeatAt: createdAt,
        envHash: null,
        manifest,
      });
    }
    const delivery = req.delivery
      ? { ...req.delivery, project: project.name, commit: code.kind === 'git' ? code.commit : '', runIds: runs.map((r) => r.id) }
      : undefined;
    await this.#d.store.submitRuns(runs, sweep ?? undefined, delivery);
    return { runs, sweep };
  }

  async #resolve(req: StartRunRequest): Promise<RunPlan> {
    const overrides = (req.overrides ?? []).map(parseOverride);
    if (req.name !== undefined) checkName(req.name);
    checkSeed(req.seed);
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
    const data = await pinDataInputs(this.#d, project.config, createdAt);
    const id = newRunId(createdAt);
    const name = req.name ?? (await this.#freshName());
    const seedSource = req.seed !== undefined ? 'flag' : project.config.seed !== undefined ? 'config' : 'generated';
    const seed = req.seed ?? project.config.seed ?? randomInt(0, 2 ** 31 - 1);
    const folders = runFolders(this.#d.runsDir, id, captured.version.subdir, project.config);
    const manifest = freshManifest({
      run: { id, name, project: project.name, dev: req.dev ?? false, createdAt },
      trigger: { kind: 'run', by: req.by ?? facts.user },
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
      manifest: data ? { ...manifest, data } : manifest,
      captured,
      python,
      env,
      folders,
      ...settingsOf(project.config),
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

function checkName(name: string, flag = '--name'): void {
  if (!/^[^\s\u0000-\u001f][^\u0000-\u001f]{0,99}$/.test(name)) {
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', `${flag} ${JSON.stringify(name)}: a run name is 1 to 100 characters, without control characters or a leading space`);
  }
}

function checkSeed(seed: number | undefined): void {
  if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0 && seed < 2 ** 31)) {
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--seed ${seed}: expected a whole number from 0 to ${2 ** 31 - 1}`);
  }
}
