/**
 * The SQLite schema, as ordered migrations. `PRAGMA user_version` holds how many have
 * been applied; a store newer than this code refuses to open rather than guess. A
 * migration is SQL, or a function where rows must be rewritten in code.
 */
import type Database from 'better-sqlite3';
import type { Generated } from 'kysely';
import { flattenParams, type Params } from '../../../core/params.js';
import { encodeChunk, paramColumns } from './sqlite-encoding.js';

export type Migration = string | ((db: Database.Database) => void);

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  `
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    project TEXT NOT NULL,
    status TEXT NOT NULL,
    dev INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    ended_at INTEGER,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    pid_start TEXT NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    manifest TEXT NOT NULL
  );
  CREATE INDEX runs_name ON runs(name);
  CREATE INDEX runs_created ON runs(created_at);
  CREATE INDEX runs_project_created ON runs(project, created_at);
  CREATE INDEX runs_status ON runs(status);

  -- value NULL stands for NaN: SQLite turns NaN into NULL, so the adapter maps it back.
  CREATE TABLE metrics (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    step INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    value REAL
  );
  CREATE INDEX metrics_run_key_step ON metrics(run_id, key, step);

  -- Kept on every append so listings never scan long series.
  CREATE TABLE metric_summaries (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    last REAL,
    last_step INTEGER NOT NULL,
    last_ts INTEGER NOT NULL,
    min REAL,
    max REAL,
    count INTEGER NOT NULL,
    PRIMARY KEY (run_id, key)
  );

  CREATE TABLE artifacts (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (run_id, path)
  );
  CREATE INDEX artifacts_sha256 ON artifacts(sha256);
  `,
  `
  ALTER TABLE runs ADD COLUMN env_hash TEXT;
  CREATE INDEX runs_env_hash ON runs(env_hash);
  `,
  `
  CREATE TABLE images (
    ref TEXT PRIMARY KEY,
    digest TEXT NOT NULL,
    project TEXT NOT NULL,
    commit_sha TEXT NOT NULL,
    env_hash TEXT,
    engine TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX images_commit_env ON images(commit_sha, env_hash);
  `,
  // Metrics move from a row per point to chunks of columns: a long series is read and
  // written as a few blobs. Params and tags get tables of their own so that search is
  // an indexed lookup, not a parse of every manifest.
  (db) => {
    db.exec(`
      ALTER TABLE runs ADD COLUMN commit_sha TEXT;
      UPDATE runs SET commit_sha = json_extract(manifest, '$.code.commit');
      CREATE INDEX runs_commit ON runs(commit_sha);

      CREATE TABLE metric_series (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        UNIQUE (run_id, key)
      );
      -- Points in arrival order; readers sort by step. min_step/max_step prune step ranges.
      CREATE TABLE metric_chunks (
        series_id INTEGER NOT NULL REFERENCES metric_series(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        n INTEGER NOT NULL,
        min_step REAL NOT NULL,
        max_step REAL NOT NULL,
        -- Small, and before the points, so it is read without them (sqlite-encoding.ts).
        summary BLOB NOT NULL,
        steps BLOB NOT NULL,
        ts BLOB NOT NULL,
        vals BLOB NOT NULL,
        PRIMARY KEY (series_id, seq)
      );
      -- The last seq applied per writer: a resent append is skipped.
      CREATE TABLE metric_writers (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        writer TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (run_id, writer)
      );
      -- (key, value, run_id): a search ordered by a metric or param walks one of these.
      CREATE INDEX metric_summaries_key_last ON metric_summaries(key, last, run_id);
      CREATE INDEX metric_summaries_key_min ON metric_summaries(key, min, run_id);
      CREATE INDEX metric_summaries_key_max ON metric_summaries(key, max, run_id);
      -- Listings newest first, ties by id, read straight from an index.
      CREATE INDEX runs_created_id ON runs(created_at, id);
      DROP INDEX runs_created;

      -- num: the value when it is a number (booleans 1/0); text: its text in every case.
      CREATE TABLE run_params (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        num REAL,
        text TEXT,
        json TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
      );
      CREATE INDEX run_params_key_num ON run_params(key, num, run_id);
      CREATE INDEX run_params_key_text ON run_params(key, text, run_id);

      CREATE TABLE run_tags (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
      );
      CREATE INDEX run_tags_key_value ON run_tags(key, value, run_id);
    `);
    const series = db.prepare('INSERT INTO metric_series (run_id, key) VALUES (?, ?)');
    const chunk = db.prepare('INSERT INTO metric_chunks (series_id, seq, n, min_step, max_step, summary, steps, ts, vals) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const keys = db.prepare('SELECT DISTINCT run_id, key FROM metrics').all() as { run_id: string; key: string }[];
    const points = db.prepare('SELECT step, ts, value FROM metrics WHERE run_id = ? AND key = ? ORDER BY step, ts, rowid');
    for (const k of keys) {
      const rows = points.all(k.run_id, k.key) as { step: number; ts: number; value: number | null }[];
      const id = Number(series.run(k.run_id, k.key).lastInsertRowid);
      for (let i = 0, seq = 0; i < rows.length; i += METRIC_CHUNK_POINTS, seq++) {
        const part = rows.slice(i, i + METRIC_CHUNK_POINTS);
        const enc = encodeChunk({
          steps: Float64Array.from(part, (r) => r.step),
          ts: Float64Array.from(part, (r) => r.ts),
          values: Float64Array.from(part, (r) => (r.value === null ? NaN : r.value)),
        });
        chunk.run(id, seq, part.length, enc.minStep, enc.maxStep, enc.summary, enc.steps, enc.ts, enc.vals);
      }
    }
    db.exec('DROP TABLE metrics');
    const param = db.prepare('INSERT OR IGNORE INTO run_params (run_id, key, num, text, json) VALUES (?, ?, ?, ?, ?)');
    // .all(), not .iterate(): the connection cannot insert while a statement is still reading.
    for (const r of db.prepare('SELECT id, manifest FROM runs').all() as { id: string; manifest: string }[]) {
      const values = (JSON.parse(r.manifest) as { params?: { values?: Params } }).params?.values ?? {};
      for (const [key, v] of Object.entries(flattenParams(values))) {
        const c = paramColumns(v);
        param.run(r.id, key, c.num, c.text, c.json);
      }
    }
  },
  // How two runs compared (reprise reproduce / verify), found from either side.
  `
  CREATE TABLE verifications (
    original TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    reproduction TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    verdict TEXT NOT NULL,
    checked_at INTEGER NOT NULL,
    report TEXT NOT NULL,
    PRIMARY KEY (original, reproduction)
  );
  CREATE INDEX verifications_reproduction ON verifications(reproduction);
  `,
  // Gates, retention and the model store. A run's gate outcome lives in its manifest; the
  // column is its status, for search. Versions reference runs without cascading: a run
  // that made a model version is never removed.
  `
  ALTER TABLE runs ADD COLUMN gate TEXT;
  UPDATE runs SET gate = json_extract(manifest, '$.outputs.gate.status');
  CREATE INDEX runs_gate ON runs(gate);

  CREATE TABLE run_retention (
    run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    until INTEGER,
    reason TEXT NOT NULL,
    manual INTEGER NOT NULL,
    by TEXT,
    at INTEGER NOT NULL
  );

  CREATE TABLE models (
    name TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE model_versions (
    model TEXT NOT NULL REFERENCES models(name),
    version INTEGER NOT NULL,
    run_id TEXT NOT NULL REFERENCES runs(id),
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    note TEXT,
    files TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    lineage TEXT NOT NULL,
    PRIMARY KEY (model, version)
  );
  CREATE INDEX model_versions_run ON model_versions(run_id);
  CREATE TABLE model_aliases (
    model TEXT NOT NULL REFERENCES models(name),
    alias TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (model, alias)
  );
  CREATE TABLE model_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    by TEXT NOT NULL,
    action TEXT NOT NULL,
    model TEXT NOT NULL,
    alias TEXT NOT NULL,
    from_version INTEGER,
    to_version INTEGER NOT NULL,
    run_id TEXT,
    note TEXT
  );
  CREATE INDEX model_audit_model ON model_audit(model, id);
  `,
  // The queue. A queued run's placement (queue, priority, GPUs, sweep) is copied from its
  // manifest's submission into columns; claims walk the partial index in claim order.
  // \`worker\` holds the worker that claimed the run, so late reports from another are refused.
  `
  ALTER TABLE runs ADD COLUMN queue TEXT;
  ALTER TABLE runs ADD COLUMN priority INTEGER;
  ALTER TABLE runs ADD COLUMN gpus INTEGER;
  ALTER TABLE runs ADD COLUMN sweep_id TEXT;
  ALTER TABLE runs ADD COLUMN worker TEXT;
  ALTER TABLE runs ADD COLUMN cancel_by TEXT;
  ALTER TABLE runs ADD COLUMN cancel_at INTEGER;
  CREATE INDEX runs_claim ON runs(queue, priority DESC, id) WHERE status = 'queued';
  CREATE INDEX runs_sweep ON runs(sweep_id, id) WHERE sweep_id IS NOT NULL;
  CREATE INDEX runs_worker ON runs(worker) WHERE worker IS NOT NULL;
  CREATE INDEX runs_queue ON runs(queue) WHERE queue IS NOT NULL;

  CREATE TABLE sweeps (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    project TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    spec TEXT NOT NULL,
    description TEXT NOT NULL,
    runs INTEGER NOT NULL
  );
  CREATE INDEX sweeps_name ON sweeps(name);
  CREATE INDEX sweeps_project ON sweeps(project, created_at);

  CREATE TABLE workers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    queues TEXT NOT NULL,
    slots INTEGER NOT NULL,
    gpus TEXT NOT NULL,
    version TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    seen_at INTEGER NOT NULL,
    stopped_at INTEGER
  );
  `,
  // Which runs read which data table as of which time, from their manifests' data
  // queries: the lake's history lists them without parsing every manifest.
  `
  CREATE TABLE run_data_reads (
    run_id TEXT NOT NULL,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    table_name TEXT NOT NULL,
    as_of INTEGER NOT NULL,
    rows INTEGER,
    content_hash TEXT,
    PRIMARY KEY (run_id, name, table_name)
  );
  CREATE INDEX run_data_reads_table ON run_data_reads(source, table_name, as_of);
  `,
  // What started each run, as a column the run filter reads (\`trigger = "merge"\`);
  // runs older than triggers get the one their manifest implies (core/trigger's triggerOf).
  // Projects linked to repositories, and the hook deliveries that started runs, so the
  // same delivery twice starts one run.
  `
  ALTER TABLE runs ADD COLUMN trigger_kind TEXT;
  UPDATE runs SET trigger_kind = CASE
    WHEN json_extract(manifest, '$.trigger.kind') IS NOT NULL THEN json_extract(manifest, '$.trigger.kind')
    WHEN json_extract(manifest, '$.run.reproduces') IS NOT NULL THEN 'reproduction'
    WHEN json_extract(manifest, '$.submission.sweep') IS NOT NULL THEN 'sweep'
    WHEN json_extract(manifest, '$.submission') IS NOT NULL THEN 'submit'
    ELSE 'run' END;
  CREATE INDEX runs_trigger ON runs(trigger_kind, id);

  CREATE TABLE repository_links (
    project TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    branch TEXT NOT NULL,
    queue TEXT,
    path TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );

  CREATE TABLE hook_deliveries (
    provider TEXT NOT NULL,
    delivery TEXT NOT NULL,
    project TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    commit_sha TEXT NOT NULL,
    run_ids TEXT NOT NULL,
    PRIMARY KEY (provider, delivery, project)
  );
  `,
  // Projects as records (the MLflow API's experiments: an id each, 0 being the Default one
  // its clients expect), runs and projects deleted softly, what MLflow clients record beside
  // metrics (datasets, logged models), and the registry's descriptions and tags.
  `
  CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER,
    tags TEXT NOT NULL DEFAULT '{}',
    register_from TEXT NOT NULL DEFAULT 'promoted'
  );
  INSERT INTO projects (id, name, created_at, updated_at)
    VALUES (0, 'Default', CAST(unixepoch('subsec') * 1000 AS INTEGER), CAST(unixepoch('subsec') * 1000 AS INTEGER));
  INSERT INTO projects (name, created_at, updated_at)
    SELECT project, min(created_at), max(created_at) FROM runs WHERE project != 'Default' GROUP BY project ORDER BY min(created_at);

  ALTER TABLE runs ADD COLUMN deleted_at INTEGER;

  CREATE TABLE run_datasets (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    digest TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (run_id, name, digest)
  );
  CREATE TABLE run_models (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    model_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    step INTEGER NOT NULL,
    PRIMARY KEY (run_id, model_id, direction)
  );
  CREATE TABLE logged_models (
    id TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    name TEXT NOT NULL,
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    status TEXT NOT NULL,
    status_message TEXT,
    model_type TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    params TEXT NOT NULL,
    tags TEXT NOT NULL
  );
  CREATE INDEX logged_models_project ON logged_models(project, created_at);
  CREATE UNIQUE INDEX logged_models_run_path ON logged_models(run_id, path);

  ALTER TABLE models ADD COLUMN description TEXT;
  ALTER TABLE models ADD COLUMN tags TEXT NOT NULL DEFAULT '{}';
  ALTER TABLE model_versions ADD COLUMN description TEXT;
  ALTER TABLE model_versions ADD COLUMN tags TEXT NOT NULL DEFAULT '{}';
  ALTER TABLE model_versions ADD COLUMN path TEXT NOT NULL DEFAULT 'model';
  `,
  // Histogram points and notes, a row each. seq is the rowid: it grows with every insert,
  // so it is arrival order, and appends need no lookup of the last one. A point's buckets
  // come last in its row, so the columns before them are read without the blob's pages.
  // Stats are NULL together when the writer gave none.
  `
  CREATE TABLE histograms (
    seq INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    step INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    min REAL,
    max REAL,
    count REAL,
    sum REAL,
    sum_squares REAL,
    -- [left, right, count] per bucket, float64 little-endian.
    buckets BLOB NOT NULL
  );
  -- A series in order from the index alone: sampling picks its rows before reading them.
  CREATE INDEX histograms_run_key_step ON histograms(run_id, key, step, ts, seq);

  CREATE TABLE run_notes (
    seq INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    step INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    text TEXT NOT NULL
  );
  CREATE INDEX run_notes_run_key_step ON run_notes(run_id, key, step);
  `,
  // Users, grants, tokens, sessions and the audit log (ports/access-store.ts). Secrets are
  // kept as digests only. A token's user is NULL for the run tokens the server makes.
  `
  CREATE TABLE users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    password_hash TEXT
  );
  CREATE TABLE project_grants (
    user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    project TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (user_name, project)
  );
  CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    user_name TEXT REFERENCES users(name),
    kind TEXT NOT NULL,
    run_id TEXT,
    description TEXT,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER,
    last_used_at INTEGER
  );
  CREATE INDEX api_tokens_user ON api_tokens(user_name, created_at);
  CREATE INDEX api_tokens_run ON api_tokens(run_id);
  CREATE TABLE web_sessions (
    digest TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX web_sessions_user ON web_sessions(user_name);
  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    by TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}'
  );
  CREATE INDEX audit_log_at ON audit_log(at, id);
  `,
  // What the monitor of production models keeps (ports/monitoring-store.ts): settings,
  // reference profiles, sampled requests, traffic per minute and node, drift windows and
  // alerts. JSON as text; times in ms. An alert's id is never given again (AUTOINCREMENT):
  // webhook messages and acknowledgements cite it.
  `
  CREATE TABLE model_monitors (
    model TEXT PRIMARY KEY,
    settings TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
  );
  CREATE TABLE reference_profiles (
    model TEXT NOT NULL,
    version INTEGER NOT NULL,
    made_at INTEGER NOT NULL,
    profile TEXT,
    error TEXT,
    PRIMARY KEY (model, version)
  );
  CREATE TABLE prediction_samples (
    request_id TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    alias TEXT NOT NULL,
    version INTEGER NOT NULL,
    at INTEGER NOT NULL,
    latency_ms REAL NOT NULL,
    inputs TEXT NOT NULL,
    outputs TEXT,
    error TEXT,
    feedback TEXT,
    feedback_at INTEGER
  );
  CREATE INDEX prediction_samples_model_at ON prediction_samples(model, at);
  CREATE TABLE model_traffic (
    model TEXT NOT NULL,
    version INTEGER NOT NULL,
    start INTEGER NOT NULL,
    node TEXT NOT NULL,
    requests INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    latency TEXT NOT NULL,
    PRIMARY KEY (model, version, start, node)
  );
  CREATE INDEX model_traffic_model_start ON model_traffic(model, start);
  CREATE TABLE drift_windows (
    model TEXT NOT NULL,
    start INTEGER NOT NULL,
    version INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (model, start)
  );
  CREATE TABLE model_alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    model TEXT NOT NULL,
    version INTEGER,
    kind TEXT NOT NULL,
    subject TEXT,
    message TEXT NOT NULL,
    value REAL,
    threshold REAL,
    window_start INTEGER,
    raised_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    acked_at INTEGER,
    acked_by TEXT,
    ack_note TEXT,
    deliveries TEXT NOT NULL DEFAULT '[]'
  );
  CREATE INDEX model_alerts_model_raised ON model_alerts(model, raised_at);
  `,
];

