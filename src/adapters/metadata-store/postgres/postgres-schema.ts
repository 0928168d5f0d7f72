/**
 * @module adapters/metadata-store/postgres/postgres-schema
 * The PostgreSQL schema, as ordered migrations, and its tables as kysely sees them.
 * `schema_migrations` records each version applied (see postgres-migrate.ts); migration 1
 * is the SQLite store's schema as it stood then, and each later one adds what SQLite's
 * later migrations add, with the same table and column names, translated: times in ms as bigint,
 * metric and histogram values as double precision (NaN and ±Infinity kept, except in
 * metric summaries, where NULL stands for NaN as in SQLite so that a NaN compares as no
 * value), metric chunks and buckets as bytea, records as jsonb. Text that runs are
 * compared or ordered by is `COLLATE "C"`: byte order, as SQLite compares, whatever the
 * database's locale.
 */
import type { ColumnType, Generated } from 'kysely';
import type { RunManifest } from '../../../core/run-manifest.js';

/** SQL, or a function for a migration that must rewrite rows in code. */
export type PostgresMigration = string | ((query: (text: string, values?: readonly unknown[]) => Promise<unknown>) => Promise<void>);

/** Points per stored chunk: a series of a million points is about a thousand rows. */
export const METRIC_CHUNK_POINTS = 1024;

/**
 * Text values (params, tags) are indexed by their first characters: a btree entry holds
 * at most about 2.7 kB, and values may be longer. Equality is looked up on the prefix,
 * then checked in full when the value is longer.
 */
