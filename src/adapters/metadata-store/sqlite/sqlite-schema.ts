/**
 * The SQLite schema, as ordered migrations. `PRAGMA user_version` holds how many have
 * been applied; a store newer than this code refuses to open rather than guess.
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
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
];

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
  manifest: string;
}

export interface MetricsTable {
  run_id: string;
  key: string;
  step: number;
  ts: number;
  value: number | null;
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

export interface SqliteDatabaseSchema {
  images: ImagesTable;
  runs: RunsTable;
  metrics: MetricsTable;
  metric_summaries: MetricSummariesTable;
  artifacts: ArtifactsTable;
}
