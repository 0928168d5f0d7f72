/**
 * @module interfaces/http/routes/data
 * The lake on the server: appends (the file's bytes streamed in), tables and their
 * history with the runs that read them, queries as of a time (rows to look at, a file
 * to download, or a snapshot stored as a blob for a run), and the check of every file.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { DATA_FORMATS, dataColumnSchema, lakeCommitSchema, type DataFormat } from '../../../core/lake.js';
import { RUN_STATUSES } from '../../../core/run-manifest.js';
import type { ApiDeps } from '../api-deps.js';
import { route, type Route } from '../route.js';
import { actorOf } from '../authentication.js';
import { errorJson, queryBoolean, queryInt } from '../schemas.js';
import { READ } from '../access-rule.js';

const tableJson = z.object({
  name: z.string(),
  commits: z.number(),
  rows: z.number(),
  bytes: z.number(),
  firstCommitAt: z.number(),
  lastCommitAt: z.number(),
  schema: z.array(dataColumnSchema),
});

const readJson = z.object({
  runId: z.string(),
  runName: z.string(),
  project: z.string(),
  status: z.enum(RUN_STATUSES),
  createdAt: z.number(),
  name: z.string().describe("the query's name under data: of reprise.yaml"),
  asOf: z.number(),
  rows: z.number().nullable(),
  contentHash: z.string().nullable(),
});

const queryBody = z.object({
  sql: z.string().min(1).max(100_000),
  asOf: z.union([z.string().min(1), z.number().int()]).optional().describe('ISO 8601 time (UTC unless zoned), "now", or UTC ms; default now; never in the future'),
});

const materializedJson = z.object({
  rows: z.number(),
  schema: z.array(dataColumnSchema),
  contentHash: z.string(),
  tables: z.array(z.string()),
  bytes: z.number(),
  asOf: z.number(),
});

const problemJson = z.object({ table: z.string(), commit: z.string(), file: z.string(), problem: z.enum(['missing', 'changed']) });

const tableParams = z.object({ table: z.string().min(1).max(200) });

export function dataRoutes(d: ApiDeps, uploadDir: string = tmpdir()): Route[] {
  /** A file under the upload folder no other request uses, removed after `fn`. */
  const withScratch = async <T>(suffix: string, fn: (path: string) => Promise<T>): Promise<T> => {
    await mkdir(uploadDir, { recursive: true });
    const path = join(uploadDir, `.data-${randomBytes(8).toString('hex')}${suffix}`);
    try {
      return await fn(path);
    } finally {
      await rm(path, { force: true });
    }
  };
  return [
    route({
      method: 'GET',
      path: '/data/tables',
      access: READ,
      tag: 'data',
      summary: "The lake's tables: commits, rows, first and last commit times, schema",
      answers: { 200: { description: 'tables', schema: z.object({ tables: z.array(tableJson) }) } },
      async handler() {
        return { tables: await d.data.tables() };
      },
    }),
    route({
      method: 'GET',
      path: '/data/tables/:table',
      access: READ,
      tag: 'data',
      summary: "A table: its commits oldest first, and the runs that read it (newest first) with the time each read it as of",
      params: tableParams,
      answers: {
        200: { description: 'the table', schema: z.object({ table: tableJson, commits: z.array(lakeCommitSchema), reads: z.array(readJson) }) },
        404: { description: 'no such table', schema: errorJson },
      },
      async handler({ params }) {
        return d.data.history(params.table);
      },
    }),
    route({
      method: 'POST',
      path: '/data/tables/:table/commits',
      access: { action: 'run' },
      tag: 'data',
      summary: "Append a file's rows to a table (created by its first append) as a new commit; all or nothing",
      params: tableParams,
      query: z.object({
        format: z.enum(DATA_FORMATS),
        schemaEvolve: queryBoolean.optional(),
        source: z.string().min(1).max(500).optional().describe('the name the rows came from, as the commit records it'),
        by: z.string().min(1).max(200).optional(),
      }),
      body: { raw: 'application/octet-stream', description: 'the file: CSV with a header, Parquet, or JSON lines' },
      answers: {
        200: { description: 'the commit', schema: z.object({ commit: lakeCommitSchema }) },
        400: { description: 'bad file or table name', schema: errorJson },
        409: { description: "the rows' columns differ from the table's", schema: errorJson },
      },
      async handler({ params, query, request }) {
        const body = (request.body as Readable | undefined) ?? request.raw;
        const commit = await withScratch(`.${query.format}`, async (path) => {
          await pipeline(body, createWriteStream(path));
          return d.data.append(params.table, path, {
            format: query.format,
            schemaEvolve: query.schemaEvolve ?? false,
            by: actorOf(request, query.by, 'unknown'),
            sourceName: query.source ?? `upload.${query.format}`,
          });
        });
        return { commit };
      },
    }),
    route({
      method: 'POST',
      path: '/data/query',
      access: READ,
      tag: 'data',
      summary: 'Run a read-only query as of a time and answer its first rows (default 100, at most 10,000)',
      body: queryBody.extend({ limit: z.number().int().min(1).max(10_000).optional() }),
      answers: {
        200: {
          description: 'the rows',
          schema: z.object({ schema: z.array(dataColumnSchema), rows: z.array(z.array(z.unknown())), truncated: z.boolean(), asOf: z.number() }),
        },
        400: { description: 'refused or invalid SQL, or an as-of in the future', schema: errorJson },
        404: { description: 'a table it names does not exist as of the time', schema: errorJson },
      },
      async handler({ body }) {
        return d.data.preview({ sql: body.sql, ...(body.asOf !== undefined ? { asOf: body.asOf } : {}) }, body.limit ?? 100);
      },
    }),
    route({
      method: 'POST',
      path: '/data/export',
      access: READ,
      tag: 'data',
      summary: "Run a read-only query as of a time and answer the whole result as a file; its facts are in the x-reprise-data header (JSON)",
      body: queryBody.extend({ format: z.enum(DATA_FORMATS) }),
      answers: {
        200: { description: 'the file', contentType: 'application/octet-stream' },
        400: { description: 'refused or invalid SQL, or an as-of in the future', schema: errorJson },
      },
      async handler({ body, reply }) {
        const path = join(uploadDir, `.data-${randomBytes(8).toString('hex')}.${body.format}`);
        await mkdir(uploadDir, { recursive: true });
        try {
          const m = await d.data.export({ sql: body.sql, ...(body.asOf !== undefined ? { asOf: body.asOf } : {}) }, body.format as DataFormat, path);
          const { schema: _s, ...facts } = m;
          const size = (await stat(path)).size;
          const stream = createReadStream(path);
          stream.on('close', () => void rm(path, { force: true }));
          void reply
            .header('content-type', 'application/octet-stream')
            .header('content-length', String(size))
            .header('content-disposition', `attachment; filename="query.${body.format}"`)
            .header('x-reprise-data', JSON.stringify(facts));
          return stream;
        } catch (e) {
          await rm(path, { force: true });
          throw e;
        }
      },
    }),
    route({
      method: 'POST',
      path: '/data/snapshots',
      access: { action: 'run', anyRun: true },
      tag: 'data',
      summary: "Materialize a pinned query for a run: the file is stored as a blob (fetch it from /blobs/SHA256) and its facts answered",
      body: queryBody.extend({ asOf: z.number().int(), format: z.enum(DATA_FORMATS) }),
      answers: {
        200: { description: 'the snapshot', schema: materializedJson.extend({ blob: z.object({ sha256: z.string(), size: z.number() }) }) },
        400: { description: 'refused or invalid SQL, or an as-of in the future', schema: errorJson },
        404: { description: 'a table it names does not exist as of the time', schema: errorJson },
      },
      async handler({ body }) {
        return withScratch(`.${body.format}`, async (path) => {
          const m = await d.data.export({ sql: body.sql, asOf: body.asOf }, body.format, path);
          return { ...m, blob: await d.blobs.putFile(path) };
        });
      },
    }),
    route({
      method: 'POST',
      path: '/data/check',
      access: READ,
      tag: 'data',
      summary: 'Check a query without running it: refused or invalid SQL, tables missing as of the time; answers the tables it reads',
      body: queryBody.extend({ asOf: z.number().int() }),
      answers: {
        200: { description: 'the query is fine', schema: z.object({ tables: z.array(z.string()) }) },
        400: { description: 'refused or invalid SQL, or an as-of in the future', schema: errorJson },
        404: { description: 'a table it names does not exist as of the time', schema: errorJson },
      },
      async handler({ body }) {
        return d.data.check(body.sql, body.asOf);
      },
    }),
    route({
      method: 'GET',
      path: '/data/verify',
      access: READ,
      tag: 'data',
      summary: "Read every lake file (of one table, or all) and list those that no longer match their commit's hash",
      query: z.object({ table: z.string().min(1).max(200).optional() }),
      answers: { 200: { description: 'problems ([] when every file matches)', schema: z.object({ problems: z.array(problemJson) }) } },
      async handler({ query }) {
        return { problems: await d.data.verify(query.table) };
      },
    }),
    route({
      method: 'GET',
      path: '/data/reads',
      access: READ,
      tag: 'data',
      summary: 'The runs that read a table of a source (lake, or a name under sources:), newest first',
      query: z.object({ source: z.string().min(1), table: z.string().min(1), limit: queryInt(1, 10_000).optional() }),
      answers: { 200: { description: 'reads', schema: z.object({ reads: z.array(readJson) }) } },
      async handler({ query }) {
        return { reads: await d.store.listDataReads({ source: query.source, table: query.table, ...(query.limit ? { limit: query.limit } : {}) }) };
      },
    }),
  ];
}
