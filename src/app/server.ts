/**
 * @module app/server
 * The composition of `reprise server`: the embedded app under REPRISE_HOME served over
 * HTTP, with what keeps it current while it runs (lost runs settled at heartbeat pace,
 * runs that write the store directly watched for live views).
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { buildServer } from '../interfaces/http/server.js';
import { checkListenHost, listen } from '../interfaces/http/listen.js';
import type { GuardedRoute } from '../interfaces/http/authentication.js';
import { ProjectOverview } from '../services/project-overview.js';
import { HEARTBEAT_MS } from '../services/run-service.js';
import { QueueWorker, type QueueWorkerOptions } from '../services/queue-worker.js';
import { StoreWatcher } from '../services/store-watcher.js';
import { ClusterDispatcher } from '../services/cluster-dispatcher.js';
import type { ClusterExecutor } from '../ports/cluster-executor.js';
import { INSTALL_DIR, REPRISE_VERSION } from './assemble.js';
import { RepriseError } from '../core/errors.js';
import { ACTIVE_STATUSES } from '../core/run-manifest.js';
import { mlflowDeps, openEmbedded, type EmbeddedApp } from './embedded.js';
import { startServing, type RunningServing, type ServingOptions } from './serving.js';
import type { RunTokens } from './local-mlflow-endpoint.js';

export interface ServerOptions {
  readonly host: string;
  readonly port: number;
  readonly bodyLimit?: number;
  readonly logRequests?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  /** Every request must say who sends it (`--auth`, REPRISE_AUTH=1); then the server may listen beyond loopback. */
  readonly auth?: boolean;
  /** Behind a reverse proxy (`--trust-proxy`): clients' addresses and scheme from X-Forwarded-For and -Proto. */
  readonly trustProxy?: boolean;
  /** Run queued runs here too (`--workers N`): N at a time, from these queues, with these GPUs. */
  readonly workers?: {
    readonly slots: number;
    readonly queues: readonly string[];
    readonly gpus: readonly string[];
    readonly say?: (message: string) => void;
    readonly observer?: QueueWorkerOptions['observer'];
  };
  /** Serve promoted models (`--serve NAME@ALIAS`, and `reprise serve`). */
  readonly serve?: ServingOptions;
  /** `reprise serve`: only the prediction and feedback routes (and /health), no UI, no MLflow API. */
  readonly servingOnly?: boolean;
  /** Run queued runs as cluster jobs (`--executor ray|kubernetes`). */
  readonly cluster?: {
    readonly executor: ClusterExecutor;
    readonly kind: 'ray' | 'kubernetes';
    readonly queues: readonly string[];
    readonly maxJobs: number;
    /** argv that starts Reprise on the cluster's nodes. */
    readonly runner: readonly string[];
    /** The server's URL as the nodes reach it; default: the URL it listens on. */
    readonly publicUrl?: string;
    readonly runnerEnv?: Readonly<Record<string, string>>;
    readonly image: string | null;
    readonly say?: (message: string) => void;
  };
}

