/**
 * @module services/data-inputs
 * A run's data queries (`data:` of reprise.yaml): pinned when the run is started or
 * queued (each `as_of: submit` becomes that moment; the query is checked against its
 * source, so bad SQL is refused before a run exists), and materialized when it runs:
 * the result written into the run's folder, stored as a blob (shared by every run that
 * read the same bytes) and recorded with its rows, schema and content hash. A
 * reproduction gets the original's file and checks the source still gives the same rows.
 */
import { rename, rm } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { AS_OF_SUBMIT, dataVariable, LAKE_SOURCE, redactUrl, type DataSourceConfig } from '../core/data-query.js';
import { RepriseError, isRepriseError } from '../core/errors.js';
import { parseAsOf, type DataFormat } from '../core/lake.js';
import type { ProjectConfig } from '../core/project-config.js';
import type { DataInput } from '../core/run-manifest.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { DataSource, Lake } from '../ports/data-source.js';

/** The sources a run can read: the installation's lake, and databases reprise.yaml declares. */
export interface DataSources {
  readonly lake: Lake;
  /** A PostgreSQL source; the caller closes it. */
  postgres(opts: { readonly url: string; readonly timeColumn: string; readonly name: string }): DataSource;
}

const EXTENSIONS: Record<DataFormat, string> = { parquet: '.parquet', csv: '.csv', jsonl: '.jsonl' };

/** Where a query's file goes in the run's data folder. */
export function dataFilePath(dataDir: string, input: Pick<DataInput, 'name' | 'format'>): string {
  return join(dataDir, `${input.name}${EXTENSIONS[input.format]}`);
}

/** The connection string of a declared source, from reprise.yaml or the variable it names. */
function sourceUrl(name: string, cfg: DataSourceConfig, env: NodeJS.ProcessEnv): string {
  if (cfg.url !== undefined) return cfg.url;
  const url = env[cfg.url_env!];
  if (!url) {
    throw new RepriseError('REPRISE_ERR_DATA_SOURCE_INVALID', `source ${JSON.stringify(name)} reads its connection string from $${cfg.url_env}, which is not set here`, {
      hint: `export ${cfg.url_env}=postgres://USER@HOST:5432/DATABASE`,
      details: { source: name, variable: cfg.url_env },
    });
  }
  return url;
}

