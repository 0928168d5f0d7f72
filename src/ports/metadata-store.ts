/**
 * @module ports/metadata-store
 * Where runs, their metrics and their artifact lists are kept. Adapters: SQLite
 * (embedded default). Every adapter passes `metadata-store.contract.ts`.
 */
import type { DownsampleMethod } from '../core/downsample.js';
import type { MetricBatch, MetricColumns } from '../core/metric-series.js';
import type { HistogramBatch, HistogramPoint, HistogramSeriesInfo } from '../core/histogram.js';
import type { RunNote } from '../core/run-note.js';
import type { ParamValue } from '../core/params.js';
import type { RunPatch, RunRecord } from '../core/run.js';
import type { FilterExpr, RunOrder } from '../core/run-filter.js';
import type { Artifact, MetricSummary, RunStatus } from '../core/run-manifest.js';
import type { Verification } from '../core/verification.js';
import type { ModelAuditEntry, ModelVersion, RegisteredModel, RunModelVersion, VersionRef } from '../core/model-store.js';

import type { RetentionMark } from '../core/retention.js';
import type { ProjectPatch, ProjectRecord } from '../core/project-record.js';
import type { LoggedModelRecord, RunDataset, RunInputs, RunModelLink } from '../core/client-records.js';
import type { HookDelivery, RepositoryLink } from '../core/repository-link.js';
import type { CancelRequest, QueueClaim, RunBeat, SweepRecord, SweepSummary, WorkerRegistration, WorkerRecord } from '../core/queue.js';

/** A container image built for a project at a commit with an environment. */
export interface ImageRecord {
  /** e.g. reprise/iris:0123456789ab */
  readonly ref: string;
  /** The engine's image id, `sha256:…`. */
  readonly digest: string;
  readonly project: string;
  readonly commit: string;
  readonly envHash: string | null;
  readonly engine: string;
  readonly createdAt: number;
}

export interface RunQuery {
  readonly project?: string;
  /** Runs of any of these projects (with `project`, both must hold). */
  readonly projects?: readonly string[];
  /** Deleted runs (the MLflow API's soft deletion) are left out unless asked for. Default `exclude`. */
  readonly deleted?: 'exclude' | 'only' | 'include';
  readonly statuses?: readonly RunStatus[];
  readonly dev?: boolean;
  /** Parsed by core/run-filter; adapters compile it to bound parameters. */
  readonly filter?: FilterExpr;
  /** Default: newest first. Runs without the value (a metric never logged) come last. */
  readonly order?: RunOrder;
  /** Default 100. */
  readonly limit?: number;
  /** `nextCursor` of the previous page, with the same query. */
  readonly cursor?: string;
}

export interface RunPage {
  readonly runs: RunRecord[];
  /** Opaque; null on the last page. Stable under inserts: pages never repeat or skip a run. */
  readonly nextCursor: string | null;
}

/** What a project's runs add up to: the projects page. */
export interface ProjectSummary {
  readonly name: string;
  readonly runs: number;
  readonly devRuns: number;
  readonly byStatus: Partial<Record<RunStatus, number>>;
  readonly firstRunAt: number;
  /** The latest of any run's creation, end or heartbeat. */
  readonly lastActivityAt: number;
}

/** The param, metric and tag keys a project's runs have: the columns a table can show. */
export interface RunKeys {
  readonly params: string[];
  readonly metrics: string[];
  readonly tags: string[];
}

/** One run reduced to when it ran and how it ended: what a dashboard counts. */
export interface TimelineEntry {
  readonly id: string;
  readonly name: string;
  readonly status: RunStatus;
  readonly dev: boolean;
  readonly createdAt: number;
  readonly endedAt: number | null;
}

export interface HistorySample {
  readonly maxPoints: number;
  readonly method?: DownsampleMethod;
}

