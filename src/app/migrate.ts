/**
 * @module app/migrate
 * The composition of `reprise migrate`: an embedded store (SQLite and the blob folder
 * under a REPRISE_HOME) copied into PostgreSQL and an S3 bucket (or another blob folder).
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { LocalBlobStore } from '../adapters/blob-store/local/local-blob-store.js';
import { PostgresMetadataStore } from '../adapters/metadata-store/postgres/postgres-metadata-store.js';
import { SqliteMetadataStore } from '../adapters/metadata-store/sqlite/sqlite-metadata-store.js';
import { SqliteTableSource } from '../adapters/metadata-store/sqlite/sqlite-table-source.js';
import { RepriseError } from '../core/errors.js';
import { StoreMigration, type MigrationReport } from '../services/store-migration.js';
import { blobStoreAt } from './backends.js';

export interface MigrateOptions {
  /** The embedded store's home (REPRISE_HOME of the laptop). */
  readonly from: string;
  /** postgres://… */
  readonly to: string;
  /** s3://bucket/prefix, or a folder for the blobs. */
  readonly artifacts: string;
  readonly env: NodeJS.ProcessEnv;
  readonly say?: (message: string) => void;
}

export async function migrateStore(o: MigrateOptions): Promise<MigrationReport> {
  const home = resolve(o.from);
  const dbFile = join(home, 'reprise.db');
  if (!existsSync(dbFile)) {
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--from ${o.from}: no Reprise store there (${dbFile} is missing)`, { details: { option: '--from', path: dbFile } });
  }
  // Brought to this version's schema first, as any command of this version would.
  const sqlite = new SqliteMetadataStore({ path: dbFile });
  await sqlite.migrate();
  await sqlite.close();
  const target = new PostgresMetadataStore({ url: o.to });
  await target.init();
  const source = new SqliteTableSource(dbFile);
  try {
    const targetBlobs = await blobStoreAt(o.artifacts, o.env, join(home, 'tmp'));
    return await new StoreMigration({
      source,
      sink: target.tableSink(),
      sourceBlobs: new LocalBlobStore({ root: join(home, 'blobs') }),
      targetBlobs,
      sourceName: `${hostname()}:${dbFile}`,
      ...(o.say ? { say: o.say } : {}),
    }).run();
  } finally {
    await source.close();
    await target.close();
  }
}
