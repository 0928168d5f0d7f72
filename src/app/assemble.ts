/**
 * @module app/assemble
 * What both modes share: the installation's facts, and the services built over a store,
 * a blob store and a live-log store, whichever adapters those are.
 */
import type { AuditEntry } from '../core/access.js';
import type { AccessCommands } from '../services/access-service.js';
import type { MonitoringCommands } from '../services/production-view.js';
import type { AuditQuery } from '../services/audit-trail.js';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliContainerEngine } from '../adapters/container-engine/cli/cli-container-engine.js';
import { FolderCodeSource } from '../adapters/code-source/folder/folder-code-source.js';
import { GitCodeSource } from '../adapters/code-source/git/git-code-source.js';
import { LocalProcessExecutor } from '../adapters/executor/local-process/local-process-executor.js';
import { VenvEnvironmentProvider } from '../adapters/environment/venv/venv-environment-provider.js';
import { LocalHostProbe } from '../adapters/host/local-host-probe.js';
import { LocalSystemMonitor } from '../adapters/host/local-system-monitor.js';
import { PostgresSource } from '../adapters/data-source/postgres/postgres-source.js';
import { bug } from '../core/errors.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { Lake } from '../ports/data-source.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { MonitoringStore } from '../ports/monitoring-store.js';
import type { ModelVersion } from '../core/model-store.js';
import { DuckdbSnapshotReader } from '../adapters/data-source/duckdb/duckdb-snapshot-reader.js';
import { ReferenceProfiles } from '../services/reference-profiles.js';
import { VersionPreparer } from '../services/served-version.js';
import type { RunLogStore } from '../ports/run-log-store.js';
import type { MlflowEndpoint } from '../services/mlflow-endpoint.js';
import { DataService } from '../services/data-service.js';
import { EnvironmentService } from '../services/environment-service.js';
import type { GcOptions, GcReport } from '../services/garbage-collector.js';
import { GateService } from '../services/gate-service.js';
import { MergeTrigger } from '../services/merge-trigger.js';
import { RepositoryHooks } from '../services/repository-hook.js';
import { ModelService } from '../services/model-service.js';
import { QueueService } from '../services/queue-service.js';
import { RetentionService } from '../services/retention-service.js';
import { ImageService } from '../services/image-service.js';
import { RunBundles } from '../services/run-bundles.js';
import { RunCatalog, type ActivityWaiter } from '../services/run-catalog.js';
import { RunService } from '../services/run-service.js';
import { TensorboardExport } from '../services/tensorboard-export.js';
import { TensorboardImport } from '../services/tensorboard-import.js';
import { VerificationService } from '../services/verification-service.js';

/**
 * The folder holding package.json, sdk/ and the rest of the installation. Found by
 * looking upward, so it holds whether this module runs from src/, dist/ or a bundle.
 */
export const INSTALL_DIR = findInstallDir(dirname(fileURLToPath(import.meta.url)));

function findInstallDir(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'reprise') return dir;
    if (dirname(dir) === dir) throw bug(`no package.json of reprise above ${from}`);
  }
}

export const REPRISE_VERSION: string = (JSON.parse(readFileSync(join(INSTALL_DIR, 'package.json'), 'utf8')) as { version: string }).version;

export function repriseHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.REPRISE_HOME || join(homedir(), '.reprise'));
}

/** Where the embedded lake lives: REPRISE_LAKE, else `lake/` under the home. */
export function lakeDir(home: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.REPRISE_LAKE || join(home, 'lake'));
}

/** What the interfaces use, whichever mode built it: the same services over other adapters. */
export interface RepriseApp {
  /** `embedded`: SQLite and blobs under `home`; `remote`: the server at `server`, `home` holding this machine's caches and run folders. */
  readonly mode: 'embedded' | 'remote';
  readonly home: string;
  readonly server: string | null;
  readonly store: MetadataStore;
  readonly blobs: BlobStore;
  readonly environments: EnvironmentService;
  readonly images: ImageService;
  readonly runs: RunService;
  readonly catalog: RunCatalog;
  /** `reprise export` and `reprise import`. */
  readonly bundles: RunBundles;
  readonly verifications: VerificationService;
  /** `reprise gate`. */
  readonly gates: GateService;
  /** `reprise promote` and `reprise models`. */
  readonly models: ModelService;
  /** `reprise keep` and `reprise flag`, and each run's retention as shown. */
  readonly retention: RetentionService;
  /** `reprise cancel`, the queue view, sweeps. */
  readonly queue: QueueService;
  /** `reprise data`: the lake (here, or the server's). */
  readonly data: DataService;
  /** `reprise hooks`: repository links; on the server, the git hook that merges go through. */
  readonly hooks: MergeTrigger;
  /** `reprise import-tb` and `reprise tensorboard`: TensorBoard log directories in and out. */
  readonly tensorboard: { readonly import: TensorboardImport; readonly export: TensorboardExport };
  /** `reprise users` and `reprise tokens`: on the store (embedded), or asked of the server (remote). */
  readonly access: AccessCommands;
  /** `reprise production`, `reprise alerts`, `reprise models monitor`: the store's monitoring records, or asked of the server. */
  readonly monitoring: MonitoringCommands;
  /** `reprise audit`: the audit log, newest first. */
  auditLog(query: AuditQuery): Promise<AuditEntry[]>;
  /** `reprise gc`: where the blobs are (embedded), or asked of the server (remote). */
  collectGarbage(options: GcOptions): Promise<GcReport>;
  close(): Promise<void>;
}