/** Runs `fn` with the source an input reads, closing a source opened for it. */
async function withSource<T>(
  d: { readonly data: DataSources; readonly env?: NodeJS.ProcessEnv },
  source: { readonly name: string },
  declared: Readonly<Record<string, DataSourceConfig>>,
  fn: (s: DataSource) => Promise<T>,
): Promise<T> {
  if (source.name === LAKE_SOURCE) return fn(d.data.lake);
  const cfg = declared[source.name];
  if (!cfg) {
    throw new RepriseError('REPRISE_ERR_DATA_SOURCE_INVALID', `source ${JSON.stringify(source.name)} is not declared under sources: in reprise.yaml`, { details: { source: source.name } });
  }
  const s = d.data.postgres({ url: sourceUrl(source.name, cfg, d.env ?? process.env), timeColumn: cfg.time_column, name: source.name });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

/** A problem of one query, named by its key in reprise.yaml. */
function about(name: string, e: unknown): unknown {
  if (!isRepriseError(e)) return e;
  return new RepriseError(e.code, `data.${name}: ${e.message}`, { ...(e.hint ? { hint: e.hint } : {}), details: { ...(e.details ?? {}), data: name }, cause: e });
}

/**
 * The project's data queries pinned at `now` and checked against their sources;
 * undefined when it declares none.
 */
export async function pinDataInputs(
  d: { readonly data: DataSources; readonly env?: NodeJS.ProcessEnv },
  config: Pick<ProjectConfig, 'data' | 'sources'>,
  now: number,
): Promise<DataInput[] | undefined> {
  const entries = Object.entries(config.data ?? {});
  if (entries.length === 0) return undefined;
  const declared = config.sources ?? {};
  const pinned: DataInput[] = [];
  for (const [name, q] of entries) {
    try {
      const sourceName = q.source ?? LAKE_SOURCE;
      const pinnedAs = q.as_of ?? AS_OF_SUBMIT;
      const asOf = pinnedAs === AS_OF_SUBMIT ? now : parseAsOf(pinnedAs, now, `data.${name}.as_of`);
      const cfg = declared[sourceName];
      const checked = await withSource(d, { name: sourceName }, declared, (s) => s.check({ sql: q.query, asOf }));
      pinned.push({
        name,
        source: {
          name: sourceName,
          kind: sourceName === LAKE_SOURCE ? 'lake' : cfg!.kind,
          url: cfg ? redactUrl(sourceUrl(sourceName, cfg, d.env ?? process.env)) : null,
          timeColumn: cfg?.time_column ?? null,
        },
        query: q.query,
        asOf,
        pinnedAs,
        format: q.format ?? 'parquet',
        tables: checked.tables,
        snapshot: null,
      });
    } catch (e) {
      throw about(name, e);
    }
  }
  return pinned;
}

export interface MaterializeContext {
  readonly data: DataSources;
  readonly blobs: BlobStore;
  readonly env?: NodeJS.ProcessEnv;
  /** `sources:` of the reprise.yaml the run's code holds. */
  readonly declared: Readonly<Record<string, DataSourceConfig>>;
  readonly dataDir: string;
}

/**
 * Runs a pinned query into the run's data folder and stores the file. With `recorded`
 * (a reproduction), the original's file is used and the source is asked again only to
 * check it still gives the same rows: REPRISE_ERR_DATA_CHANGED when it does not; a
 * source that is gone leaves the recorded file to stand alone.
 */
export async function materializeDataInput(c: MaterializeContext, input: DataInput, recorded?: NonNullable<DataInput['snapshot']>): Promise<NonNullable<DataInput['snapshot']>> {
  const dest = dataFilePath(c.dataDir, input);
  const started = Date.now();
  const query = { sql: input.query, asOf: input.asOf };
  try {
    if (!recorded) {
      const m = await withSource(c, input.source, c.declared, (s) => s.materialize(query, input.format, dest));
      const blob = await c.blobs.putFile(dest);
      return { rows: m.rows, schema: m.schema, contentHash: m.contentHash, blob, materializedAt: Date.now(), ms: Date.now() - started, from: 'query', check: null };
    }
    const check = `${dest}.check${extname(dest)}`;
    return await reproduce(recorded, check).finally(() => rm(check, { force: true }));
  } catch (e) {
    throw about(input.name, e);
  }

  async function reproduce(recorded: NonNullable<DataInput['snapshot']>, check: string): Promise<NonNullable<DataInput['snapshot']>> {
    let fresh: { contentHash: string; rows: number } | null = null;
    try {
      fresh = await withSource(c, input.source, c.declared, (s) => s.materialize(query, input.format, check));
    } catch (e) {
      if (!isRepriseError(e) || !GONE.has(e.code)) throw e;
    }
    if (fresh && fresh.contentHash !== recorded.contentHash) {
      throw new RepriseError(
        'REPRISE_ERR_DATA_CHANGED',
        `source ${input.source.name} now gives ${fresh.rows} row(s) with content hash ${fresh.contentHash.slice(0, 12)} as of ${new Date(input.asOf).toISOString()}, where the original run read ${recorded.rows} with ${recorded.contentHash.slice(0, 12)}: its data was changed behind Reprise's back`,
        { details: { data: input.name, recorded: recorded.contentHash, now: fresh.contentHash } },
      );
    }
    if (await c.blobs.stat(recorded.blob.sha256)) {
      await c.blobs.copyTo(recorded.blob.sha256, dest);
      return { ...recorded, materializedAt: Date.now(), ms: Date.now() - started, from: 'recorded', check: fresh ? 'matched' : 'source-unavailable' };
    }
    if (!fresh) {
      throw new RepriseError('REPRISE_ERR_DATA_SOURCE_UNAVAILABLE', `the original's snapshot is no longer stored and source ${input.source.name} cannot answer the query`, { details: { data: input.name } });
    }
    await rename(check, dest);
    const blob = await c.blobs.putFile(dest);
    return { ...recorded, blob, materializedAt: Date.now(), ms: Date.now() - started, from: 'query', check: 'matched' };
  }
}

/** What a source says when it cannot answer at all (rather than answering otherwise). */
const GONE = new Set(['REPRISE_ERR_DATA_SOURCE_UNAVAILABLE', 'REPRISE_ERR_DATA_TABLE_NOT_FOUND', 'REPRISE_ERR_DATA_SOURCE_INVALID']);

/** The variables that point each stage at the run's materialized data. */
export function dataVariables(dataDir: string, inputs: readonly DataInput[] | undefined): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const input of inputs ?? []) vars[dataVariable(input.name)] = dataFilePath(dataDir, input);
  return vars;
}