/** Points per stored chunk: a series of a million points is about a thousand rows. */
export const METRIC_CHUNK_POINTS = 1024;

export interface RunsTable {
  id: string;
  name: string;
  project: string;
  status: string;
  dev: number;
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
  /** core/trigger's kind: what started the run. */
  trigger_kind: string | null;
  deleted_at: number | null;
  manifest: string;
}

export interface ProjectsTable {
  id: Generated<number>;
  name: string;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
  /** JSON: Record<string, string>. */
  tags: Generated<string>;
  register_from: Generated<string>;
}

export interface RunDatasetsTable {
  run_id: string;
  name: string;
  digest: string;
  /** JSON: core/client-records' RunDataset. */
  body: string;
}

export interface RunModelsTable {
  run_id: string;
  model_id: string;
  direction: string;
  step: number;
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
  /** JSON: Record<string, string>. */
  params: string;
  /** JSON: Record<string, string>. */
  tags: string;
}

export interface SweepsTable {
  id: string;
  name: string;
  project: string;
  created_at: number;
  created_by: string;
  spec: string;
  description: string;
  runs: number;
}

export interface WorkersTable {
  id: string;
  name: string;
  kind: string;
  host: string;
  pid: number;
  queues: string;
  slots: number;
  gpus: string;
  version: string;
  started_at: number;
  seen_at: number;
  stopped_at: number | null;
}

