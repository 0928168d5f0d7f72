/**
 * @module adapters/data-source/http/http-lake
 * The lake of a Reprise server, reached through its API (remote mode): appends stream
 * the file up, queries run there, and a materialized query is stored there as a blob
 * and fetched from it, so a run's snapshot crosses the network once.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { RepriseError } from '../../../core/errors.js';
import { formatOfPath, type DataFormat, type LakeCommit, type LakeTable } from '../../../core/lake.js';
import type { BlobRef } from '../../../core/run-manifest.js';
import type { BlobStore } from '../../../ports/blob-store.js';
import type { AppendOptions, CheckedQuery, DataPreview, DataQuery, Lake, LakeProblem, MaterializedData } from '../../../ports/data-source.js';
import { qs, type ApiClient } from '../../api-client/api-client.js';

/** Long enough for a large append or query; the server answers when it is done. */
const DATA_TIMEOUT_MS = 3_600_000;

export class HttpLake implements Lake {
  readonly #api: ApiClient;
  readonly #blobs: BlobStore;

  constructor(opts: { api: ApiClient; blobs: BlobStore }) {
    this.#api = opts.api;
    this.#blobs = opts.blobs;
  }

  async append(table: string, file: string, opts: AppendOptions): Promise<LakeCommit> {
    const path = resolve(file);
    const format = opts.format ?? formatOfPath(path);
    const fail = (why: string) => new RepriseError('REPRISE_ERR_DATA_FILE_INVALID', `cannot append ${path}: ${why}`, { details: { path } });
    if (!format) throw fail('its format is not known from its name (.csv, .parquet, .jsonl); give --format csv, parquet or jsonl');
    const s = await stat(path).catch(() => undefined);
    if (!s) throw fail('no such file');
    if (!s.isFile()) throw fail('not a regular file');
    const query = qs({ format, schemaEvolve: opts.schemaEvolve ? true : undefined, source: opts.sourceName ?? basename(path), by: opts.by });
    const res = await this.#api.json<{ commit: LakeCommit }>({
      method: 'POST',
      path: `/data/tables/${encodeURIComponent(table)}/commits${query}`,
      bytes: () => createReadStream(path),
      timeoutMs: DATA_TIMEOUT_MS,
    });
    return res.commit;
  }

  async tables(): Promise<LakeTable[]> {
    return (await this.#api.json<{ tables: LakeTable[] }>({ method: 'GET', path: '/data/tables' })).tables;
  }

  async history(table: string): Promise<LakeCommit[]> {
    return (await this.#api.json<{ commits: LakeCommit[] }>({ method: 'GET', path: `/data/tables/${encodeURIComponent(table)}` })).commits;
  }

  async verify(table?: string): Promise<LakeProblem[]> {
    return (await this.#api.json<{ problems: LakeProblem[] }>({ method: 'GET', path: `/data/verify${qs({ table })}`, timeoutMs: DATA_TIMEOUT_MS })).problems;
  }

  async check(query: DataQuery): Promise<CheckedQuery> {
    return this.#api.json<CheckedQuery>({ method: 'POST', path: '/data/check', json: { sql: query.sql, asOf: query.asOf } });
  }

  async materialize(query: DataQuery, format: DataFormat, dest: string): Promise<MaterializedData> {
    const res = await this.#api.json<MaterializedData & { blob: BlobRef; asOf: number }>({
      method: 'POST',
      path: '/data/snapshots',
      json: { sql: query.sql, asOf: query.asOf, format },
      timeoutMs: DATA_TIMEOUT_MS,
    });
    await this.#blobs.copyTo(res.blob.sha256, resolve(dest));
    const { blob: _b, asOf: _a, ...facts } = res;
    return facts;
  }

  async preview(query: DataQuery, limit: number): Promise<DataPreview> {
    const res = await this.#api.json<DataPreview & { asOf: number }>({ method: 'POST', path: '/data/query', json: { sql: query.sql, asOf: query.asOf, limit }, timeoutMs: DATA_TIMEOUT_MS });
    return { schema: res.schema, rows: res.rows, truncated: res.truncated };
  }

  async close(): Promise<void> {}
}