export const INDEXED_TEXT_CHARS = 256;

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  `
  CREATE TABLE runs (
    id text COLLATE "C" PRIMARY KEY,
    name text COLLATE "C" NOT NULL,
    project text COLLATE "C" NOT NULL,
    status text COLLATE "C" NOT NULL,
    dev boolean NOT NULL,
    created_at bigint NOT NULL,
    started_at bigint,
    ended_at bigint,
    host text COLLATE "C" NOT NULL,
    pid bigint NOT NULL,
    pid_start text NOT NULL,
    heartbeat_at bigint NOT NULL,
    env_hash text COLLATE "C",
    commit_sha text COLLATE "C",
    gate text COLLATE "C",
    -- The queue: a queued run's placement, copied from its manifest's submission.
    queue text COLLATE "C",
    priority integer,
    gpus integer,
    sweep_id text COLLATE "C",
    -- The worker that claimed the run, so late reports from another are refused.
    worker text COLLATE "C",
    cancel_by text,
    cancel_at bigint,
    -- core/trigger's kind: what started the run.
    trigger_kind text COLLATE "C",
    deleted_at bigint,
    manifest jsonb NOT NULL
  );
  -- The manifest (a few kB) is kept apart from the row, so that searches, which read the
  -- columns above, read a few hundred bytes per run.
  ALTER TABLE runs SET (toast_tuple_target = 256);
  -- Listings newest first, ties by id, read straight from an index; a project's alike.
  CREATE INDEX runs_created_id ON runs (created_at, id);
  CREATE INDEX runs_project_created ON runs (project, created_at, id);
  CREATE INDEX runs_name ON runs (name);
  -- Ids found by a prefix typed in any case.
  CREATE INDEX runs_id_lower ON runs (lower(id));
  CREATE INDEX runs_status ON runs (status);
  CREATE INDEX runs_env_hash ON runs (env_hash);
  CREATE INDEX runs_commit ON runs (commit_sha);
  CREATE INDEX runs_gate ON runs (gate);
  CREATE INDEX runs_trigger ON runs (trigger_kind, id);
  -- Claims read this in claim order.
  CREATE INDEX runs_claim ON runs (queue, priority DESC NULLS LAST, id) WHERE status = 'queued';
  CREATE INDEX runs_sweep ON runs (sweep_id, id) WHERE sweep_id IS NOT NULL;
  CREATE INDEX runs_worker ON runs (worker) WHERE worker IS NOT NULL;

  CREATE TABLE metric_series (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key text COLLATE "C" NOT NULL,
    UNIQUE (run_id, key)
  );
  -- Points in arrival order, float64 little-endian columns (sqlite-encoding.ts); readers
  -- sort by step. min_step/max_step prune step ranges; the summary is read without the points.
  CREATE TABLE metric_chunks (
    series_id bigint NOT NULL REFERENCES metric_series (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    n integer NOT NULL,
    min_step double precision NOT NULL,
    max_step double precision NOT NULL,
    summary bytea NOT NULL,
    steps bytea NOT NULL,
    ts bytea NOT NULL,
    vals bytea NOT NULL,
    PRIMARY KEY (series_id, seq)
  );
  -- Doubles hardly compress: stored out of line as they are, without trying.
  ALTER TABLE metric_chunks ALTER COLUMN steps SET STORAGE EXTERNAL;
  ALTER TABLE metric_chunks ALTER COLUMN ts SET STORAGE EXTERNAL;
  ALTER TABLE metric_chunks ALTER COLUMN vals SET STORAGE EXTERNAL;

  -- The last seq applied per writer: a resent append is skipped.
  CREATE TABLE metric_writers (
    run_id text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    writer text NOT NULL,
    seq bigint NOT NULL,
    PRIMARY KEY (run_id, writer)
  );

  -- Kept on every append so listings never read series. NULL stands for NaN.
  CREATE TABLE metric_summaries (
    run_id text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key text COLLATE "C" NOT NULL,
    last double precision,
    last_step bigint NOT NULL,
    last_ts double precision NOT NULL,
    min double precision,
    max double precision,
    count bigint NOT NULL,
    PRIMARY KEY (run_id, key)
  );
  -- (key, value, run_id): a search ordered or filtered by a metric reads one of these.
  CREATE INDEX metric_summaries_key_last ON metric_summaries (key, last, run_id);
  CREATE INDEX metric_summaries_key_min ON metric_summaries (key, min, run_id);
  CREATE INDEX metric_summaries_key_max ON metric_summaries (key, max, run_id);

  -- num: the value when it is a number (booleans 1/0); text: its text in every case; json: the value.
  CREATE TABLE run_params (
    run_id text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key text COLLATE "C" NOT NULL,
    num double precision,
    text text COLLATE "C",
    json text NOT NULL,
    -- What the index holds of the text (a btree entry holds at most about 2.7 kB); a
    -- column of its own, so that the index alone answers.
    text_prefix text COLLATE "C" GENERATED ALWAYS AS (left(text, ${INDEXED_TEXT_CHARS})) STORED,
    PRIMARY KEY (run_id, key)
  );
  CREATE INDEX run_params_key_num ON run_params (key, num, run_id);
  CREATE INDEX run_params_key_text ON run_params (key, text_prefix, run_id);
  -- Params that are text alone, in order: a search ordered by a param reads their runs here.
  CREATE INDEX run_params_key_text_only ON run_params (key, text_prefix, run_id) WHERE num IS NULL AND text IS NOT NULL;
  -- A key and its values go together (only optimizer takes 'adam'): the planner is told.
  CREATE STATISTICS run_params_key_text_stats (mcv) ON key, text_prefix FROM run_params;

  CREATE TABLE run_tags (
    run_id text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key text COLLATE "C" NOT NULL,
    value text COLLATE "C" NOT NULL,
    value_prefix text COLLATE "C" GENERATED ALWAYS AS (left(value, ${INDEXED_TEXT_CHARS})) STORED,
    PRIMARY KEY (run_id, key)
  );
  CREATE INDEX run_tags_key_value ON run_tags (key, value_prefix, run_id);
  CREATE STATISTICS run_tags_key_value_stats (mcv) ON key, value_prefix FROM run_tags;

  CREATE TABLE artifacts (
    run_id text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    path text COLLATE "C" NOT NULL,
    size bigint NOT NULL,
    sha256 text NOT NULL,
    PRIMARY KEY (run_id, path)
  );
  CREATE INDEX artifacts_sha256 ON artifacts (sha256);

  CREATE TABLE images (
    ref text PRIMARY KEY,
    digest text NOT NULL,
    project text NOT NULL,
    commit_sha text NOT NULL,
    env_hash text,
    engine text NOT NULL,
    created_at bigint NOT NULL
  );
  CREATE INDEX images_commit_env ON images (commit_sha, env_hash);
  CREATE INDEX images_created ON images (created_at);

  -- How two runs compared (reprise reproduce / verify), found from either side.
  CREATE TABLE verifications (
    original text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    reproduction text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    verdict text NOT NULL,
    checked_at bigint NOT NULL,
    report jsonb NOT NULL,
    PRIMARY KEY (original, reproduction)
  );
  CREATE INDEX verifications_reproduction ON verifications (reproduction);

  CREATE TABLE run_retention (
    run_id text COLLATE "C" PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    state text NOT NULL,
    until bigint,
    reason text NOT NULL,
    manual boolean NOT NULL,
    by text,
    at bigint NOT NULL
  );

  -- The model store. Versions reference runs without cascading: a run that made a model
  -- version is never removed.
  CREATE TABLE models (
    name text COLLATE "C" PRIMARY KEY,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    description text,
    tags jsonb NOT NULL DEFAULT '{}'
  );
  CREATE TABLE model_versions (
    model text COLLATE "C" NOT NULL REFERENCES models (name),
    version integer NOT NULL,
    run_id text COLLATE "C" NOT NULL REFERENCES runs (id),
    created_at bigint NOT NULL,
    created_by text NOT NULL,
    note text,
    files jsonb NOT NULL,
    bytes bigint NOT NULL,
    lineage jsonb NOT NULL,
    description text,
    tags jsonb NOT NULL DEFAULT '{}',
    path text NOT NULL DEFAULT 'model',
    PRIMARY KEY (model, version),
    -- A run is at most one version of a model, even when two promotions race.
    UNIQUE (model, run_id)
  );
  CREATE INDEX model_versions_run ON model_versions (run_id);
  CREATE TABLE model_aliases (
    model text COLLATE "C" NOT NULL REFERENCES models (name),
    alias text COLLATE "C" NOT NULL,
    version integer NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (model, alias)
  );
  CREATE TABLE model_audit (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at bigint NOT NULL,
    by text NOT NULL,
    action text NOT NULL,
    model text COLLATE "C" NOT NULL,
    alias text NOT NULL,
    from_version integer,
    to_version integer NOT NULL,
    run_id text,
    note text
  );
  CREATE INDEX model_audit_model ON model_audit (model, id);

  CREATE TABLE sweeps (
    id text COLLATE "C" PRIMARY KEY,
    name text COLLATE "C" NOT NULL,
    project text COLLATE "C" NOT NULL,
    created_at bigint NOT NULL,
    created_by text NOT NULL,
    spec jsonb NOT NULL,
    description text NOT NULL,
    runs integer NOT NULL
  );
  CREATE INDEX sweeps_name ON sweeps (name);
  CREATE INDEX sweeps_id_lower ON sweeps (lower(id));
  CREATE INDEX sweeps_project ON sweeps (project, created_at);

  CREATE TABLE workers (
    id text COLLATE "C" PRIMARY KEY,
    name text NOT NULL,
    kind text NOT NULL,
    host text NOT NULL,
    pid bigint NOT NULL,
    queues jsonb NOT NULL,
    slots integer NOT NULL,
    gpus jsonb NOT NULL,
    version text NOT NULL,
    started_at bigint NOT NULL,
    seen_at bigint NOT NULL,
    stopped_at bigint
  );
  CREATE INDEX workers_seen ON workers (seen_at);

  -- Which runs read which data table as of which time, from their manifests' data queries.
  CREATE TABLE run_data_reads (
    run_id text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name text NOT NULL,
    source text NOT NULL,
    table_name text NOT NULL,
    as_of bigint NOT NULL,
    rows bigint,
    content_hash text,
    PRIMARY KEY (run_id, name, table_name)
  );
  CREATE INDEX run_data_reads_table ON run_data_reads (source, table_name, as_of);

  CREATE TABLE repository_links (
    project text COLLATE "C" PRIMARY KEY,
    url text NOT NULL,
    branch text NOT NULL,
    queue text,
    path text NOT NULL,
    secret text NOT NULL,
    created_at bigint NOT NULL,
    created_by text NOT NULL,
    updated_at bigint NOT NULL
  );

  -- Remembered in the transaction that queues their runs: the same delivery twice starts one run.
  CREATE TABLE hook_deliveries (
    provider text NOT NULL,
    delivery text NOT NULL,
    project text NOT NULL,
    received_at bigint NOT NULL,
    commit_sha text NOT NULL,
    run_ids jsonb NOT NULL,
    PRIMARY KEY (provider, delivery, project)
  );

  -- Projects as records (the MLflow API's experiments: an id each, 0 being the Default one
  -- its clients expect).
  CREATE TABLE projects (
    id bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 1) PRIMARY KEY,
    name text COLLATE "C" NOT NULL UNIQUE,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    deleted_at bigint,
    tags jsonb NOT NULL DEFAULT '{}',
    register_from text NOT NULL DEFAULT 'promoted'
  );
  INSERT INTO projects (id, name, created_at, updated_at)
    VALUES (0, 'Default', (extract(epoch FROM clock_timestamp()) * 1000)::bigint, (extract(epoch FROM clock_timestamp()) * 1000)::bigint);

  -- What MLflow clients record beside metrics. seq keeps the order they were first recorded in.
  CREATE TABLE run_datasets (
    run_id text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name text NOT NULL,
    digest text NOT NULL,
    body jsonb NOT NULL,
    seq bigint GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (run_id, name, digest)
  );
  CREATE TABLE run_models (
    run_id text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    model_id text NOT NULL,
    direction text NOT NULL,
    step bigint NOT NULL,
    seq bigint GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (run_id, model_id, direction)
  );
  CREATE TABLE logged_models (
    id text COLLATE "C" PRIMARY KEY,
    project text COLLATE "C" NOT NULL,
    name text NOT NULL,
    run_id text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    path text NOT NULL,
    status text NOT NULL,
    status_message text,
    model_type text,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    params jsonb NOT NULL,
    tags jsonb NOT NULL
  );
  CREATE INDEX logged_models_project ON logged_models (project, created_at);
  CREATE UNIQUE INDEX logged_models_run_path ON logged_models (run_id, path);

  -- Histogram points and notes, a row each; seq grows with every insert (arrival order).
  -- A point's buckets come last, [left, right, count] per bucket as float64 little-endian.
  -- Stats are NULL together when the writer gave none.
  CREATE TABLE histograms (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key text COLLATE "C" NOT NULL,
    step bigint NOT NULL,
    ts double precision NOT NULL,
    min double precision,
    max double precision,
    count double precision,
    sum double precision,
    sum_squares double precision,
    buckets bytea NOT NULL
  );
  -- A series in order from the index alone: sampling picks its rows before reading them.
  CREATE INDEX histograms_run_key_step ON histograms (run_id, key, step, ts, seq);

  CREATE TABLE run_notes (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key text COLLATE "C" NOT NULL,
    step bigint NOT NULL,
    ts double precision NOT NULL,
    text text NOT NULL
  );
  CREATE INDEX run_notes_run_key_step ON run_notes (run_id, key, step, seq);

  -- The store a copy (reprise migrate) filled this one from: one source only.
  CREATE TABLE store_copies (
    source text PRIMARY KEY,
    at bigint NOT NULL
  );
  `,
  // Users, grants, tokens, sessions and the audit log (ports/access-store.ts), with the
  // SQLite store's column names so that reprise migrate copies them as they are. Secrets
  // are kept as digests only. A token's user is NULL for the run tokens the server makes.
  `
  CREATE TABLE users (
    name text COLLATE "C" PRIMARY KEY,
    role text COLLATE "C" NOT NULL,
    disabled boolean NOT NULL DEFAULT false,
    created_at bigint NOT NULL,
    created_by text NOT NULL,
    password_hash text
  );
  CREATE TABLE project_grants (
    user_name text COLLATE "C" NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    project text COLLATE "C" NOT NULL,
    role text COLLATE "C" NOT NULL,
    PRIMARY KEY (user_name, project)
  );
  CREATE TABLE api_tokens (
    id text COLLATE "C" PRIMARY KEY,
    digest text COLLATE "C" NOT NULL UNIQUE,
    user_name text COLLATE "C" REFERENCES users (name),
    kind text COLLATE "C" NOT NULL,
    run_id text COLLATE "C",
    description text,
    created_at bigint NOT NULL,
    created_by text NOT NULL,
    expires_at bigint,
    revoked_at bigint,
    last_used_at bigint
  );
  CREATE INDEX api_tokens_user ON api_tokens (user_name, created_at);
  CREATE INDEX api_tokens_run ON api_tokens (run_id);
  CREATE TABLE web_sessions (
    digest text COLLATE "C" PRIMARY KEY,
    user_name text COLLATE "C" NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    csrf text NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL
  );
  CREATE INDEX web_sessions_user ON web_sessions (user_name);
  CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at bigint NOT NULL,
    by text COLLATE "C" NOT NULL,
    action text COLLATE "C" NOT NULL,
    target text COLLATE "C" NOT NULL,
    details jsonb NOT NULL DEFAULT '{}'
  );
  CREATE INDEX audit_log_at ON audit_log (at, id);
  `,
  // What the monitor of production models keeps (ports/monitoring-store.ts), with the
  // SQLite store's names so that reprise migrate copies it as it is: settings, reference
  // profiles, sampled requests, traffic per minute and node, drift windows and alerts.
  `
  CREATE TABLE model_monitors (
    model text COLLATE "C" PRIMARY KEY,
    settings jsonb NOT NULL,
    updated_at bigint NOT NULL,
    updated_by text NOT NULL
  );
  CREATE TABLE reference_profiles (
    model text COLLATE "C" NOT NULL,
    version integer NOT NULL,
    made_at bigint NOT NULL,
    profile jsonb,
    error text,
    PRIMARY KEY (model, version)
  );
  CREATE TABLE prediction_samples (
    request_id text COLLATE "C" PRIMARY KEY,
    model text COLLATE "C" NOT NULL,
    alias text COLLATE "C" NOT NULL,
    version integer NOT NULL,
    at bigint NOT NULL,
    latency_ms double precision NOT NULL,
    inputs jsonb NOT NULL,
    outputs jsonb,
    error text,
    feedback jsonb,
    feedback_at bigint
  );
  CREATE INDEX prediction_samples_model_at ON prediction_samples (model, at);
  CREATE TABLE model_traffic (
    model text COLLATE "C" NOT NULL,
    version integer NOT NULL,
    start bigint NOT NULL,
    node text COLLATE "C" NOT NULL,
    requests bigint NOT NULL,
    errors bigint NOT NULL,
    latency jsonb NOT NULL,
    PRIMARY KEY (model, version, start, node)
  );
  CREATE INDEX model_traffic_model_start ON model_traffic (model, start);
  CREATE TABLE drift_windows (
    model text COLLATE "C" NOT NULL,
    start bigint NOT NULL,
    version integer NOT NULL,
    "end" bigint NOT NULL,
    rows integer NOT NULL,
    record jsonb NOT NULL,
    PRIMARY KEY (model, start)
  );
  CREATE TABLE model_alerts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model text COLLATE "C" NOT NULL,
    version integer,
    kind text COLLATE "C" NOT NULL,
    subject text COLLATE "C",
    message text NOT NULL,
    value double precision,
    threshold double precision,
    window_start bigint,
    raised_at bigint NOT NULL,
    last_seen_at bigint NOT NULL,
    acked_at bigint,
    acked_by text,
    ack_note text,
    deliveries jsonb NOT NULL DEFAULT '[]'
  );
  CREATE INDEX model_alerts_model_raised ON model_alerts (model, raised_at);
  `,
];

