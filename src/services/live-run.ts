/**
 * @module services/live-run
 * One run from a prepared workspace to its final status: the environment, the stages in
 * order with their output and metrics streaming in, then logs, outputs and metrics stored
 * and the status settled. Created by RunService once the run is recorded.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RepriseError, isRepriseError } from '../core/errors.js';
import { evaluateGates } from '../core/gates.js';
import { manifestMetrics } from '../core/metric-summary.js';
import type { ProjectConfig } from '../core/project-config.js';
import type { RunRecord } from '../core/run.js';
import { ACTIVE_STATUSES, type BlobRef, type DataInput, type RunManifest, type RunStatus, type StageRecord } from '../core/run-manifest.js';
import type { CapturedCode } from '../ports/code-source.js';
import type { ProcessExit } from '../ports/executor.js';
import type { PythonInterpreter } from '../ports/host-probe.js';
import type { DataSourceConfig } from '../core/data-query.js';
import { dataVariables, materializeDataInput } from './data-inputs.js';
import { provideEnvironment, type EnvironmentPlan } from './environment-plan.js';
import { MetricsTailer } from './metrics-tailer.js';
import { TensorboardTailer } from './tensorboard-tailer.js';
import { collectOutputs, outputSourcesFor } from './output-collector.js';
import { nothingRecorded } from './recorded-code.js';
import type { RunObserver, RunServiceDeps } from './run-service.js';
import { stageEnvironment, type RunFolders } from './run-workspace.js';
import { StageLogs } from './stage-logs.js';
import { SystemMetrics, systemMetricsInterval } from './system-metrics.js';

/** How long a stage gets to stop after SIGTERM on cancel before SIGKILL. */
export const CANCEL_GRACE_MS = 5_000;

/** Everything resolved before a run is recorded. */
export interface RunPlan {
  readonly manifest: RunManifest;
  readonly captured: CapturedCode;
  /** The code is in the workspace already (a reproduction reads its settings from it first). */
  readonly codeLaidOut?: boolean;
  readonly python: PythonInterpreter | null;
  readonly env: EnvironmentPlan | null;
  readonly folders: RunFolders;
  readonly declaredOutputs: readonly string[];
  readonly modelName: string | null;
  readonly stageEnv: ReadonlyMap<string, Record<string, string> | undefined>;
  /** `sources:` of the run's reprise.yaml: where its data queries other than the lake's connect. */
  readonly dataSources: Readonly<Record<string, DataSourceConfig>>;
  /** A reproduction: the original's data files by query name, used instead of querying again. */
  readonly recordedData?: ReadonlyMap<string, NonNullable<DataInput['snapshot']>>;
  /** Set for every stage over what reprise.yaml sets: the GPUs a worker gave the run. */
  readonly workerEnv?: Readonly<Record<string, string>>;
  readonly observer: RunObserver;
}

/** What a plan takes from the reprise.yaml of the code it runs: stage variables, declared outputs, the model's name. */
export function settingsOf(config: ProjectConfig): Pick<RunPlan, 'declaredOutputs' | 'modelName' | 'stageEnv' | 'dataSources'> {
  return {
    declaredOutputs: config.outputs ?? [],
    modelName: config.model?.name ?? null,
    stageEnv: new Map(config.stages.map((s) => [s.name, s.env])),
    dataSources: config.sources ?? {},
  };
}

