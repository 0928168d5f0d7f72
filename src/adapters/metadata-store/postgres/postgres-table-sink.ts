/**
 * @module adapters/metadata-store/postgres/postgres-table-sink
 * The store filled table by table (`reprise migrate` from SQLite). The tables and columns
 * are the SQLite store's, so rows go in as they come, with the values each column's type
 * needs (SQLite's 0/1 for booleans, JSON text for jsonb); rows already there are left
 * alone, which is what makes running a migration again safe. Ids copied into identity
 * columns are kept, and the sequences then moved past them.
 */
import { RepriseError } from '../../../core/errors.js';
import type { StoreTableSink } from '../../../ports/metadata-store.js';
import { quoteIdent, type StoreConnection } from './postgres-connection.js';

interface Column {
  readonly type: string;
  readonly identity: 'ALWAYS' | 'BY DEFAULT' | null;
}

/** PostgreSQL takes at most 65,535 parameters a statement. */
const MAX_PARAMETERS = 30_000;

export class PostgresTableSink implements StoreTableSink {
  readonly #conn: StoreConnection;
  #columns: Promise<Map<string, Map<string, Column>>> | undefined;

  constructor(conn: StoreConnection) {
    this.#conn = conn;
  }

  async #query<R>(text: string, values: readonly unknown[] = []): Promise<{ rows: R[]; rowCount: number | null }> {
    const client = await this.#conn.guarded.connect();
    try {
      return (await client.query<R>(text, values)) as unknown as { rows: R[]; rowCount: number | null };
    } finally {
      client.release();
    }
  }

  #tables(): Promise<Map<string, Map<string, Column>>> {
    this.#columns ??= this.#query<{ table_name: string; column_name: string; data_type: string; identity_generation: string | null }>(
      'SELECT table_name, column_name, data_type, identity_generation FROM information_schema.columns WHERE table_schema = $1',
      [this.#conn.schema],
    ).then(({ rows }) => {
      const tables = new Map<string, Map<string, Column>>();
      for (const r of rows) {
        const cols = tables.get(r.table_name) ?? new Map<string, Column>();
        cols.set(r.column_name, { type: r.data_type, identity: r.identity_generation as Column['identity'] });
        tables.set(r.table_name, cols);
      }
      return tables;
    });
    return this.#columns;
  }

  async #table(name: string): Promise<Map<string, Column>> {
    const cols = (await this.#tables()).get(name);
    if (!cols) throw new RepriseError('REPRISE_ERR_MIGRATE_MISMATCH', `table ${name} of the source has no counterpart in the PostgreSQL store`, { details: { table: name } });
    return cols;
  }

  async countRows(table: string): Promise<number> {
    await this.#table(table);
    const { rows } = await this.#query<{ n: number }>(`SELECT count(*) AS n FROM ${quoteIdent(table)}`);
    return Number(rows[0]!.n);
  }

  async writeRows(table: string, rows: readonly Record<string, unknown>[]): Promise<number> {
    if (rows.length === 0) return 0;
    const cols = await this.#table(table);
    const names = Object.keys(rows[0]!);
    for (const n of names) {
      if (!cols.has(n)) throw new RepriseError('REPRISE_ERR_MIGRATE_MISMATCH', `column ${table}.${n} of the source has no counterpart in the PostgreSQL store`, { details: { table, column: n } });
    }
    const overriding = names.some((n) => cols.get(n)!.identity === 'ALWAYS') ? ' OVERRIDING SYSTEM VALUE' : '';
    const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / names.length));
    let inserted = 0;
    for (let i = 0; i < rows.length; i += perStatement) {
      const slice = rows.slice(i, i + perStatement);
      const values: unknown[] = [];
      const tuples = slice.map((row) => `(${names.map((n) => `$${values.push(toColumn(row[n], cols.get(n)!.type))}`).join(', ')})`);
      const { rowCount } = await this.#query(
        `INSERT INTO ${quoteIdent(table)} (${names.map(quoteIdent).join(', ')})${overriding} VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING`,
        values,
      );
      inserted += rowCount ?? 0;
    }
    return inserted;
  }

  async finishCopy(): Promise<void> {
    for (const [table, cols] of await this.#tables()) {
      for (const [name, col] of cols) {
        if (col.identity === null) continue;
        const qualified = `${quoteIdent(this.#conn.schema)}.${quoteIdent(table)}`;
        await this.#query(
          `SELECT setval(pg_get_serial_sequence($1, $2), GREATEST((SELECT max(${quoteIdent(name)}) FROM ${qualified}), 1), (SELECT count(*) > 0 FROM ${qualified}))`,
          [qualified, name],
        );
      }
    }
  }

  async copiedFrom(): Promise<string | null> {
    const { rows } = await this.#query<{ source: string }>('SELECT source FROM store_copies ORDER BY at LIMIT 1');
    return rows[0]?.source ?? null;
  }

  async markCopiedFrom(source: string): Promise<void> {
    await this.#query('INSERT INTO store_copies (source, at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [source, Date.now()]);
  }
}

/** A SQLite value as the PostgreSQL column of `type` takes it. */
function toColumn(v: unknown, type: string): unknown {
  if (v === null || v === undefined) return null;
  if (type === 'boolean') return v === 1 || v === true || v === '1';
  if (type === 'bytea') return Buffer.isBuffer(v) ? v : Buffer.from(String(v));
  if (typeof v === 'bigint') return v.toString();
  return v;
}