/** A jsonb column: an object when read, its JSON text when written. */
type Json<T> = ColumnType<T, string, string>;

export interface RunsTable {
  id: string;
  name: string;
  project: string;
  status: string;
  dev: boolean;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  host: string;
  pid: number;
  pid_start: string;
  heartbeat_at: number;
  env_hash: string | null;
  commit_sha: string | null;
  gate: string | null;
  queue: string | null;
  priority: number | null;
  gpus: number | null;
  sweep_id: string | null;
  worker: string | null;
  cancel_by: string | null;
  cancel_at: number | null;
  trigger_kind: string | null;
  deleted_at: number | null;
  manifest: Json<RunManifest>;
}

export interface MetricSeriesTable {
  id: Generated<number>;
  run_id: string;
  key: string;
}

export interface MetricChunksTable {
  series_id: number;
  seq: number;
  n: number;
  min_step: number;
  max_step: number;
  summary: Buffer;
  steps: Buffer;
  ts: Buffer;
  vals: Buffer;
}

export interface MetricWritersTable {
  run_id: string;
  writer: string;
  seq: number;
}

export interface MetricSummariesTable {
  run_id: string;
  key: string;
  last: number | null;
  last_step: number;
  last_ts: number;
  min: number | null;
  max: number | null;
  count: number;
}

