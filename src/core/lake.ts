/**
 * @module core/lake
 * The append-only lake's rules: what a table may be called, what one append records in
 * the table's commit log, which commits a query as of a time reads, how two schemas
 * differ, and the times an `as_of` may name. Every append is stamped with its commit
 * time and nothing is ever rewritten, so the rows as of a time never change.
 */
import { z } from 'zod';
import { RepriseError } from './errors.js';
import { parseIsoTime } from './iso-time.js';

/** Lower case so that SQL, which folds unquoted names, finds the table as it was named. */
export const TABLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function checkTableName(name: string, what = 'TABLE'): string {
  if (!TABLE_NAME.test(name)) {
    throw new RepriseError(
      'REPRISE_ERR_DATA_TABLE_INVALID',
      `${what} ${JSON.stringify(name)}: a table name is 1 to 63 lower-case letters, digits or "_", not starting with a digit`,
      { details: { table: name } },
    );
  }
  return name;
}

export const dataColumnSchema = z.object({ name: z.string(), type: z.string() });
export type DataColumn = z.infer<typeof dataColumnSchema>;

/** The formats an append reads and a query result is written as. */
export const DATA_FORMATS = ['parquet', 'csv', 'jsonl'] as const;
export type DataFormat = (typeof DATA_FORMATS)[number];

/** The format a file's name implies, or undefined. */
export function formatOfPath(path: string): DataFormat | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith('.parquet') || lower.endsWith('.pq')) return 'parquet';
  if (lower.endsWith('.csv') || lower.endsWith('.tsv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson') || lower.endsWith('.json')) return 'jsonl';
  return undefined;
}

export function checkFormat(text: string, what = '--format'): DataFormat {
  if (!(DATA_FORMATS as readonly string[]).includes(text)) {
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', `${what} ${JSON.stringify(text)}: expected one of ${DATA_FORMATS.join(', ')}`, { details: { format: text } });
  }
  return text as DataFormat;
}

/** One append, as the table's commit log keeps it. Never changed once written. */
export const lakeCommitSchema = z.object({
  /** Time-sortable, unique in the lake. */
  id: z.string(),
  table: z.string(),
  /** 1 for a table's first append, then one more for each. */
  seq: z.number().int().positive(),
  /** UTC ms; strictly increasing within a table. A query as of T reads the commits at or before T. */
  committedAt: z.number().int(),
  rows: z.number().int().nonnegative(),
  /** sha256 of the commit's Parquet file, checked before the file is read. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  /** The file's path inside the lake. */
  file: z.string(),
  schema: z.array(dataColumnSchema),
  /** The file the rows came from, as given, and its format. */
  source: z.object({ name: z.string(), format: z.enum(DATA_FORMATS) }),
  by: z.string(),
  /** The columns this append added to the table or left out, when it was allowed to (`--schema-evolve`). */
  evolved: z.object({ added: z.array(z.string()), missing: z.array(z.string()) }).nullable(),
});
export type LakeCommit = z.infer<typeof lakeCommitSchema>;

/** A table as listed: its commits folded. */
export interface LakeTable {
  readonly name: string;
  readonly commits: number;
  readonly rows: number;
  readonly bytes: number;
  readonly firstCommitAt: number;
  readonly lastCommitAt: number;
  /** The schema as of the last commit: every column any commit has, in first-seen order. */
  readonly schema: readonly DataColumn[];
}

export function foldTable(name: string, commits: readonly LakeCommit[]): LakeTable {
  const first = commits[0];
  const last = commits[commits.length - 1];
  if (!first || !last) throw new RepriseError('REPRISE_ERR_DATA_TABLE_NOT_FOUND', `no table ${JSON.stringify(name)} in the lake`, { details: { table: name } });
  return {
    name,
    commits: commits.length,
    rows: commits.reduce((n, c) => n + c.rows, 0),
    bytes: commits.reduce((n, c) => n + c.bytes, 0),
    firstCommitAt: first.committedAt,
    lastCommitAt: last.committedAt,
    schema: unionSchema(commits.map((c) => c.schema)),
  };
}

/** Every column of every schema, in first-seen order; a column keeps its first type. */
export function unionSchema(schemas: readonly (readonly DataColumn[])[]): DataColumn[] {
  const seen = new Map<string, DataColumn>();
  for (const schema of schemas) for (const c of schema) if (!seen.has(c.name)) seen.set(c.name, c);
  return [...seen.values()];
}

/** The commits a query as of `asOf` reads: those committed at or before it. */
export function commitsAsOf(commits: readonly LakeCommit[], asOf: number): LakeCommit[] {
  return commits.filter((c) => c.committedAt <= asOf);
}

