/**
 * @module app/embedded
 * The composition root of the embedded mode: services over SQLite and a blob folder
 * under REPRISE_HOME (default ~/.reprise), stages as local processes. This is also what
 * `reprise server` serves, so it records what remote runners report too.
 */
import { join } from 'node:path';
import { LocalBlobStore } from '../adapters/blob-store/local/local-blob-store.js';
import { DuckdbLake } from '../adapters/data-source/duckdb-lake/duckdb-lake.js';
import { SqliteMetadataStore } from '../adapters/metadata-store/sqlite/sqlite-metadata-store.js';
import { RunFolderLogStore } from '../adapters/run-log-store/run-folder/run-folder-log-store.js';
import type { RunLogStore } from '../ports/run-log-store.js';
import { GarbageCollector } from '../services/garbage-collector.js';
import { RunEventBus } from '../services/run-events.js';
import { TrackingService } from '../services/tracking-service.js';
import { assembleServices, lakeDir, repriseHome, type RepriseApp } from './assemble.js';

export interface EmbeddedApp extends RepriseApp {
  readonly mode: 'embedded';
  readonly tracking: TrackingService;
  readonly events: RunEventBus;
  /** Live logs in the run folders under `home`. */
  readonly logs: RunLogStore;
}

export async function openEmbedded(options: { home?: string; env?: NodeJS.ProcessEnv } = {}): Promise<EmbeddedApp> {
  const env = options.env ?? process.env;
  const home = options.home ?? repriseHome(env);
  const store = new SqliteMetadataStore({ path: join(home, 'reprise.db') });
  await store.init();
  const blobs = new LocalBlobStore({ root: join(home, 'blobs') });
  const logs = new RunFolderLogStore({ runsDir: join(home, 'runs') });
  const events = new RunEventBus();
  const tracking = new TrackingService({ store, logs, events });
  const collector = new GarbageCollector({ store, blobs });
  const lake = new DuckdbLake(lakeDir(home, env));
  return {
    mode: 'embedded',
    home,
    server: null,
    store,
    blobs,
    ...assembleServices({ home, env, store, blobs, logs, lake }),
    collectGarbage: (o) => collector.collect(o),
    tracking,
    events,
    logs,
    close: async () => {
      await lake.close();
      await store.close();
    },
  };
}