/** Who sends a stream of appends, so a resent append is applied once. */
export interface MetricWriter {
  /** Unique per sender and run, e.g. a random id chosen by the runner. */
  readonly id: string;
  /** Increases by one with every append of that writer. */
  readonly seq: number;
}

/** A finished run brought from another store (`reprise import`), with all it recorded. */
export interface ImportedRun {
  readonly run: RunRecord;
  /** Params beyond the manifest's (logged later), under their dotted keys. */
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly tags: Readonly<Record<string, string>>;
  readonly artifacts: readonly Artifact[];
  readonly metrics: readonly MetricBatch[];
  /** Absent in bundles written before histograms and notes were kept. */
  readonly histograms?: readonly HistogramBatch[];
  readonly notes?: readonly RunNote[];
}

/** A promotion as the store applies it: the run is checked, and files and lineage read from it, in the same transaction. */
export interface NewModelVersion {
  readonly model: string;
  readonly runId: string;
  /** Moved to the new version; null to move none (a registration through the MLflow API). */
  readonly alias: string | null;
  /** The folder among the run's artifacts that holds the model; default `model`. */
  readonly path?: string;
  readonly description?: string | null;
  readonly tags?: Readonly<Record<string, string>>;
  readonly note: string | null;
  readonly by: string;
  readonly at: number;
  /** An admin's promotion of a run that did not pass its gates: the gates are waived, nothing else; the note is why (written `forced past the gates: …`). */
  readonly forced?: boolean;
}

/** Where an alias pointed before and after a move. */
export interface AliasMove {
  readonly alias: string;
  readonly from: number | null;
  readonly to: number;
}

/** Changes to a registered model or a version: its description, tags set and tags removed. */
export interface ModelPatch {
  readonly description?: string | null;
  readonly setTags?: Readonly<Record<string, string>>;
  readonly deleteTags?: readonly string[];
  readonly at: number;
}

export interface AliasChange {
  readonly model: string;
  readonly alias: string;
  readonly version: number;
  readonly note: string | null;
  readonly by: string;
  readonly at: number;
}

export interface MetadataStoreCapabilities {
  /** False where writers are serialised (SQLite): callers batch writes. */
  readonly concurrentWriters: boolean;
}

/** A run's read of a data table (see `listDataReads`). */
export interface DataRead {
  readonly runId: string;
  readonly runName: string;
  readonly project: string;
  readonly status: RunStatus;
  readonly createdAt: number;
  /** The query's name under `data:`. */
  readonly name: string;
  readonly asOf: number;
  /** Null until the run materialized it. */
  readonly rows: number | null;
  readonly contentHash: string | null;
}

export interface MetadataStore {
  readonly capabilities: MetadataStoreCapabilities;

  /** Creates or upgrades the schema; safe to call from many processes at once. Idempotent. */
  init(): Promise<void>;

  /** Inserts a new run. Fails if the id exists. */
  createRun(run: RunRecord): Promise<void>;

  /**
   * Applies `patch` to a run. With `onlyIf`, applies it only while the run's status is one
   * of those, atomically, and says whether it did: the way to end a run without
   * overwriting a concurrent ending (a run marked lost must not come back as running).
   */
  updateRun(id: string, patch: RunPatch, onlyIf?: readonly RunStatus[]): Promise<boolean>;

  getRun(id: string): Promise<RunRecord | undefined>;

  /** Runs whose id starts with `ref` (case-insensitive) or whose name is `ref`; at most `limit`. */
  findRuns(ref: string, limit: number): Promise<RunRecord[]>;

  /** A page of runs matching the query, in its order. */
  listRuns(query: RunQuery): Promise<RunPage>;

  /** How many runs a query matches (its order, cursor and limit ignored). */
  countRuns(query: RunQuery): Promise<number>;

  /** Every project with runs, by name. */
  listProjects(): Promise<ProjectSummary[]>;

  /** The keys used by a project's runs (every run's without a project), each list sorted. */
  runKeys(project?: string): Promise<RunKeys>;