export interface Backends {
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  readonly store: MetadataStore;
  readonly blobs: BlobStore;
  readonly logs: RunLogStore;
  /** The lake `data:` queries read and `reprise data` works on. */
  readonly lake: Lake;
  /** Remote mode: where runs copy their live output. */
  readonly logMirror?: RunLogStore;
  /** Remote mode: live updates instead of polling. */
  readonly waitForActivity?: ActivityWaiter;
  /** Where stages' `mlflow` calls go. */
  readonly mlflow?: MlflowEndpoint;
  /** Embedded mode: the monitoring store, so promotions profile their training data. */
  readonly monitoring?: MonitoringStore;
}

/** The services every mode has, over the given backends; this machine runs the stages and holds the environments. */
export function assembleServices(
  b: Backends,
): Pick<RepriseApp, 'environments' | 'images' | 'runs' | 'catalog' | 'verifications' | 'bundles' | 'gates' | 'models' | 'retention' | 'queue' | 'data' | 'hooks' | 'tensorboard'> & {
  /** Makes promoted versions ready to serve (their files, recorded code and environment). */
  readonly preparer: VersionPreparer;
  /** Reference profiles of versions; null without a monitoring store (remote mode: the server makes them). */
  readonly profiles: ReferenceProfiles | null;
} {
  const { home, env, store, blobs, logs, lake } = b;
  const envProvider = new VenvEnvironmentProvider({ root: join(home, 'envs') });
  const git = new GitCodeSource({ mirrorsDir: join(home, 'cache', 'git') });
  const host = new LocalHostProbe({ env, cacheFile: join(home, 'cache', 'python-interpreters.json') });
  const codeSources = { git, folder: new FolderCodeSource() };
  const runs = new RunService({
    store,
    blobs,
    executor: new LocalProcessExecutor(),
    host,
    environments: envProvider,
    codeSources,
    runsDir: join(home, 'runs'),
    repriseVersion: REPRISE_VERSION,
    sdkPythonPath: join(INSTALL_DIR, 'sdk', 'python'),
    env,
    systemMonitor: new LocalSystemMonitor({ env }),
    data: { lake, postgres: (o) => new PostgresSource(o) },
    ...(b.logMirror ? { logMirror: b.logMirror } : {}),
    ...(b.mlflow ? { mlflow: b.mlflow } : {}),
  });
  const catalog = new RunCatalog({ store, blobs, logs, ...(b.waitForActivity ? { waitForActivity: b.waitForActivity } : {}) });
  const environments = new EnvironmentService({ store, environments: envProvider });
  const images = new ImageService({
    code: git,
    host,
    blobs,
    store,
    catalog,
    engines: [new CliContainerEngine('docker', env), new CliContainerEngine('podman', env)],
    installDir: INSTALL_DIR,
  });
  const verifications = new VerificationService({ store, blobs });
  const bundles = new RunBundles({ store, blobs, catalog, code: git, tmpDir: join(home, 'tmp'), repriseVersion: REPRISE_VERSION });
  const gates = new GateService({ store, blobs, codeSources, tmpDir: join(home, 'tmp') });
  const profiles = b.monitoring
    ? new ReferenceProfiles({ store, monitoring: b.monitoring, blobs, reader: new DuckdbSnapshotReader(), codeSources, tmpDir: join(home, 'tmp'), near: process.cwd() })
    : null;
  // A promotion profiles the version's training data; a failure is stored as the reason, never the promotion's.
  const onPromoted = profiles
    ? async (v: ModelVersion) => {
        await profiles.ensure(v).catch(() => undefined);
      }
    : undefined;
  const models = new ModelService({ store, blobs, gates, ...(onPromoted ? { onPromoted } : {}) });
  const preparer = new VersionPreparer({
    store,
    blobs,
    models,
    host,
    environments: envProvider,
    codeSources,
    servingDir: join(home, 'serving'),
    sdkPythonPath: join(INSTALL_DIR, 'sdk', 'python'),
    env,
    near: process.cwd(),
  });
  const retention = new RetentionService({ store });
  const queue = new QueueService({ store });
  const data = new DataService({ lake, store });
  const hooks = new MergeTrigger({ store, blobs, runs, mirror: git, images, tmpDir: join(home, 'tmp') });
  const tensorboard = { import: new TensorboardImport({ store, gates }), export: new TensorboardExport({ store }) };
  return { runs, catalog, environments, images, verifications, bundles, gates, models, retention, queue, data, hooks, tensorboard, preparer, profiles };
}

/**
 * `reprise hooks install` and what an installed hook reports: they need the repository
 * on this machine, no store, so a hook works whether or not the server is up.
 */
export function repositoryHooks(home: string): RepositoryHooks {
  return new RepositoryHooks({ repos: new GitCodeSource({ mirrorsDir: join(home, 'cache', 'git') }) });
}