export interface RunParamsTable {
  run_id: string;
  key: string;
  num: number | null;
  text: string | null;
  json: string;
  text_prefix: ColumnType<string | null, never, never>;
}

export interface RunTagsTable {
  run_id: string;
  key: string;
  value: string;
  value_prefix: ColumnType<string, never, never>;
}

export interface ArtifactsTable {
  run_id: string;
  path: string;
  size: number;
  sha256: string;
}

export interface ImagesTable {
  ref: string;
  digest: string;
  project: string;
  commit_sha: string;
  env_hash: string | null;
  engine: string;
  created_at: number;
}

export interface VerificationsTable {
  original: string;
  reproduction: string;
  verdict: string;
  checked_at: number;
  /** core/verification's Verification. */
  report: Json<unknown>;
}

export interface RunRetentionTable {
  run_id: string;
  state: string;
  until: number | null;
  reason: string;
  manual: boolean;
  by: string | null;
  at: number;
}

export interface ModelsTable {
  name: string;
  created_at: number;
  updated_at: number;
  description: string | null;
  tags: ColumnType<Record<string, string>, string | undefined, string>;
}

export interface ModelVersionsTable {
  model: string;
  version: number;
  run_id: string;
  created_at: number;
  created_by: string;
  note: string | null;
  /** core/model-store's ModelFile[]. */
  files: Json<unknown>;
  bytes: number;
  /** core/model-store's ModelLineage. */
  lineage: Json<unknown>;
  description: string | null;
  tags: ColumnType<Record<string, string>, string | undefined, string>;
  /** The folder among the run's artifacts the files came from. */
  path: ColumnType<string, string | undefined, string>;
}