  /** A project's runs, oldest first. */
  runTimeline(project: string): Promise<TimelineEntry[]>;

  /**
   * Appends points in one transaction. Several values per step are kept. With `writer`,
   * an append whose seq that writer already had applied is skipped: returns false then.
   */
  appendMetrics(runId: string, batches: readonly MetricBatch[], writer?: MetricWriter): Promise<boolean>;

  /** One key's series ordered by step, then time (arrival order for equal pairs); empty when unknown. */
  metricSeries(runId: string, key: string): Promise<MetricColumns>;

  /**
   * One key's history cut to at most `maxPoints` points by `downsample` (core/downsample),
   * with how many points are stored: the same answer as downsampling `metricSeries`, read
   * so that a long series is never held whole. Unknown keys give no points.
   */
  metricHistory(runId: string, key: string, sample: HistorySample): Promise<{ total: number; points: MetricColumns }>;

  /** Appends histogram points (several per step are kept), in one transaction. */
  appendHistograms(runId: string, batches: readonly HistogramBatch[]): Promise<void>;

  /** The histogram keys of a run, by key. */
  histogramKeys(runId: string): Promise<HistogramSeriesInfo[]>;

  /**
   * One key's histogram points in order of step, then time, then arrival; with `maxPoints`,
   * at most that many spread evenly over the series, its first and last kept
   * (core/histogram samplePoints). Unknown keys give none.
   */
  histogramSeries(runId: string, key: string, opts?: { readonly maxPoints?: number }): Promise<{ total: number; points: HistogramPoint[] }>;

  /** Appends notes (text at a step), in one transaction. */
  appendNotes(runId: string, notes: readonly RunNote[]): Promise<void>;

  /** A run's notes in order of key, step, then arrival; one key's with `key`. */
  runNotes(runId: string, query?: { readonly key?: string }): Promise<RunNote[]>;

  /** Sets params; a param already set keeps its value: another value is REPRISE_ERR_PARAM_IMMUTABLE. */
  logParams(runId: string, params: Readonly<Record<string, ParamValue>>): Promise<void>;

  /** Every param of a run under its dotted key: the resolved params file and params logged later. */
  runParams(runId: string): Promise<Record<string, ParamValue>>;

  /** The params of many runs at once; runs without any are left out. */
  paramsOf(runIds: readonly string[]): Promise<Map<string, Record<string, ParamValue>>>;

  /** Sets tags (mutable labels), replacing the values of keys already set. */
  setTags(runId: string, tags: Readonly<Record<string, string>>): Promise<void>;

  /** Removes a tag; says whether it existed. */
  deleteTag(runId: string, key: string): Promise<boolean>;

  tagsOf(runIds: readonly string[]): Promise<Map<string, Record<string, string>>>;

  /** Per run, per key: last value (highest step, then latest), min, max, count. NaN is skipped by min/max. */
  metricSummaries(runIds: readonly string[]): Promise<Map<string, Record<string, MetricSummary>>>;

  /** Records a run's artifacts; replaces a previous list. */
  setArtifacts(runId: string, artifacts: readonly Artifact[]): Promise<void>;

  listArtifacts(runId: string): Promise<Artifact[]>;

  /** Records a built image; a second build with the same ref replaces the first. */
  saveImage(image: ImageRecord): Promise<void>;

  /** Images, newest first; only one project's with `project`. */
  listImages(project?: string): Promise<ImageRecord[]>;

  /**
   * Writes a run from another store with its params, tags, artifacts and metric series,
   * all or nothing. False (and nothing written) when a run with its id is already here.
   */
  importRun(imported: ImportedRun): Promise<boolean>;

  /** Records how two runs compared; replaces an earlier check of the same pair. */
  saveVerification(v: Verification): Promise<void>;

  /** Per run, the checks it is part of (as original or reproduction), newest first; runs without any are left out. */
  verificationsOf(runIds: readonly string[]): Promise<Map<string, Verification[]>>;

