/**
 * @module interfaces/http/api-deps
 * What the routes of the API are served from: the services of the embedded app.
 */
import type { BlobStore } from '../../ports/blob-store.js';
import type { MetadataStore } from '../../ports/metadata-store.js';
import type { ModelServing } from '../../services/model-serving.js';
import type { ProductionView } from '../../services/production-view.js';
import type { AccessService } from '../../services/access-service.js';
import type { AuditTrail } from '../../services/audit-trail.js';
import type { DataService } from '../../services/data-service.js';
import type { GcOptions, GcReport } from '../../services/garbage-collector.js';
import type { MergeTrigger } from '../../services/merge-trigger.js';
import type { ModelService } from '../../services/model-service.js';
import type { ProjectOverview } from '../../services/project-overview.js';
import type { QueueService } from '../../services/queue-service.js';
import type { RetentionService } from '../../services/retention-service.js';
import type { RunCatalog } from '../../services/run-catalog.js';
import type { RunEventBus } from '../../services/run-events.js';
import type { TrackingService } from '../../services/tracking-service.js';
import type { MlflowDeps } from '../mlflow/mlflow-route.js';

export interface ApiDeps {
  readonly version: string;
  readonly store: MetadataStore;
  readonly blobs: BlobStore;
  readonly catalog: RunCatalog;
  readonly overview: ProjectOverview;
  readonly tracking: TrackingService;
  readonly events: RunEventBus;
  readonly models: ModelService;
  readonly retention: RetentionService;
  readonly queue: QueueService;
  readonly data: DataService;
  /** Repository links and the git hook. */
  readonly hooks: MergeTrigger;
  collectGarbage(options: GcOptions): Promise<GcReport>;
  /** Users, tokens and sessions. */
  readonly access: AccessService;
  readonly audit: AuditTrail;
  /** Whether every route checks who calls (`reprise server --auth`); off, the server is one user's, on loopback. */
  readonly auth: boolean;
  /** Production models: the overview, settings, alerts and feedback. */
  readonly production: ProductionView;
  /** The models this process serves (`--serve`); null: none, and predictions are refused as not served here. */
  readonly serving: ModelServing | null;
  /** The MLflow-compatible API's services; absent: that API is not mounted. */
  readonly mlflow?: MlflowDeps;
}
