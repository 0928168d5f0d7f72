/**
 * @module services/run-service
 * Starting and tracking a run, written once: resolve (config, params, code, environment),
 * record, prepare the workspace, run the stages in order while their output and metrics
 * stream in, then store outputs and logs and settle the status. Bad input is refused
 * before a run exists; once a run exists it always ends with a status and a reason.
 */
import { randomInt } from 'node:crypto';
import { stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { hostname } from 'node:os';
import { contentHash } from '../core/canonical-json.js';
import { RepriseError, isRepriseError } from '../core/errors.js';
import { newRunId, newRunName } from '../core/ids.js';
import { applyOverrides, parseOverride, type Params } from '../core/params.js';
import { encodeNumber } from '../core/json-number.js';
import type { RunRecord } from '../core/run.js';
import {
  MANIFEST_SCHEMA_VERSION,
  type BlobRef,
  type ManifestMetric,
  type MetricSummary,
  type RunManifest,
  type RunStatus,
  type StageRecord,
} from '../core/run-manifest.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { CapturedCode, CodeSource } from '../ports/code-source.js';
import type { EnvironmentProvider, PreparedEnvironment } from '../ports/environment-provider.js';
import type { Executor, ProcessExit } from '../ports/executor.js';
import type { HostProbe, PythonInterpreter } from '../ports/host-probe.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { processStartTime } from '../platform/process-identity.js';
import { MetricsTailer, type MetricProblem } from './metrics-tailer.js';
import { collectOutputs, outputSourcesFor } from './output-collector.js';
import { installArgs, planEnvironment, type EnvironmentPlan } from './environment-plan.js';
import { loadProject, readParamsFile } from './project-loader.js';
import { prepareWorkspace, removeWorkspace, runFolders, stageEnvironment, type RunFolders } from './run-workspace.js';
import { StageLogs, type StreamName } from './stage-logs.js';

/** How often a running run says it is alive; other machines judge it lost without it. */
export const HEARTBEAT_MS = 5_000;
/** How long a stage gets to stop after SIGTERM on cancel before SIGKILL. */
export const CANCEL_GRACE_MS = 5_000;

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
}

export class RunService {
  readonly #d: RunServiceDeps;

  constructor(deps: RunServiceDeps) {
    this.#d = deps;
  }