  /**
   * Registers the run's model output as the next version of `model` (created on first
   * use), moves the alias to it, pins the run and writes the audit entry: all or
   * nothing. Refused (REPRISE_ERR_PROMOTION_REFUSED, REPRISE_ERR_MODEL_INVALID) unless
   * core/model-store's promotionRefusal allows the run as it is at that moment, and
   * when the run is already a version of that model.
   */
  createModelVersion(v: NewModelVersion): Promise<{ version: ModelVersion; alias: AliasMove | null }>;

  /** Every registered model, by name. */
  listModels(): Promise<RegisteredModel[]>;

  /** A model's versions, newest first; undefined for an unknown model. */
  modelVersions(model: string): Promise<{ model: RegisteredModel; versions: ModelVersion[] } | undefined>;

  /** One version by number or alias; undefined when either is unknown. */
  getModelVersion(model: string, ref: VersionRef): Promise<ModelVersion | undefined>;

  /** Points an alias at an existing version, with an audit entry; REPRISE_ERR_MODEL_NOT_FOUND for an unknown model or version. */
  moveAlias(change: AliasChange): Promise<AliasMove>;

  /** Promotions and alias moves, newest first; one model's with `model`. */
  modelAudit(query: { model?: string; limit?: number }): Promise<ModelAuditEntry[]>;

  /** The versions made from each run; runs without any are left out. */
  modelVersionsOfRuns(runIds: readonly string[]): Promise<Map<string, RunModelVersion[]>>;

  /**
   * Records a decided retention (kept, flagged, deleted, pinned), replacing an earlier one.
   * A pinned run takes no other mark (REPRISE_ERR_RUN_PINNED); a deleted one only pinned
   * is refused too (REPRISE_ERR_RETENTION_INVALID): what gc removed cannot be kept.
   */
  setRetention(runId: string, mark: RetentionMark): Promise<void>;

  /** The decided retention of runs; runs without a mark (retention follows from how they ended) are left out. */
  retentionMarks(runIds: readonly string[]): Promise<Map<string, RetentionMark>>;

  // The queue. An adapter behind a server dates claims, heartbeats and worker stops by
  // the server's clock, so workers on machines whose clocks differ are judged alike.

  /**
   * Inserts queued runs, and the sweep they make up when given, all or nothing. A run's
   * queue, priority and GPUs come from its manifest's submission. With a hook delivery,
   * the delivery is remembered in the same transaction, and one already remembered for
   * the same provider, id and project inserts nothing: REPRISE_ERR_HOOK_DELIVERY_SEEN.
   */
  submitRuns(runs: readonly RunRecord[], sweep?: SweepRecord, delivery?: HookDelivery): Promise<void>;

  /**
   * Takes the next queued run of the claim's queues that fits its free GPUs (highest
   * priority first, then the oldest) and marks it `preparing`, held by the claiming
   * worker and process. Two claims never get the same run. Undefined when none waits.
   */
  claimRun(claim: QueueClaim): Promise<RunRecord | undefined>;

  /**
   * Keeps runs alive: each named run that is still active gets `heartbeatAt = at`. With
   * `worker`, only runs that worker holds, and the worker counts as seen. Says of each
   * run whether it goes on, is asked to stop (`cancel`), or is `gone`: ended (lost,
   * canceled) or held by another worker.
   */
  heartbeat(beat: { readonly at: number; readonly runIds: readonly string[]; readonly worker?: string }): Promise<Record<string, RunBeat>>;

  /** Asks an active run to stop, whoever drives it; false when it is not active. */
  requestCancel(runId: string, request: CancelRequest): Promise<boolean>;

  /** A run's status and the worker holding it (null: not claimed from the queue). */
  runHolder(runId: string): Promise<{ readonly status: RunStatus; readonly worker: string | null } | undefined>;

