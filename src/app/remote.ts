/**
 * @module app/remote
 * The composition root of the remote mode (REPRISE_SERVER set): the same services as
 * embedded, over adapters that reach the server's API. Stages still run on this machine,
 * in its environments; what they report goes to the server, through an outbox on disk
 * under REPRISE_HOME/outbox when the server is away.
 */
import { join } from 'node:path';
import { ApiClient } from '../adapters/api-client/api-client.js';
import { RunEventWatcher } from '../adapters/api-client/event-stream.js';
import { Outbox } from '../adapters/api-client/outbox.js';
import { RemoteAccess } from '../adapters/api-client/remote-access.js';
import { RemoteMonitoring } from '../adapters/api-client/remote-monitoring.js';
import { HttpBlobStore } from '../adapters/blob-store/http/http-blob-store.js';
import { HttpLake } from '../adapters/data-source/http/http-lake.js';
import { HttpMetadataStore } from '../adapters/metadata-store/http/http-metadata-store.js';
import { HttpRunLogStore } from '../adapters/run-log-store/http/http-run-log-store.js';
import { parseDuration } from '../core/duration.js';
import { WORKER_HEADER } from '../core/queue.js';
import type { GcReport } from '../services/garbage-collector.js';
import { fixedMlflowEndpoint } from '../services/mlflow-endpoint.js';
import { assembleServices, repriseHome, type RepriseApp } from './assemble.js';

/** How long a process that reached the server waits for it to come back. */
export const DEFAULT_PATIENCE_MS = 15 * 60_000;

export async function openRemote(options: {
  server: string;
  env?: NodeJS.ProcessEnv;
  say?: (message: string) => void;
  /** An agent's worker id: sent with every request, so reports on runs it no longer holds are refused. */
  worker?: string;
}): Promise<RepriseApp> {
  const env = options.env ?? process.env;
  const home = repriseHome(env);
  const say = options.say ?? (() => undefined);
  const patienceMs = env.REPRISE_SERVER_PATIENCE ? parseDuration(env.REPRISE_SERVER_PATIENCE, 'REPRISE_SERVER_PATIENCE') : DEFAULT_PATIENCE_MS;
  // REPRISE_TOKEN: who this process is to a server that asks (`reprise server --auth`).
  const token = env.REPRISE_TOKEN?.trim() || undefined;
  const headers = { ...(options.worker ? { [WORKER_HEADER]: options.worker } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const api = new ApiClient({ url: options.server, patienceMs, onWaiting: say, headers });
  const outbox = new Outbox({ client: api, dir: join(home, 'outbox'), onDropped: (m) => say(`warning: ${m}`) });
  const store = new HttpMetadataStore({ api, outbox });
  await store.init();
  const adopted = outbox.adoptLeftovers();
  if (adopted > 0) say(`delivering ${adopted} update(s) an earlier process left undelivered in ${join(home, 'outbox')}`);
  const blobs = new HttpBlobStore({ api });
  const logs = new HttpRunLogStore({ api, outbox });
  const watcher = new RunEventWatcher({ api });
  const access = new RemoteAccess(api);
  return {
    mode: 'remote',
    home,
    server: api.url,
    store,
    blobs,
    ...assembleServices({ home, env, store, blobs, logs, lake: new HttpLake({ api, blobs }), logMirror: logs, waitForActivity: (runId, ms) => watcher.wait(runId, ms), mlflow: fixedMlflowEndpoint(api.url, token) }),
    access,
    monitoring: new RemoteMonitoring(api),
    auditLog: (q) => access.auditLog(q),
    // The blobs are the server's: its own gc deletes them.
    collectGarbage: (o) => api.json<GcReport>({ method: 'POST', path: '/gc', json: { dryRun: o.dryRun ?? false, ...(o.graceMs !== undefined ? { graceMs: o.graceMs } : {}), ...(o.by !== undefined ? { by: o.by } : {}) }, timeoutMs: 3_600_000 }),
    close: async () => {
      watcher.close();
      await store.close();
    },
  };
}
