/**
 * @module app/embedded
 * The composition root of the embedded mode: services over SQLite and a blob folder
 * under REPRISE_HOME (default ~/.reprise), or PostgreSQL and an S3 bucket where
 * REPRISE_DB and REPRISE_ARTIFACTS name them (see backends.ts); stages as local processes. This is also what
 * `reprise server` serves, so it records what remote runners report too.
 */
import { join } from 'node:path';
import { DuckdbLake } from '../adapters/data-source/duckdb-lake/duckdb-lake.js';
import { RunFolderLogStore } from '../adapters/run-log-store/run-folder/run-folder-log-store.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { RunLogStore } from '../ports/run-log-store.js';
import { GarbageCollector } from '../services/garbage-collector.js';
import { RunEventBus } from '../services/run-events.js';
import { TrackingService } from '../services/tracking-service.js';
import { ClientRunService } from '../services/client-runs.js';
import { LoggedModelService } from '../services/logged-models.js';
import { ProjectRecordService } from '../services/project-records.js';
import { LocalMlflowEndpoint } from './local-mlflow-endpoint.js';
import type { MlflowDeps } from '../interfaces/mlflow/mlflow-route.js';
import { assembleServices, lakeDir, repriseHome, type RepriseApp } from './assemble.js';
import { accessStoreOf, monitoringStoreOf, openBlobStore, openMetadataStore, type StoreLocation } from './backends.js';
import type { ServedAlias } from '../core/model-monitoring.js';
import type { MonitoringStore } from '../ports/monitoring-store.js';
import { AlertService } from '../services/alert-service.js';
import { MonitorSettingsSource } from '../services/monitor-settings.js';
import { ProductionView } from '../services/production-view.js';
import type { ReferenceProfiles } from '../services/reference-profiles.js';
import type { VersionPreparer } from '../services/served-version.js';
import { AccessService } from '../services/access-service.js';
import { AuditTrail, type RecordAudit } from '../services/audit-trail.js';

export interface EmbeddedApp extends RepriseApp {
  readonly mode: 'embedded';
  /** Where the metadata is kept: SQLite under the home, or the PostgreSQL database of REPRISE_DB. */
  readonly storeLocation: StoreLocation;
  readonly tracking: TrackingService;
  readonly events: RunEventBus;
  /** Live logs in the run folders under `home`. */
  readonly logs: RunLogStore;
  /** What clients of the MLflow-compatible API drive: their runs, projects and logged models. */
  readonly clientRuns: ClientRunService;
  readonly projectRecords: ProjectRecordService;
  readonly loggedModels: LoggedModelService;
  /** Users, roles, tokens and sessions; the audit log, merged with the model store's. */
  readonly access: AccessService;
  readonly audit: AuditTrail;
  /** Where stages' `mlflow` calls go: a loopback endpoint opened while runs need it, or the server once it listens. */
  readonly mlflowEndpoint: LocalMlflowEndpoint;
  /** Production models read from this store: the overview, settings, alerts, feedback. */
  readonly monitoring: ProductionView;
  /** What serving and watching production models use (app/serving.ts puts them together). */
  readonly production: ProductionParts;
}

export interface ProductionParts {
  /** The monitoring store, in the metadata store's database. */
  readonly store: MonitoringStore;
  readonly settings: MonitorSettingsSource;
  readonly alerts: AlertService;
  readonly profiles: ReferenceProfiles;
  readonly preparer: VersionPreparer;
  /** The aliases served in this process: set by the serving it starts (none until then). */
  servedHere: () => ServedAlias[];
}

/** What the MLflow-compatible API is served from. */
export function mlflowDeps(app: EmbeddedApp): MlflowDeps {
  return { store: app.store, projects: app.projectRecords, runs: app.clientRuns, models: app.models, loggedModels: app.loggedModels };
}

export async function openEmbedded(options: { home?: string; env?: NodeJS.ProcessEnv } = {}): Promise<EmbeddedApp> {
  const env = options.env ?? process.env;
  const home = options.home ?? repriseHome(env);
  const { store, location } = await openMetadataStore(home, env);
  let blobs: BlobStore;
  try {
    ({ blobs } = await openBlobStore(home, env));
  } catch (e) {
    await store.close();
    throw e;
  }
  const logs = new RunFolderLogStore({ runsDir: join(home, 'runs') });
  const events = new RunEventBus();
  const tracking = new TrackingService({ store, logs, events });
  const collector = new GarbageCollector({ store, blobs });
  const lake = new DuckdbLake(lakeDir(home, env));
  const mlflowEndpoint = new LocalMlflowEndpoint(() => ({ store, projects, runs: clientRuns, models: services.models, loggedModels }));
  const monitoring = monitoringStoreOf(store);
  const services = assembleServices({ home, env, store, blobs, logs, lake, mlflow: mlflowEndpoint, monitoring });
  const settings = new MonitorSettingsSource({ monitoring });
  const alerts = new AlertService({ monitoring, settings, ...(env.REPRISE_PUBLIC_URL ? { publicUrl: env.REPRISE_PUBLIC_URL } : {}) });
  const production: ProductionParts = { store: monitoring, settings, alerts, profiles: services.profiles!, preparer: services.preparer, servedHere: () => [] };
  const view = new ProductionView({ store, monitoring, models: services.models, settingsSource: settings, alertService: alerts, served: () => production.servedHere() });
  const access = new AccessService({ store: accessStoreOf(store) });
  const audit: RecordAudit = (by, action, target, details) => access.record(by, action, target, details);
  const clientRuns = new ClientRunService({ store, blobs, tracking, gates: services.gates, audit });
  const projects = new ProjectRecordService({ store, audit });
  const loggedModels = new LoggedModelService({ store, runs: clientRuns });
  const auditTrail = new AuditTrail({ access, models: services.models });
  return {
    mode: 'embedded',
    home,
    server: null,
    storeLocation: location,
    store,
    blobs,
    ...services,
    collectGarbage: async (o) => {
      const report = await collector.collect(o);
      if (!report.dryRun) {
        await access.record(o.by ?? 'unknown', 'gc', 'artifacts', { runs: report.runsCollected.map((r) => r.id), blobsFreed: report.blobsFreed, bytesFreed: report.bytesFreed });
      }
      return report;
    },
    tracking,
    events,
    logs,
    clientRuns,
    projectRecords: projects,
    loggedModels,
    mlflowEndpoint,
    production,
    monitoring: view,
    access,
    audit: auditTrail,
    auditLog: (q) => auditTrail.list(q),
    close: async () => {
      await lake.close();
      await store.close();
    },
  };
}