  /**
   * Settles a run whose driver is gone: applies `patch` only while the run is active and,
   * in the same transaction, inserts its retry (a new queued run) when given. Says
   * whether it applied.
   */
  settleLostRun(id: string, patch: RunPatch, retry: RunRecord | null): Promise<boolean>;

  /** Records a worker as it starts (or starts again with the same id). */
  registerWorker(worker: WorkerRegistration): Promise<void>;

  /** Records that a worker stopped on purpose. */
  stopWorker(id: string, at: number): Promise<void>;

  /** Workers seen since `since`, or stopped since then, newest first, each with the active runs it holds. */
  listWorkers(since: number): Promise<WorkerRecord[]>;

  /** Sweeps with their runs counted by status, newest first; one project's with `project`. */
  listSweeps(query: { readonly project?: string; readonly limit?: number }): Promise<SweepSummary[]>;

  /** Sweeps whose id starts with `ref` (case-insensitive) or whose name is `ref`; at most `limit`. */
  findSweeps(ref: string, limit: number): Promise<SweepSummary[]>;

  /**
   * The runs that read a table of a data source (`lake`, or a source's name), newest
   * first: which query of each, as of which time, and what it got once materialized.
   */
  listDataReads(query: { readonly source: string; readonly table: string; readonly limit?: number }): Promise<DataRead[]>;

  // Repositories linked to projects, and the deliveries of their hosts' hooks.

  /** Links a project to a repository, or changes its link; the secret is kept for verifying deliveries. */
  saveRepositoryLink(link: RepositoryLink, secret: string): Promise<void>;

  /**
   * The links, by project name; one project's with `project`. Secrets are not part of
   * them; over HTTP, credentials in a URL are masked (`user:***@`).
   */
  repositoryLinks(project?: string): Promise<RepositoryLink[]>;

  /**
   * The secret of a project's link, for the server verifying a delivery. Only a store on
   * the server's own machine gives it: over HTTP a secret is never sent back
   * (REPRISE_ERR_REPO_LINK_INVALID saying so).
   */
  repositoryLinkSecret(project: string): Promise<string | undefined>;

  /** Removes a project's link; false when it had none. */
  deleteRepositoryLink(project: string): Promise<boolean>;

  /** A delivery remembered by submitRuns. */
  hookDelivery(provider: string, id: string, project: string): Promise<HookDelivery | undefined>;

  // Projects as records (the MLflow API's experiments). Every project with runs has one:
  // recording a run makes its project's record when it has none.

  /** A new project; REPRISE_ERR_PROJECT_EXISTS when the name is taken, deleted projects' included. */
  createProject(p: { readonly name: string; readonly at: number; readonly tags?: Readonly<Record<string, string>> }): Promise<ProjectRecord>;

  projectRecord(ref: { readonly id: number } | { readonly name: string }): Promise<ProjectRecord | undefined>;

  /** Every project's record, by id. */
  projectRecords(): Promise<ProjectRecord[]>;

  /**
   * Changes a project. Deleting it deletes its runs that were not deleted yet, at the same
   * time; restoring it restores those runs (and only those). REPRISE_ERR_PROJECT_NOT_FOUND
   * for an unknown project.
   */
  updateProject(name: string, patch: ProjectPatch): Promise<ProjectRecord>;

  /** Deletes a run (hidden from searches unless asked for) or, with null, restores it; false for an unknown run. */
  setRunDeleted(runId: string, at: number | null): Promise<boolean>;

  /** Renames a run (the MLflow API's `run_name`); its manifest says the new name too. */
  renameRun(runId: string, name: string): Promise<boolean>;

  /** Adds artifacts to a run's list, replacing any of the same path, in one transaction. */
  addArtifacts(runId: string, artifacts: readonly Artifact[]): Promise<void>;

  /** Removes a run's artifacts at `path` and under `path/`; how many went. */
  removeArtifacts(runId: string, path: string): Promise<number>;

