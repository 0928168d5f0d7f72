/**
 * @module adapters/data-source/duckdb-lake/lake-catalog
 * The lake's commit log: one SQLite file beside the tables (`catalog.db`), so a lake
 * folder is whole on its own. Commits are inserted under `BEGIN IMMEDIATE` with their
 * time taken inside the lock, and the commits a query as of T reads are listed under the
 * same lock: a commit still being written is either seen by a query or stamped after
 * the query's T, never stamped before it and seen only later. That is what makes an
 * as-of answer final. Also kept: which files were last checked against their hashes,
 * by size and modification time, so unchanged files are not read again per query.
 */
import Database from 'better-sqlite3';
import { RepriseError } from '../../../core/errors.js';
import { lakeCommitSchema, nextCommitTime, type LakeCommit } from '../../../core/lake.js';

const SCHEMA_VERSION = 1;

interface CommitRow {
  id: string;
  table_name: string;
  seq: number;
  committed_at: number;
  rows: number;
  sha256: string;
  bytes: number;
  file: string;
  schema: string;
  source: string;
  by: string;
  evolved: string | null;
}

export interface FileCheck {
  readonly size: number;
  readonly mtimeMs: number;
}

export class LakeCatalog {
  readonly #db: Database.Database;

  constructor(path: string) {
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('busy_timeout = 30000');
    this.#migrate();
  }

  #migrate(): void {
    const version = this.#db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new RepriseError('REPRISE_ERR_STORE_SCHEMA_NEWER', `the lake's catalog was written by a newer Reprise (schema ${version}, this one knows ${SCHEMA_VERSION}); upgrade Reprise`);
    }
    if (version === SCHEMA_VERSION) return;
    this.#immediate(() => {
      this.#db.exec(`
        CREATE TABLE IF NOT EXISTS commits (
          id TEXT PRIMARY KEY,
          table_name TEXT NOT NULL,
          seq INTEGER NOT NULL,
          committed_at INTEGER NOT NULL,
          rows INTEGER NOT NULL,
          sha256 TEXT NOT NULL,
          bytes INTEGER NOT NULL,
          file TEXT NOT NULL,
          schema TEXT NOT NULL,
          source TEXT NOT NULL,
          by TEXT NOT NULL,
          evolved TEXT,
          UNIQUE (table_name, seq)
        );
        CREATE INDEX IF NOT EXISTS commits_by_time ON commits (table_name, committed_at);
        CREATE TABLE IF NOT EXISTS file_checks (
          file TEXT PRIMARY KEY,
          size INTEGER NOT NULL,
          mtime_ms REAL NOT NULL
        );
      `);
      this.#db.pragma(`user_version = ${SCHEMA_VERSION}`);
    });
  }

  /** Runs `fn` in a write transaction taken at once, so concurrent writers and as-of readers queue. */
  #immediate<T>(fn: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      this.#db.exec('COMMIT');
      return out;
    } catch (e) {
      this.#db.exec('ROLLBACK');
      throw e;
    }
  }

  close(): void {
    this.#db.close();
  }

  tableNames(): string[] {
    return (this.#db.prepare('SELECT DISTINCT table_name FROM commits ORDER BY table_name').all() as { table_name: string }[]).map((r) => r.table_name);
  }

  commits(table?: string): LakeCommit[] {
    const rows = table === undefined
      ? (this.#db.prepare('SELECT * FROM commits ORDER BY table_name, seq').all() as CommitRow[])
      : (this.#db.prepare('SELECT * FROM commits WHERE table_name = ? ORDER BY seq').all(table) as CommitRow[]);
    return rows.map(fromRow);
  }

  /**
   * Commits an append: `publish` puts its file in place and `build` makes the entry from
   * the table's commits so far and the commit time, all under the lock. If `publish` or
   * the insert fails, nothing is recorded (the caller removes the file).
   */
  commit(table: string, now: () => number, build: (previous: LakeCommit[], committedAt: number, seq: number) => LakeCommit, publish: (c: LakeCommit) => void): LakeCommit {
    return this.#immediate(() => {
      const previous = this.commits(table);
      const last = previous[previous.length - 1];
      const entry = build(previous, nextCommitTime(now(), last), (last?.seq ?? 0) + 1);
      publish(entry);
      this.#db
        .prepare(`INSERT INTO commits (id, table_name, seq, committed_at, rows, sha256, bytes, file, schema, source, by, evolved)
                  VALUES (@id, @table_name, @seq, @committed_at, @rows, @sha256, @bytes, @file, @schema, @source, @by, @evolved)`)
        .run(toRow(entry));
      return entry;
    });
  }

  /**
   * The commits of `tables` a query as of `asOf` reads, listed under the write lock (see
   * the module's note); `check` refuses an as-of in the future against the time read
   * inside the lock.
   */
  commitsAsOf(tables: readonly string[], asOf: number, check: (now: number) => void): Map<string, LakeCommit[]> {
    return this.#immediate(() => {
      check(Date.now());
      const stmt = this.#db.prepare('SELECT * FROM commits WHERE table_name = ? AND committed_at <= ? ORDER BY seq');
      return new Map(tables.map((t) => [t, (stmt.all(t, asOf) as CommitRow[]).map(fromRow)]));
    });
  }

  fileCheck(file: string): FileCheck | undefined {
    const row = this.#db.prepare('SELECT size, mtime_ms FROM file_checks WHERE file = ?').get(file) as { size: number; mtime_ms: number } | undefined;
    return row ? { size: row.size, mtimeMs: row.mtime_ms } : undefined;
  }

  recordFileCheck(file: string, check: FileCheck): void {
    this.#db.prepare('INSERT INTO file_checks (file, size, mtime_ms) VALUES (?, ?, ?) ON CONFLICT (file) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms').run(file, check.size, check.mtimeMs);
  }
}

function toRow(c: LakeCommit): CommitRow {
  return {
    id: c.id,
    table_name: c.table,
    seq: c.seq,
    committed_at: c.committedAt,
    rows: c.rows,
    sha256: c.sha256,
    bytes: c.bytes,
    file: c.file,
    schema: JSON.stringify(c.schema),
    source: JSON.stringify(c.source),
    by: c.by,
    evolved: c.evolved ? JSON.stringify(c.evolved) : null,
  };
}

function fromRow(r: CommitRow): LakeCommit {
  return lakeCommitSchema.parse({
    id: r.id,
    table: r.table_name,
    seq: r.seq,
    committedAt: r.committed_at,
    rows: r.rows,
    sha256: r.sha256,
    bytes: r.bytes,
    file: r.file,
    schema: JSON.parse(r.schema),
    source: JSON.parse(r.source),
    by: r.by,
    evolved: r.evolved ? JSON.parse(r.evolved) : null,
  });
}