export interface ModelAliasesTable {
  model: string;
  alias: string;
  version: number;
  updated_at: number;
}

export interface ModelAuditTable {
  id: Generated<number>;
  at: number;
  by: string;
  action: string;
  model: string;
  alias: string;
  from_version: number | null;
  to_version: number;
  run_id: string | null;
  note: string | null;
}

export interface SweepsTable {
  id: string;
  name: string;
  project: string;
  created_at: number;
  created_by: string;
  spec: Json<unknown>;
  description: string;
  runs: number;
}

export interface WorkersTable {
  id: string;
  name: string;
  kind: string;
  host: string;
  pid: number;
  queues: Json<string[]>;
  slots: number;
  gpus: Json<string[]>;
  version: string;
  started_at: number;
  seen_at: number;
  stopped_at: number | null;
}

export interface RunDataReadsTable {
  run_id: string;
  name: string;
  source: string;
  table_name: string;
  as_of: number;
  rows: number | null;
  content_hash: string | null;
}

export interface RepositoryLinksTable {
  project: string;
  url: string;
  branch: string;
  queue: string | null;
  path: string;
  secret: string;
  created_at: number;
  created_by: string;
  updated_at: number;
}

export interface HookDeliveriesTable {
  provider: string;
  delivery: string;
  project: string;
  received_at: number;
  commit_sha: string;
  run_ids: Json<string[]>;
}

