/**
 * @module app/backends
 * Which store and which blob store a process keeps its records in: SQLite and a blob
 * folder under REPRISE_HOME by default; PostgreSQL when REPRISE_DB (`--db`) names one;
 * an S3-compatible bucket when REPRISE_ARTIFACTS (`--artifacts`) does. Each is reached
 * before anything else happens, so a database or bucket that is down stops the process at
 * once with an error naming it, not at the first run. The PostgreSQL and S3 adapters are
 * loaded only when named: every other command starts without parsing them.
 */
import { join, resolve } from 'node:path';
import { LocalBlobStore } from '../adapters/blob-store/local/local-blob-store.js';
import type { PostgresMetadataStore } from '../adapters/metadata-store/postgres/postgres-metadata-store.js';
import { SqliteMetadataStore } from '../adapters/metadata-store/sqlite/sqlite-metadata-store.js';
import { redactRepositoryUrl } from '../core/redact-url.js';
import type { AccessStore } from '../ports/access-store.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { MonitoringStore } from '../ports/monitoring-store.js';

/** Where the metadata is: `sqlite` (a file) or `postgres` (a URL, its password masked in `where`). */
export interface StoreLocation {
  readonly kind: 'sqlite' | 'postgres';
  /** For messages: the file, or the URL without its password. */
  readonly where: string;
}

/** The store REPRISE_DB names (PostgreSQL), else SQLite under `home`; not yet initialised. */
export async function metadataStoreFor(home: string, env: NodeJS.ProcessEnv): Promise<{ store: MetadataStore; location: StoreLocation }> {
  const url = env.REPRISE_DB?.trim();
  if (url) {
    const { PostgresMetadataStore } = await import('../adapters/metadata-store/postgres/postgres-metadata-store.js');
    return { store: new PostgresMetadataStore({ url }), location: { kind: 'postgres', where: redactRepositoryUrl(url) } };
  }
  const path = join(home, 'reprise.db');
  return { store: new SqliteMetadataStore({ path }), location: { kind: 'sqlite', where: path } };
}

/** Users, tokens, sessions and the audit log, kept in the same database as `store` (one metadataStoreFor made). */
export function accessStoreOf(store: MetadataStore): AccessStore {
  return (store as SqliteMetadataStore | PostgresMetadataStore).accessStore();
}

/** What the monitor of production models keeps, in the same database as `store` (one metadataStoreFor made). */
export function monitoringStoreOf(store: MetadataStore): MonitoringStore {
  return (store as SqliteMetadataStore | PostgresMetadataStore).monitoringStore();
}

/** The store, initialised (migrated); closed again when that fails. */
export async function openMetadataStore(home: string, env: NodeJS.ProcessEnv): Promise<{ store: MetadataStore; location: StoreLocation }> {
  const opened = await metadataStoreFor(home, env);
  try {
    await opened.store.init();
  } catch (e) {
    await opened.store.close().catch(() => undefined);
    throw e;
  }
  return opened;
}

/** The bucket REPRISE_ARTIFACTS names, checked to answer; else the blob folder under `home`. */
export async function openBlobStore(home: string, env: NodeJS.ProcessEnv): Promise<{ blobs: BlobStore; where: string }> {
  const url = env.REPRISE_ARTIFACTS?.trim();
  const where = url || join(home, 'blobs');
  return { blobs: await blobStoreAt(where, env, join(home, 'tmp')), where };
}

/** The blobs at `location`: an `s3://` bucket (checked to answer, staging under `tmpDir`), else a folder. */
export async function blobStoreAt(location: string, env: NodeJS.ProcessEnv, tmpDir: string): Promise<BlobStore> {
  if (!/^s3:\/\//i.test(location) && !location.includes('://')) return new LocalBlobStore({ root: resolve(location) });
  const { S3BlobStore } = await import('../adapters/blob-store/s3/s3-blob-store.js');
  const blobs = new S3BlobStore({ url: location, env, tmpDir });
  await blobs.check();
  return blobs;
}

/** `reprise db migrate`: the store's schema brought to this version's; from which version to which. */
export async function migrateMetadataStore(home: string, env: NodeJS.ProcessEnv): Promise<{ location: StoreLocation; from: number; to: number }> {
  const { store, location } = await metadataStoreFor(home, env);
  try {
    const done = await (store as PostgresMetadataStore | SqliteMetadataStore).migrate();
    return { location, ...done };
  } finally {
    await store.close();
  }
}
