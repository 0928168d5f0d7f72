/**
 * A SQLite store read table by table (`reprise migrate` moves it to PostgreSQL). Opened
 * read-only beside any process using it: WAL lets them go on writing, and each page of
 * rows is read in one statement, by rowid, so a copy can stop and start again anywhere.
 */
import Database from 'better-sqlite3';
import type { StoreTableSource } from '../../../ports/metadata-store.js';

export class SqliteTableSource implements StoreTableSource {
  readonly #db: Database.Database;

  /** The file must hold a store already migrated to this version (open it with SqliteMetadataStore first). */
  constructor(path: string) {
    this.#db = new Database(path, { readonly: true, fileMustExist: true });
  }

  async tableNames(): Promise<readonly string[]> {
    const tables = (this.#db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    const refersTo = new Map(tables.map((t) => [t, (this.#db.pragma(`foreign_key_list(${quote(t)})`) as { table: string }[]).map((f) => f.table).filter((r) => r !== t)]));
    // Each table after those its rows refer to.
    const ordered: string[] = [];
    const visit = (t: string, path: Set<string>): void => {
      if (ordered.includes(t) || path.has(t)) return;
      path.add(t);
      for (const r of refersTo.get(t) ?? []) visit(r, path);
      ordered.push(t);
    };
    for (const t of tables) visit(t, new Set());
    return ordered;
  }

  async countRows(table: string): Promise<number> {
    return (this.#db.prepare(`SELECT count(*) AS n FROM ${quote(table)}`).get() as { n: number }).n;
  }

  async readRows(table: string, after: string | null, limit: number): Promise<{ rows: readonly Record<string, unknown>[]; next: string | null }> {
    const found = this.#db
      .prepare(`SELECT rowid AS "__rowid", * FROM ${quote(table)} WHERE rowid > ? ORDER BY rowid LIMIT ?`)
      .all(after === null ? -Number.MAX_SAFE_INTEGER : Number(after), limit) as Record<string, unknown>[];
    const rows = found.map(({ __rowid: _, ...row }) => row);
    const last = found.at(-1);
    return { rows, next: found.length < limit || !last ? null : String(last.__rowid) };
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}

function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