export interface ProjectsTable {
  id: Generated<number>;
  name: string;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
  tags: ColumnType<Record<string, string>, string | undefined, string>;
  register_from: ColumnType<string, string | undefined, string>;
}

export interface RunDatasetsTable {
  run_id: string;
  name: string;
  digest: string;
  /** core/client-records' RunDataset. */
  body: Json<unknown>;
  seq: Generated<number>;
}

export interface RunModelsTable {
  run_id: string;
  model_id: string;
  direction: string;
  step: number;
  seq: Generated<number>;
}

export interface LoggedModelsTable {
  id: string;
  project: string;
  name: string;
  run_id: string;
  path: string;
  status: string;
  status_message: string | null;
  model_type: string | null;
  created_at: number;
  updated_at: number;
  params: Json<Record<string, string>>;
  tags: Json<Record<string, string>>;
}

export interface HistogramsTable {
  seq: Generated<number>;
  run_id: string;
  key: string;
  step: number;
  ts: number;
  min: number | null;
  max: number | null;
  count: number | null;
  sum: number | null;
  sum_squares: number | null;
  buckets: Buffer;
}

export interface RunNotesTable {
  seq: Generated<number>;
  run_id: string;
  key: string;
  step: number;
  ts: number;
  text: string;
}

export interface StoreCopiesTable {
  source: string;
  at: number;
}