export interface MetricSeriesTable {
  id: number;
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

export interface RunParamsTable {
  run_id: string;
  key: string;
  num: number | null;
  text: string | null;
  json: string;
}

export interface RunTagsTable {
  run_id: string;
  key: string;
  value: string;
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

export interface RunDataReadsTable {
  run_id: string;
  name: string;
  source: string;
  table_name: string;
  as_of: number;
  rows: number | null;
  content_hash: string | null;
}

export interface HistogramsTable {
  /** The rowid: arrival order. */
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
  /** core/histogram's flat bucket rows, float64 little-endian. */
  buckets: Buffer;
}

export interface RunNotesTable {
  /** The rowid: arrival order. */
  seq: Generated<number>;
  run_id: string;
  key: string;
  step: number;
  ts: number;
  text: string;
}

export interface SqliteDatabaseSchema {
  images: ImagesTable;
  runs: RunsTable;
  sweeps: SweepsTable;
  workers: WorkersTable;
  metric_series: MetricSeriesTable;
  metric_chunks: MetricChunksTable;
  metric_writers: MetricWritersTable;
  metric_summaries: MetricSummariesTable;
  run_params: RunParamsTable;
  run_data_reads: RunDataReadsTable;
  repository_links: RepositoryLinksTable;
  hook_deliveries: HookDeliveriesTable;
  run_tags: RunTagsTable;
  artifacts: ArtifactsTable;
  verifications: VerificationsTable;
  run_retention: RunRetentionTable;
  models: ModelsTable;
  model_versions: ModelVersionsTable;
  model_aliases: ModelAliasesTable;
  model_audit: ModelAuditTable;
  projects: ProjectsTable;
  run_datasets: RunDatasetsTable;
  run_models: RunModelsTable;
  logged_models: LoggedModelsTable;
  histograms: HistogramsTable;
  run_notes: RunNotesTable;
  model_monitors: ModelMonitorsTable;
  reference_profiles: ReferenceProfilesTable;
  prediction_samples: PredictionSamplesTable;
  model_traffic: ModelTrafficTable;
  drift_windows: DriftWindowsTable;
  model_alerts: ModelAlertsTable;
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
  /** JSON: run ids. */
  run_ids: string;
}

export interface RunRetentionTable {
  run_id: string;
  state: string;
  until: number | null;
  reason: string;
  manual: number;
  by: string | null;
  at: number;
}

export interface ModelsTable {
  name: string;
  created_at: number;
  updated_at: number;
  description: Generated<string | null>;
  /** JSON: Record<string, string>. */
  tags: Generated<string>;
}

export interface ModelVersionsTable {
  model: string;
  version: number;
  run_id: string;
  created_at: number;
  created_by: string;
  note: string | null;
  /** JSON: ModelFile[]. */
  files: string;
  bytes: number;
  /** JSON: ModelLineage. */
  lineage: string;
  description: Generated<string | null>;
  /** JSON: Record<string, string>. */
  tags: Generated<string>;
  /** The folder among the run's artifacts the files came from. */
  path: Generated<string>;
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

export interface VerificationsTable {
  original: string;
  reproduction: string;
  verdict: string;
  checked_at: number;
  report: string;
}

export interface ModelMonitorsTable {
  model: string;
  /** JSON: core/model-monitoring's MonitorSettings. */
  settings: string;
  updated_at: number;
  updated_by: string;
}

export interface ReferenceProfilesTable {
  model: string;
  version: number;
  made_at: number;
  /** JSON: core/feature-profile's ReferenceProfile; null when it could not be made. */
  profile: string | null;
  error: string | null;
}

export interface PredictionSamplesTable {
  request_id: string;
  model: string;
  alias: string;
  version: number;
  at: number;
  latency_ms: number;
  /** JSON: the request's rows. */
  inputs: string;
  /** JSON: one per row; null when the request failed. */
  outputs: string | null;
  error: string | null;
  /** JSON: the ground truth, one per row. */
  feedback: string | null;
  feedback_at: number | null;
}

export interface ModelTrafficTable {
  model: string;
  version: number;
  start: number;
  node: string;
  requests: number;
  errors: number;
  /** JSON: counts per LATENCY_EDGES_MS bucket. */
  latency: string;
}

export interface DriftWindowsTable {
  model: string;
  start: number;
  version: number;
  end: number;
  rows: number;
  /** JSON: the rest of core/model-monitoring's DriftWindow (sql-monitoring-rows). */
  record: string;
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
  /** JSON: AlertDelivery[]. */
  deliveries: Generated<string>;
}