export interface RunningServer {
  readonly url: string;
  readonly home: string;
  readonly app: EmbeddedApp;
  /** Whether the built web UI was found and is served at /. */
  readonly webUi: boolean;
  /** The server's own worker, with --workers. */
  readonly worker: QueueWorker | null;
  /** What submits queued runs to a cluster, with --executor ray|kubernetes. */
  readonly dispatcher: ClusterDispatcher | null;
  /** The served models, with --serve. */
  readonly serving: RunningServing | null;
  /** Every route the server answers, with its access rule. */
  readonly routes: readonly GuardedRoute[];
  close(): Promise<void>;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  // Refused before anything is opened or written.
  const auth = opts.auth ?? false;
  checkListenHost(opts.host, auth);
  // A cluster that does not answer stops the server before it opens anything.
  await opts.cluster?.executor.check();
  const app = await openEmbedded(opts.env ? { env: opts.env } : {});
  let serving: RunningServing | null = null;
  try {
    if (auth && !(await app.access.hasAdmin())) {
      throw new RepriseError('REPRISE_ERR_AUTH_NO_ADMIN', `--auth: no enabled admin exists in the store (${app.storeLocation.where}), so nobody could manage users`, {
        hint: 'add one first: reprise users add NAME --role admin, then create a token (reprise tokens create --user NAME) or set a password (--password-stdin)',
      });
    }
    // Runs whose process died while no server ran are settled before anyone asks. Runs
    // on other machines could not report while it was down: their silence counts from now.
    const listeningSince = Date.now();
    if (!opts.servingOnly) await app.catalog.reconcile(listeningSince);
    // Refused versions stop the start here, before anything listens.
    serving = opts.serve && opts.serve.targets.length > 0 ? await startServing(app, opts.serve, opts.env ?? process.env) : null;
    const webRoot = join(INSTALL_DIR, 'dist', 'web');
    // What reports for one run without a user's token (a cluster job, the stages of the server's own worker): a token of that run only, lasting at most a month.
    const runTokens: RunTokens = { issue: async (runId) => (await app.access.createRunToken(runId, 30 * 86_400_000)).token, revoke: (runId) => app.access.revokeRunTokens(runId) };
    const server = buildServer(
      {
        version: REPRISE_VERSION,
        store: app.store,
        blobs: app.blobs,
        catalog: app.catalog,
        overview: new ProjectOverview({ store: app.store }),
        tracking: app.tracking,
        events: app.events,
        models: app.models,
        retention: app.retention,
        queue: app.queue,
        data: app.data,
        hooks: app.hooks,
        collectGarbage: (o) => app.collectGarbage(o),
        ...(opts.servingOnly ? {} : { mlflow: mlflowDeps(app) }),
        access: app.access,
        audit: app.audit,
        production: app.monitoring,
        serving: serving?.serving ?? null,
        auth,
      },
      {
        ...(opts.bodyLimit ? { bodyLimit: opts.bodyLimit } : {}),
        uploadDir: join(app.home, 'tmp'),
        logRequests: opts.logRequests ?? false,
        ...(opts.servingOnly ? { only: 'serving' as const } : { webRoot }),
        trustProxy: opts.trustProxy ?? false,
      },
    );
    const url = await listen(server, opts.host, opts.port, auth);
    // Runs of the server's own worker send their stages' mlflow calls here.
    if (!opts.servingOnly) app.mlflowEndpoint.serveAt(url, auth ? runTokens : undefined);
    // Reads through the API do not settle lost runs each time; this does, at heartbeat pace.
    const sweep = opts.servingOnly ? undefined : setInterval(() => void app.catalog.reconcile(listeningSince).catch(() => undefined), HEARTBEAT_MS);
    // Run tokens of cluster jobs are revoked once their run has been over a minute (its
    // runner's last reports delivered): looked for every minute, and at start for those a
    // server stopped before it could.
    const runOver = async (id: string): Promise<boolean> => {
      const run = await app.store.getRun(id);
      return !run || (!ACTIVE_STATUSES.includes(run.status) && (run.endedAt ?? 0) < Date.now() - 60_000);
    };
    const revokeEnded = (): Promise<unknown> => app.access.revokeRunTokensOfEnded(runOver).catch(() => undefined);
    if (auth) await revokeEnded();
    const tokenSweep = auth ? setInterval(() => void revokeEnded(), 60_000) : undefined;
    tokenSweep?.unref();
    // Runs started here without REPRISE_SERVER write the store directly: watched for live views.
    const watcher = new StoreWatcher({ store: app.store, logs: app.logs, events: app.events, reportedElsewhere: (id) => app.tracking.reports(id) });
    if (!opts.servingOnly) watcher.start();
    // The server's own worker runs queued runs on this machine, through the store directly.
    const w = opts.workers;
    const worker = w
      ? new QueueWorker({
          store: app.store,
          runs: app.runs,
          kind: 'server',
          name: `${hostname()} (server)`,
          queues: w.queues,
          slots: w.slots,
          gpus: w.gpus,
          version: REPRISE_VERSION,
          near: process.cwd(),
          ...(w.say ? { say: w.say } : {}),
          ...(w.observer ? { observer: w.observer } : {}),
        })
      : null;
    const working = worker?.run().catch((e: unknown) => w?.say?.(`the worker stopped: ${e instanceof Error ? e.message : String(e)}`));
    const c = opts.cluster;
    const dispatcher = c
      ? new ClusterDispatcher({
          store: app.store,
          executor: c.executor,
          kind: c.kind,
          queues: c.queues,
          maxJobs: c.maxJobs,
          version: REPRISE_VERSION,
          runner: c.runner,
          serverUrl: c.publicUrl ?? url,
          ...(c.runnerEnv ? { runnerEnv: c.runnerEnv } : {}),
          ...(auth ? { runTokens } : {}),
          image: c.image,
          ...(c.say ? { say: c.say } : {}),
        })
      : null;
    const dispatching = dispatcher?.run().catch((e: unknown) => c?.say?.(`the ${c.kind} dispatcher stopped: ${e instanceof Error ? e.message : String(e)}`));
    return {
      url,
      home: app.home,
      app,
      webUi: existsSync(join(webRoot, 'index.html')),
      worker,
      dispatcher,
      serving,
      routes: server.accessRoutes,
      close: async () => {
        worker?.stop(true, 'the server was stopped');
        // Cluster jobs go on; their runners wait for the server to come back.
        dispatcher?.stop();
        await Promise.all([working, dispatching]);
        clearInterval(sweep);
        clearInterval(tokenSweep);
        watcher.stop();
        await server.close();
        await serving?.close();
        await app.close();
      },
    };
  } catch (e) {
    await serving?.close();
    await app.close();
    throw e;
  }
}