export interface UsersTable {
  name: string;
  role: string;
  disabled: boolean;
  created_at: number;
  created_by: string;
  password_hash: string | null;
}

export interface ProjectGrantsTable {
  user_name: string;
  project: string;
  role: string;
}

export interface ApiTokensTable {
  id: string;
  digest: string;
  user_name: string | null;
  kind: string;
  run_id: string | null;
  description: string | null;
  created_at: number;
  created_by: string;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface WebSessionsTable {
  digest: string;
  user_name: string;
  csrf: string;
  created_at: number;
  expires_at: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  by: string;
  action: string;
  target: string;
  /** core/access's AuditEntry details. */
  details: Json<Record<string, unknown>>;
}

export interface ModelMonitorsTable {
  model: string;
  /** core/model-monitoring's MonitorSettings. */
  settings: Json<unknown>;
  updated_at: number;
  updated_by: string;
}

export interface ReferenceProfilesTable {
  model: string;
  version: number;
  made_at: number;
  /** core/feature-profile's ReferenceProfile; null when it could not be made. */
  profile: ColumnType<unknown, string | null, string | null>;
  error: string | null;
}

export interface PredictionSamplesTable {
  request_id: string;
  model: string;
  alias: string;
  version: number;
  at: number;
  latency_ms: number;
  inputs: Json<unknown>;
  outputs: ColumnType<unknown, string | null, string | null>;
  error: string | null;
  feedback: ColumnType<unknown, string | null, string | null>;
  feedback_at: number | null;
}

export interface ModelTrafficTable {
  model: string;
  version: number;
  start: number;
  node: string;
  requests: number;
  errors: number;
  /** Counts per LATENCY_EDGES_MS bucket. */
  latency: Json<unknown>;
}

export interface DriftWindowsTable {
  model: string;
  start: number;
  version: number;
  end: number;
  rows: number;
  /** The rest of core/model-monitoring's DriftWindow (sql-monitoring-rows). */
  record: Json<unknown>;
}

export interface ModelAlertsTable {
  id: Generated<number>;
  model: string;
  version: number | null;
  kind: string;
  subject: string | null;
  message: string;
  value: number | null;
  threshold: number | null;
  window_start: number | null;
  raised_at: number;
  last_seen_at: number;
  acked_at: number | null;
  acked_by: string | null;
  ack_note: string | null;
  /** AlertDelivery[]. */
  deliveries: ColumnType<unknown, string | undefined, string>;
}

export interface SchemaMigrationsTable {
  version: number;
  applied_at: number;
}

export interface PostgresTables {
  runs: RunsTable;
  metric_series: MetricSeriesTable;
  metric_chunks: MetricChunksTable;
  metric_writers: MetricWritersTable;
  metric_summaries: MetricSummariesTable;
  run_params: RunParamsTable;
  run_tags: RunTagsTable;
  artifacts: ArtifactsTable;
  images: ImagesTable;
  verifications: VerificationsTable;
  run_retention: RunRetentionTable;
  models: ModelsTable;
  model_versions: ModelVersionsTable;
  model_aliases: ModelAliasesTable;
  model_audit: ModelAuditTable;
  sweeps: SweepsTable;
  workers: WorkersTable;
  run_data_reads: RunDataReadsTable;
  repository_links: RepositoryLinksTable;
  hook_deliveries: HookDeliveriesTable;
  projects: ProjectsTable;
  run_datasets: RunDatasetsTable;
  run_models: RunModelsTable;
  logged_models: LoggedModelsTable;
  histograms: HistogramsTable;
  run_notes: RunNotesTable;
  store_copies: StoreCopiesTable;
  users: UsersTable;
  project_grants: ProjectGrantsTable;
  api_tokens: ApiTokensTable;
  web_sessions: WebSessionsTable;
  audit_log: AuditLogTable;
  model_monitors: ModelMonitorsTable;
  reference_profiles: ReferenceProfilesTable;
  prediction_samples: PredictionSamplesTable;
  model_traffic: ModelTrafficTable;
  drift_windows: DriftWindowsTable;
  model_alerts: ModelAlertsTable;
  schema_migrations: SchemaMigrationsTable;
}