  /** Records datasets a run read (one per name and digest) and models it took in or put out. */
  addRunInputs(runId: string, inputs: { readonly datasets?: readonly RunDataset[]; readonly models?: readonly RunModelLink[] }): Promise<void>;

  /** The recorded inputs of runs; runs without any are left out. */
  runInputs(runIds: readonly string[]): Promise<Map<string, RunInputs>>;

  /**
   * Records a logged model, or replaces the record of the same id. A new model's folder
   * among its run's artifacts is its name unless another model of the run has that folder:
   * then `models/<id>`. Returns the record as stored.
   */
  saveLoggedModel(m: Omit<LoggedModelRecord, 'path'> & { readonly path?: string }): Promise<LoggedModelRecord>;

  loggedModel(id: string): Promise<LoggedModelRecord | undefined>;

  /** Logged models of these projects (all with none), newest first. */
  loggedModels(query: { readonly projects?: readonly string[]; readonly runId?: string }): Promise<LoggedModelRecord[]>;

  deleteLoggedModel(id: string): Promise<boolean>;

  // The registry's records beyond promotion (the MLflow API's registered models).

  /** A registered model without versions yet; REPRISE_ERR_MODEL_EXISTS when the name is taken. */
  createModel(m: { readonly name: string; readonly by: string; readonly description: string | null; readonly tags: Readonly<Record<string, string>>; readonly at: number }): Promise<RegisteredModel>;

  /** REPRISE_ERR_MODEL_NOT_FOUND for an unknown model. */
  updateModel(name: string, patch: ModelPatch): Promise<RegisteredModel>;

  /** REPRISE_ERR_MODEL_NOT_FOUND for an unknown model or version. */
  updateModelVersion(name: string, version: number, patch: ModelPatch): Promise<ModelVersion>;

  /** Removes an alias, with an audit entry; false when the model had no such alias. */
  removeAlias(change: { readonly model: string; readonly alias: string; readonly by: string; readonly at: number }): Promise<boolean>;

  /**
   * Deletes a version (and the aliases on it), or the whole model with `version` absent,
   * with an audit entry. The runs stay pinned: a model once promoted keeps its lineage.
   * REPRISE_ERR_MODEL_NOT_FOUND for an unknown model or version.
   */
  deleteModel(change: { readonly model: string; readonly version?: number; readonly by: string; readonly at: number }): Promise<void>;

  /** Every version of every model (one model's with `model`), by model, newest first. */
  allModelVersions(model?: string): Promise<ModelVersion[]>;

  /** How many runs (any status) used each environment key. */
  countRunsByEnvironment(): Promise<Map<string, number>>;

  close(): Promise<void>;
}

/**
 * A store read table by table, for moving it to another backend (`reprise migrate`).
 * Rows come as the database holds them (numbers, strings, Buffers, null), in a stable
 * order, so a copy can be checked row for row.
 */
export interface StoreTableSource {
  /** The tables, each after every table its rows refer to. */
  tableNames(): Promise<readonly string[]>;
  countRows(table: string): Promise<number>;
  /** Up to `limit` rows after the position `after` (null: the first); `next` is null after the last. */
  readRows(table: string, after: string | null, limit: number): Promise<{ rows: readonly Record<string, unknown>[]; next: string | null }>;
  close(): Promise<void>;
}

/** A store written table by table: the other end of `StoreTableSource`, with the same tables and columns. */
export interface StoreTableSink {
  countRows(table: string): Promise<number>;
  /** Inserts rows, leaving alone those whose key is stored already (a copy run again); how many were new. */
  writeRows(table: string, rows: readonly Record<string, unknown>[]): Promise<number>;
  /** After a copy: counters (sequences) moved past the ids copied, so new rows get fresh ones. */
  finishCopy(): Promise<void>;
  /** The source an earlier copy into this store came from, or null for a store never copied into. */
  copiedFrom(): Promise<string | null>;
  /** Records the source before the first row is written, so a store cannot be filled from two. */
  markCopiedFrom(source: string): Promise<void>;
}