  /** Runs the project's pipeline to the end and returns the finished run. */
  async run(req: StartRunRequest): Promise<RunRecord> {
    const plan = await this.#resolve(req);
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
        await prepareWorkspace(folders, captured, manifest.params.values as Params, python);
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
    if (req.name !== undefined && !/^[^\s\u0000-\u001f][^\u0000-\u001f]{0,99}$/.test(req.name)) {
      throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--name ${JSON.stringify(req.name)}: a run name is 1 to 100 characters, without control characters or a leading space`);
    }
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
    const manifest: RunManifest = {
      schemaVersion: MANIFEST_SCHEMA_VERSION,
      run: { id, name, project: project.name, dev: req.dev ?? false, createdAt },
      code: captured.version,
      params: {
        file: project.config.params ?? null,
        values: params,
        overrides: overrides.map((o) => ({ key: o.path.join('.'), value: o.value })),
        hash: contentHash(params),
      },
      environment: { ...facts, python, repriseVersion: this.#d.repriseVersion, requirements: [...(env?.files ?? [])], resolved: null },
      pipeline: {
        configFile: 'reprise.yaml',
        stages: project.config.stages.map((s) => ({ name: s.name, cmd: s.cmd })),
        seed,
        seedSource,
        executor: this.#d.executor.name,
        host: facts.hostname,
      },
      execution: {
        startedAt: null,
        endedAt: null,
        stages: project.config.stages.map((s) => ({
          name: s.name, cmd: s.cmd, status: 'pending', startedAt: null, endedAt: null, exitCode: null, signal: null, logs: null,
        })),
      },
      outputs: {
        metrics: {},
        metricsFile: null,
        metricProblems: { count: 0, examples: [] },
        artifacts: [],
        model: null,
      },
      status: 'preparing',
      failure: null,
    };
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

  /** A generated name no other run has, so a name alone finds a run. */
  async #freshName(): Promise<string> {
    for (let i = 0; i < 5; i++) {
      const name = newRunName();
      if ((await this.#d.store.findRuns(name, 1)).every((r) => r.name !== name)) return name;
    }
    return `${newRunName()}-${randomInt(1000, 9999)}`;
  }
}

/** Everything resolved before a run is recorded. */
interface RunPlan {
  readonly manifest: RunManifest;
  readonly captured: CapturedCode;
  readonly python: PythonInterpreter | null;
  readonly env: EnvironmentPlan | null;
  readonly folders: RunFolders;
  readonly declaredOutputs: readonly string[];
  readonly modelName: string | null;
  readonly stageEnv: ReadonlyMap<string, Record<string, string> | undefined>;
  readonly observer: RunObserver;
}

/** One run from its first stage to its final status. */
class LiveRun {
  #manifest: RunManifest;
  readonly #logs = new Map<string, StageLogs>();
  readonly #tailer: MetricsTailer;
  readonly folders: RunFolders;
  readonly observer: RunObserver;
  /** The venv stages run in, once prepared; null for the system interpreter. */
  #venv: string | null = null;

  constructor(
    private readonly d: RunServiceDeps,
    private readonly record: RunRecord,
    private readonly plan: RunPlan,
  ) {
    this.#manifest = record.manifest;
    this.folders = plan.folders;
    this.observer = plan.observer;
    this.#tailer = new MetricsTailer({
      path: plan.folders.metrics,
      store: d.store,
      runId: record.id,
      onProblem: (p) => plan.observer.metricProblem?.(p),
    });
  }

  async #save(patch: { status?: RunStatus; startedAt?: number; endedAt?: number } = {}): Promise<void> {
    await this.d.store.updateRun(this.record.id, { ...patch, manifest: this.#manifest });
  }

  #setStage(index: number, change: Partial<StageRecord>): StageRecord {
    const stages = this.#manifest.execution.stages.map((s, i) => (i === index ? { ...s, ...change } : s));
    this.#manifest = { ...this.#manifest, execution: { ...this.#manifest.execution, stages } };
    return stages[index]!;
  }

  /** Builds or reuses the run's environment and records exactly what it is. */
  async prepareEnvironment(): Promise<void> {
    const plan = this.plan.env;
    if (!plan) return;
    let lockCopy: string | null = null;
    let lockInput: BlobRef | null = null;
    if (plan.lock) {
      lockCopy = join(this.folders.root, 'lock.txt');
      await writeFile(lockCopy, plan.lock.content);
      lockInput = await this.d.blobs.putBytes(plan.lock.content);
    }
    const started = Date.now();
    const env = await this.d.environments.prepare({
      kind: plan.kind,
      python: plan.python,
      hash: plan.hash,
      source: plan.lock ? `lock ${basename(plan.lock.path)}` : plan.requirements.join(', ') || 'system',
      installArgs: installArgs(plan, this.folders.project, lockCopy),
      onProgress: (line) => this.observer.envProgress?.(line),
      onNotice: (message) => this.observer.warning?.(message),
    });
    this.#venv = env.path;
    const lock = await this.d.blobs.putBytes(env.freeze);
    this.#manifest = {
      ...this.#manifest,
      environment: {
        ...this.#manifest.environment,
        python: env.python,
        resolved: {
          kind: env.kind,
          hash: env.hash,
          source: plan.source,
          path: env.path,
          pythonVersion: env.python.version,
          pipVersion: env.pipVersion,
          lock,
          lockInput,
          pip: { ...plan.pip, extraIndexUrls: [...plan.pip.extraIndexUrls], findLinks: [...plan.pip.findLinks] },
          cacheHit: env.cacheHit,
          rebuiltBecause: env.rebuiltBecause,
          buildMs: env.buildMs,
          prepareMs: Date.now() - started,
        },
      },
    };
    await this.#save();
    this.observer.envReady?.(env);
  }

  async execute(signal: AbortSignal | undefined): Promise<RunRecord> {
    const startedAt = Date.now();
    this.#manifest = { ...this.#manifest, status: 'running', execution: { ...this.#manifest.execution, startedAt } };
    await this.#save({ status: 'running', startedAt });
    this.#tailer.start();

    const stages = this.#manifest.pipeline.stages;
    for (let i = 0; i < stages.length; i++) {
      const stage = stages[i]!;
      if (signal?.aborted) return this.finish('canceled', { stage: stage.name, exitCode: null, message: 'canceled before this stage started', stderrTail: [] });
      this.#setStage(i, { status: 'running', startedAt: Date.now() });
      await this.#save();
      this.observer.stageStarted?.(stage.name, i, stages.length);

      const { exit, canceled, tail, spawnError } = await this.#runStage(stage.name, stage.cmd, signal);
      const status = canceled ? 'canceled' : exit.exitCode === 0 ? 'succeeded' : 'failed';
      const rec = this.#setStage(i, { status, endedAt: Date.now(), exitCode: exit.exitCode, signal: exit.signal });
      this.observer.stageEnded?.(rec);
      if (canceled) {
        return this.finish('canceled', { stage: stage.name, exitCode: exit.exitCode, message: `canceled during stage ${stage.name}`, stderrTail: tail });
      }
      if (status === 'failed') {
        return this.finish('failed', {
          stage: stage.name,
          exitCode: exit.exitCode,
          message: spawnError ?? describeFailure(stage.name, stage.cmd, exit),
          stderrTail: tail,
        });
      }
      await this.#save();
    }
    return this.finish('succeeded', null);
  }

  async #runStage(name: string, cmd: string, signal: AbortSignal | undefined) {
    const logs = new StageLogs(this.folders.logs, name, (stream, line) => this.observer.output?.(name, stream, line));
    this.#logs.set(name, logs);
    const env = stageEnvironment(this.d.env ?? process.env, {
      runId: this.record.id,
      project: this.record.project,
      stage: name,
      seed: this.#manifest.pipeline.seed,
      folders: this.folders,
      sdkPythonPath: this.d.sdkPythonPath,
      venv: this.#venv,
      extra: this.plan.stageEnv.get(name),
    });
    let canceled = false;
    let exit: ProcessExit;
    let spawnError: string | undefined;
    const proc = this.d.executor.start({ command: cmd, cwd: this.folders.project, env });
    logs.attach(proc.stdout, 'stdout');
    logs.attach(proc.stderr, 'stderr');
    const onAbort = (): void => {
      canceled = true;
      void proc.terminate(CANCEL_GRACE_MS);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    try {
      exit = await proc.exited;
    } catch (e) {
      spawnError = `stage ${name} could not be started: ${messageOf(e)}`;
      exit = { exitCode: null, signal: null };
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    await logs.close();
    return { exit, canceled, tail: logs.stderrTail, spawnError };
  }

  /** Stores logs, metrics and outputs, then records the final status. Never throws for a run's own failure. */
  async finish(status: RunStatus, failure: RunManifest['failure']): Promise<RunRecord> {
    const problems: string[] = [];
    const attempt = async (what: string, fn: () => Promise<void>): Promise<void> => {
      try {
        await fn();
      } catch (e) {
        problems.push(`${what}: ${messageOf(e)}`);
      }
    };

    await attempt('reading metrics', async () => {
      const p = await this.#tailer.stop();
      this.#manifest = { ...this.#manifest, outputs: { ...this.#manifest.outputs, metricProblems: p } };
      if (p.count > 0) this.observer.warning?.(`${p.count} line(s) of the metrics file could not be read; see \`reprise show\``);
    });
    await attempt('storing logs', async () => {
      for (let i = 0; i < this.#manifest.execution.stages.length; i++) {
        const stageName = this.#manifest.execution.stages[i]!.name;
        const logs = this.#logs.get(stageName);
        if (!logs) continue;
        const [stdout, stderr, combined] = await Promise.all([
          this.d.blobs.putFile(logs.paths.stdout),
          this.d.blobs.putFile(logs.paths.stderr),
          this.d.blobs.putFile(logs.paths.combined),
        ]);
        this.#setStage(i, { logs: { stdout, stderr, combined } });
      }
    });
    await attempt('storing outputs', async () => {
      const { artifacts, skipped } = await collectOutputs(
        outputSourcesFor({
          outputDir: this.folders.outputs,
          modelDir: this.folders.model,
          projectWorkspace: this.folders.project,
          declared: this.plan.declaredOutputs,
        }),
        this.d.blobs,
      );
      for (const s of skipped) this.observer.warning?.(`not stored: ${s}`);
      const modelFiles = artifacts.filter((a) => a.path.startsWith('model/'));
      const metricsFile = (await stat(this.folders.metrics).catch(() => undefined))?.size
        ? await this.d.blobs.putFile(this.folders.metrics)
        : null;
      await this.d.store.setArtifacts(this.record.id, artifacts);
      this.#manifest = {
        ...this.#manifest,
        outputs: {
          ...this.#manifest.outputs,
          artifacts,
          metricsFile,
          model: modelFiles.length
            ? { path: 'model', name: this.plan.modelName, files: modelFiles.length, bytes: modelFiles.reduce((n, a) => n + a.size, 0) }
            : null,
        },
      };
    });
    await attempt('summarising metrics', async () => {
      const summaries = (await this.d.store.metricSummaries([this.record.id])).get(this.record.id) ?? {};
      this.#manifest = { ...this.#manifest, outputs: { ...this.#manifest.outputs, metrics: encodeSummaries(summaries) } };
    });

    let finalStatus = status;
    let finalFailure = failure;
    if (problems.length > 0 && status === 'succeeded') {
      finalStatus = 'failed';
      finalFailure = { stage: null, exitCode: null, message: `the stages succeeded but ${problems.join('; ')}`, stderrTail: [] };
    } else if (problems.length > 0 && failure) {
      finalFailure = { ...failure, message: `${failure.message}; also ${problems.join('; ')}` };
    }
    const endedAt = Date.now();
    const stages = this.#manifest.execution.stages.map((s) => (s.status === 'pending' ? { ...s, status: 'skipped' as const } : s));
    this.#manifest = {
      ...this.#manifest,
      status: finalStatus,
      failure: finalFailure,
      execution: { ...this.#manifest.execution, endedAt, stages },
    };
    await this.#save({ status: finalStatus, endedAt });
    const saved = await this.d.store.getRun(this.record.id);
    if (!saved) throw new RepriseError('REPRISE_ERR_INTERNAL', `run ${this.record.id} vanished from the store while it ran. This is a bug in Reprise.`);
    return saved;
  }
}

function encodeSummaries(s: Record<string, MetricSummary>): Record<string, ManifestMetric> {
  const out: Record<string, ManifestMetric> = {};
  for (const [k, v] of Object.entries(s)) {
    out[k] = { last: encodeNumber(v.last), lastStep: v.lastStep, min: encodeNumber(v.min), max: encodeNumber(v.max), count: v.count };
  }
  return out;
}

function describeFailure(stage: string, cmd: string, exit: ProcessExit): string {
  if (exit.signal) return `stage ${stage} was killed by ${exit.signal}`;
  if (exit.exitCode === 127) return `stage ${stage} failed: command not found (exit 127) running \`${cmd}\``;
  if (exit.exitCode === 126) return `stage ${stage} failed: command not executable (exit 126) running \`${cmd}\``;
  return `stage ${stage} failed with exit code ${exit.exitCode}`;
}

function messageOf(e: unknown): string {
  if (isRepriseError(e)) return e.message;
  return e instanceof Error ? e.message : String(e);
}