/** One run from its first stage to its final status. */
export class LiveRun {
  #manifest: RunManifest;
  readonly #logs = new Map<string, StageLogs>();
  readonly #tailer: MetricsTailer;
  readonly #tensorboard: TensorboardTailer;
  readonly folders: RunFolders;
  readonly observer: RunObserver;
  /** The venv stages run in, once prepared; null for the system interpreter. */
  #venv: string | null = null;
  /** The process group of the stage running now (the executor starts each in its own). */
  #stagePid: number | null = null;
  /**
   * Where the stages' `mlflow` calls go, held from the run's start to its end. Opened as
   * the run is prepared, so an endpoint to start costs the stages nothing.
   */
  readonly #mlflow: Promise<{ readonly url: string; readonly token?: string; close(): Promise<void> } | null>;
  #mlflowUrl: string | null = null;
  #mlflowToken: string | null = null;
  #system: SystemMetrics | undefined;

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
    this.#tensorboard = new TensorboardTailer({
      dir: plan.folders.tb,
      store: d.store,
      runId: record.id,
      onProblem: (p) => plan.observer.warning?.(`TensorBoard file ${p.file}: record at byte ${p.offset} skipped: ${p.problem}`),
    });
    this.#mlflow = (d.mlflow?.open(record.id) ?? Promise.resolve(null)).catch((e: unknown) => {
      plan.observer.warning?.(`mlflow calls of the stages will not reach this run: ${messageOf(e)}`);
      return null;
    });
  }

  async #save(patch: { status?: RunStatus; startedAt?: number; endedAt?: number } = {}): Promise<void> {
    await this.d.store.updateRun(this.record.id, { ...patch, manifest: this.#manifest });
  }

  /**
   * The last save, only while the run is still active: a run settled meanwhile by
   * someone else (marked lost because its worker went quiet) keeps that ending, so a
   * run is never completed twice. False when it did not apply.
   */
  async #saveFinal(patch: { status: RunStatus; endedAt: number }): Promise<boolean> {
    try {
      return await this.d.store.updateRun(this.record.id, { ...patch, manifest: this.#manifest }, ACTIVE_STATUSES);
    } catch (e) {
      if (isRepriseError(e) && e.code === 'REPRISE_ERR_LEASE_LOST') return false;
      throw e;
    }
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
    // Every run Reprise drives recorded its machine; only a run opened by a client lacks it.
    const facts = this.#manifest.environment;
    if (!facts) throw nothingRecorded(this.record, 'run through its stages');
    const lockInput: BlobRef | null = plan.lock ? await this.d.blobs.putBytes(plan.lock.content) : null;
    const started = Date.now();
    const env = await provideEnvironment(this.d.environments, plan, {
      projectDir: this.folders.project,
      lockCopy: join(this.folders.root, 'lock.txt'),
      onProgress: (line) => this.observer.envProgress?.(line),
      onNotice: (message) => this.observer.notice?.(message),
    });
    this.#venv = env.path;
    const lock = await this.d.blobs.putBytes(env.freeze);
    this.#manifest = {
      ...this.#manifest,
      environment: {
        ...facts,
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

  /**
   * Materializes the run's data queries into its data folder, each recorded in the
   * manifest as it is done (see data-inputs).
   */
  async prepareData(): Promise<void> {
    const inputs = this.#manifest.data ?? [];
    for (const [i, input] of inputs.entries()) {
      const snapshot = await materializeDataInput(
        { data: this.d.data, blobs: this.d.blobs, declared: this.plan.dataSources, dataDir: this.folders.data, ...(this.d.env ? { env: this.d.env } : {}) },
        input,
        this.plan.recordedData?.get(input.name),
      );
      const data = (this.#manifest.data ?? []).map((x, j) => (j === i ? { ...x, snapshot } : x));
      this.#manifest = { ...this.#manifest, data };
      await this.#save();
      this.observer.dataReady?.(data[i]!);
    }
  }

  async execute(signal: AbortSignal | undefined): Promise<RunRecord> {
    const startedAt = Date.now();
    this.#manifest = { ...this.#manifest, status: 'running', execution: { ...this.#manifest.execution, startedAt } };
    await this.#save({ status: 'running', startedAt });
    this.#tailer.start();
    this.#tensorboard.start();
    this.#startSystemMetrics();
    const mlflow = await this.#mlflow;
    this.#mlflowUrl = mlflow?.url ?? null;
    this.#mlflowToken = mlflow?.token ?? null;

    const stages = this.#manifest.pipeline.stages;
    for (let i = 0; i < stages.length; i++) {
      const stage = stages[i]!;
      if (signal?.aborted) return this.finish('canceled', { stage: stage.name, exitCode: null, message: `canceled before this stage started${why(signal)}`, stderrTail: [] });
      this.#setStage(i, { status: 'running', startedAt: Date.now() });
      await this.#save();
      this.observer.stageStarted?.(stage.name, i, stages.length);

      const { exit, canceled, tail, spawnError } = await this.#runStage(stage.name, stage.cmd, signal);
      const status = canceled ? 'canceled' : exit.exitCode === 0 ? 'succeeded' : 'failed';
      const rec = this.#setStage(i, { status, endedAt: Date.now(), exitCode: exit.exitCode, signal: exit.signal });
      this.observer.stageEnded?.(rec);
      if (canceled) {
        return this.finish('canceled', { stage: stage.name, exitCode: exit.exitCode, message: `canceled during stage ${stage.name}${why(signal)}`, stderrTail: tail });
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

  /** CPU, memory, disk, network and GPU samples as `system/*` metrics while the stages run. */
  #startSystemMetrics(): void {
    if (!this.d.systemMonitor) return;
    const intervalMs = systemMetricsInterval(this.d.env ?? process.env);
    const visible = this.plan.workerEnv?.CUDA_VISIBLE_DEVICES;
    // The GPUs a worker gave the run; all of the machine's for a run started here.
    const gpus = visible === undefined ? null : visible.split(',').filter((g) => g !== '');
    this.#system = new SystemMetrics({
      probe: this.d.systemMonitor.probe(),
      store: this.d.store,
      runId: this.record.id,
      intervalMs,
      scope: () => ({ processGroups: this.#stagePid !== null ? [this.#stagePid] : [], gpus }),
      onProblem: (m) => this.observer.warning?.(`system metrics: ${m}`),
    });
    this.#system.start();
  }

  async #runStage(name: string, cmd: string, signal: AbortSignal | undefined) {
    const mirror = this.d.logMirror;
    const logs = new StageLogs({
      dir: this.folders.logs,
      stage: name,
      onLine: (stream, line) => this.observer.output?.(name, stream, line),
      ...(mirror
        ? {
            mirror: (file, offset, data) => {
              mirror.append(this.record.id, name, file, offset, data).catch((e: unknown) => this.observer.warning?.(`live log not sent: ${messageOf(e)}`));
            },
          }
        : {}),
    });
    this.#logs.set(name, logs);
    const env = stageEnvironment(this.d.env ?? process.env, {
      runId: this.record.id,
      project: this.record.project,
      stage: name,
      seed: this.#manifest.pipeline.seed,
      folders: this.folders,
      sdkPythonPath: this.d.sdkPythonPath,
      venv: this.#venv,
      data: dataVariables(this.folders.data, this.#manifest.data),
      extra: {
        // The MLflow client resumes this very run: what it logs lands here.
        ...(this.#mlflowUrl !== null ? { MLFLOW_TRACKING_URI: this.#mlflowUrl, MLFLOW_RUN_ID: this.record.id } : {}),
        ...(this.#mlflowToken !== null ? { MLFLOW_TRACKING_TOKEN: this.#mlflowToken } : {}),
        ...(this.plan.stageEnv.get(name) ?? {}),
        ...(this.plan.workerEnv ?? {}),
      },
    });
    let canceled = false;
    let exit: ProcessExit;
    let spawnError: string | undefined;
    const proc = this.d.executor.start({ command: cmd, cwd: this.folders.project, env });
    this.#stagePid = proc.pid;
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
      this.#stagePid = null;
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

    await attempt('sampling system metrics', async () => {
      await this.#system?.stop();
    });
    await attempt('closing the MLflow endpoint', async () => {
      await (await this.#mlflow)?.close();
    });
    await attempt('reading metrics', async () => {
      const p = await this.#tailer.stop();
      this.#manifest = { ...this.#manifest, outputs: { ...this.#manifest.outputs, metricProblems: p } };
      if (p.count > 0) this.observer.warning?.(`${p.count} line(s) of the metrics file could not be read; see \`reprise show\``);
    });
    await attempt('reading TensorBoard event files', async () => {
      const r = await this.#tensorboard.stop();
      if (r.files > 0) this.#manifest = { ...this.#manifest, outputs: { ...this.#manifest.outputs, tensorboard: r } };
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
      // Files a client uploaded while the run went (mlflow.log_artifact, log_model) stay beside the outputs.
      const collected = new Set(artifacts.map((a) => a.path));
      const uploaded = (await this.d.store.listArtifacts(this.record.id)).filter((a) => !collected.has(a.path));
      artifacts.push(...uploaded);
      artifacts.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
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
      this.#manifest = { ...this.#manifest, outputs: { ...this.#manifest.outputs, metrics: manifestMetrics(summaries) } };
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
    if (finalStatus === 'succeeded') {
      // Judged by the gates its own code declared, on the metrics as stored.
      const gate = evaluateGates(this.#manifest.pipeline.gates ?? [], this.#manifest.outputs.metrics, endedAt);
      this.#manifest = { ...this.#manifest, outputs: { ...this.#manifest.outputs, gate } };
    }
    const stages = this.#manifest.execution.stages.map((s) => (s.status === 'pending' ? { ...s, status: 'skipped' as const } : s));
    this.#manifest = {
      ...this.#manifest,
      status: finalStatus,
      failure: finalFailure,
      execution: { ...this.#manifest.execution, endedAt, stages },
    };
    if (!(await this.#saveFinal({ status: finalStatus, endedAt }))) {
      this.observer.warning?.(`the run was settled elsewhere while it ended (its lease was lost); its ${finalStatus} ending was not recorded`);
    }
    const saved = await this.d.store.getRun(this.record.id);
    if (!saved) throw new RepriseError('REPRISE_ERR_INTERNAL', `run ${this.record.id} vanished from the store while it ran. This is a bug in Reprise.`);
    return saved;
  }
}

/** Who or what canceled the run, when the abort said (`reprise cancel`, a stopped agent). */
function why(signal: AbortSignal | undefined): string {
  return typeof signal?.reason === 'string' ? ` (${signal.reason})` : '';
}

function describeFailure(stage: string, cmd: string, exit: ProcessExit): string {
  if (exit.signal) return `stage ${stage} was killed by ${exit.signal}`;
  if (exit.exitCode === 127) return `stage ${stage} failed: command not found (exit 127) running \`${cmd}\``;
  if (exit.exitCode === 126) return `stage ${stage} failed: command not executable (exit 126) running \`${cmd}\``;
  return `stage ${stage} failed with exit code ${exit.exitCode}`;
}

export function messageOf(e: unknown): string {
  if (isRepriseError(e)) return e.message;
  return e instanceof Error ? e.message : String(e);
}
