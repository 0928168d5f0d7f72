/**
 * @module ports/metadata-store
 * Where runs, their metrics and their artifact lists are kept. Adapters: SQLite
 * (embedded default). Every adapter passes `metadata-store.contract.ts`.
 */
import type { RunPatch, RunRecord } from '../core/run.js';
import type { Artifact, MetricSummary, RunStatus } from '../core/run-manifest.js';

export interface StoredMetricPoint {
  readonly key: string;
  readonly step: number;
  /** UTC ms. */
  readonly ts: number;
  /** NaN and ±Infinity are legal and come back as written. */
  readonly value: number;
}

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
  readonly statuses?: readonly RunStatus[];
  readonly dev?: boolean;
  /** Newest first; default 100. */
  readonly limit?: number;
}

export interface MetadataStoreCapabilities {
  /** False where writers are serialised (SQLite): callers batch writes. */
  readonly concurrentWriters: boolean;
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

  listRuns(query: RunQuery): Promise<RunRecord[]>;

  /** Appends points in one transaction; points already stored are not deduplicated. */
  appendMetrics(runId: string, points: readonly StoredMetricPoint[]): Promise<void>;

  /** One key's series ordered by step, then time. */
  metricSeries(runId: string, key: string): Promise<StoredMetricPoint[]>;

  /** Per run, per key: last value (highest step, then latest), min, max, count. NaN is skipped by min/max. */
  metricSummaries(runIds: readonly string[]): Promise<Map<string, Record<string, MetricSummary>>>;

  /** Records a run's artifacts; replaces a previous list. */
  setArtifacts(runId: string, artifacts: readonly Artifact[]): Promise<void>;

  listArtifacts(runId: string): Promise<Artifact[]>;

  /** Records a built image; a second build with the same ref replaces the first. */
  saveImage(image: ImageRecord): Promise<void>;

  /** Images, newest first; only one project's with `project`. */
  listImages(project?: string): Promise<ImageRecord[]>;

  /** How many runs (any status) used each environment key. */
  countRunsByEnvironment(): Promise<Map<string, number>>;

  close(): Promise<void>;
}