/**
 * The time the next commit of a table gets: now, or just after its last commit if the
 * clock reads earlier, so commit times only ever grow.
 */
export function nextCommitTime(now: number, last: LakeCommit | undefined): number {
  return last && last.committedAt >= now ? last.committedAt + 1 : now;
}

export interface SchemaDifference {
  /** In the table, absent from the new rows. */
  readonly missing: string[];
  /** In the new rows, absent from the table. */
  readonly added: string[];
  /** In both, of another type. */
  readonly changed: { name: string; table: string; incoming: string }[];
}

export function schemaDifference(table: readonly DataColumn[], incoming: readonly DataColumn[]): SchemaDifference {
  const inTable = new Map(table.map((c) => [c.name, c.type]));
  const inRows = new Map(incoming.map((c) => [c.name, c.type]));
  return {
    missing: table.filter((c) => !inRows.has(c.name)).map((c) => c.name),
    added: incoming.filter((c) => !inTable.has(c.name)).map((c) => c.name),
    changed: incoming
      .filter((c) => inTable.has(c.name) && inTable.get(c.name) !== c.type)
      .map((c) => ({ name: c.name, table: inTable.get(c.name)!, incoming: c.type })),
  };
}

export function describeSchemaDifference(d: SchemaDifference): string[] {
  return [
    ...d.missing.map((n) => `column ${JSON.stringify(n)} is in the table but not in the file`),
    ...d.added.map((n) => `column ${JSON.stringify(n)} is in the file but not in the table`),
    ...d.changed.map((c) => `column ${JSON.stringify(c.name)} is ${c.incoming} in the file but ${c.table} in the table`),
  ];
}

/**
 * An `as_of` as typed (`--as-of`, `as_of:` in reprise.yaml): an ISO 8601 date or time,
 * UTC unless it names a zone, or `now`. A time after `now` is refused: rows committed
 * later would change its answer.
 */
export function parseAsOf(text: string, now: number, what = '--as-of'): number {
  const t = text.trim();
  if (t.toLowerCase() === 'now') return now;
  const ms = parseIsoTime(t);
  if (ms === undefined) {
    throw new RepriseError('REPRISE_ERR_DATA_AS_OF_INVALID', `${what} ${JSON.stringify(text)}: expected an ISO 8601 time such as 2026-11-20T14:00:00Z (UTC unless a zone is given), a date, or "now"`, {
      details: { asOf: text },
    });
  }
  return checkAsOf(ms, now, what, text);
}

/**
 * How far ahead of a lake's clock an `as_of` may be and still be answered, by waiting
 * until the clock has passed it: another machine's "now" (a client's, an agent's) may
 * run a little ahead. Waiting, rather than answering early, keeps the answer final.
 */
export const CLOCK_SKEW_MS = 5_000;

/** Refuses a time after `now`: the rows as of it are not fixed yet. */
export function checkAsOf(ms: number, now: number, what = '--as-of', typed: string = new Date(ms).toISOString()): number {
  if (ms > now) {
    throw new RepriseError('REPRISE_ERR_DATA_AS_OF_INVALID', `${what} ${JSON.stringify(typed)} is in the future (now is ${new Date(now).toISOString()}): rows committed until then would change its answer`, {
      details: { asOf: typed, now },
    });
  }
  return ms;
}

const INTEGER_RANK: Record<string, number> = { TINYINT: 1, SMALLINT: 2, INTEGER: 3, BIGINT: 4, HUGEINT: 5 };
const UNSIGNED_RANK: Record<string, number> = { UTINYINT: 1, USMALLINT: 2, UINTEGER: 3, UBIGINT: 4, UHUGEINT: 5 };

/**
 * Whether every value of type `from` fits type `to` unchanged, so rows of a narrower
 * type can join a table without a loss: a smaller integer into a larger one, an
 * integer or a FLOAT into a DOUBLE.
 */
export function widens(from: string, to: string): boolean {
  if (from === to) return true;
  const [fi, ti] = [INTEGER_RANK[from], INTEGER_RANK[to]];
  if (fi !== undefined && ti !== undefined) return fi < ti;
  const [fu, tu] = [UNSIGNED_RANK[from], UNSIGNED_RANK[to]];
  if (fu !== undefined && tu !== undefined) return fu < tu;
  if (fu !== undefined && ti !== undefined) return fu < ti;
  if (to === 'DOUBLE') return from === 'FLOAT' || (fi !== undefined && fi <= 3) || (fu !== undefined && fu <= 3);
  return false;
}
