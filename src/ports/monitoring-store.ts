/**
 * @module ports/monitoring-store
 * What the monitor of production models keeps: each model's settings, the reference
 * profile of each version (its training data, profiled at promotion), sampled prediction
 * requests with the ground truth sent later, traffic counted per minute, scored drift
 * windows, and alerts with who acknowledged them. In the metadata store's database, so
 * every server and `reprise serve` process sharing it sees the same.
 */
import type { Alert, AlertDelivery, DriftWindow, MonitorSettings, NewAlert, PredictionSample, TrafficBucket } from '../core/model-monitoring.js';

/** A version's reference profile as stored: the profile itself is core/feature-profile's JSON. */
export interface StoredReferenceProfile {
  readonly model: string;
  readonly version: number;
  readonly madeAt: number;
  /** The profile (core/feature-profile ReferenceProfile), or null when it could not be made. */
  readonly profile: unknown | null;
  /** Why there is none, when there is none. */
  readonly error: string | null;
}

export interface MonitoringStore {
  /** A model's settings; undefined when none were ever set (callers use the defaults). */
  monitorSettings(model: string): Promise<{ settings: MonitorSettings; updatedAt: number; updatedBy: string } | undefined>;
  setMonitorSettings(model: string, settings: MonitorSettings, by: string, at: number): Promise<void>;

  /** Stores (or replaces) a version's reference profile. */
  putReferenceProfile(p: StoredReferenceProfile): Promise<void>;
  referenceProfile(model: string, version: number): Promise<StoredReferenceProfile | undefined>;

  /** Adds sampled requests; a request id stored before is left as it was (a resend is harmless). */
  addSamples(samples: readonly PredictionSample[]): Promise<void>;
  /** A model's samples with `from <= at < to`, oldest first, at most `limit` (default: all). */
  samples(query: { model: string; from: number; to: number; version?: number; limit?: number }): Promise<PredictionSample[]>;
  /** One sample by request id. */
  sample(requestId: string): Promise<PredictionSample | undefined>;
  /**
   * Records the ground truth of a sampled request. False when no sample has that id
   * (not sampled, or past retention). A second feedback replaces the first.
   */
  addFeedback(requestId: string, truth: readonly unknown[], at: number): Promise<boolean>;
  /** Deletes a model's samples older than `before`; how many. */
  pruneSamples(model: string, before: number): Promise<number>;

  /** Adds counts to a (model, version, minute, node) bucket, creating it when new. */
  addTraffic(buckets: readonly TrafficBucket[]): Promise<void>;
  /** A model's buckets with `from <= start < to`, oldest first (every node's). */
  traffic(query: { model: string; from: number; to: number }): Promise<TrafficBucket[]>;

  /** Stores (or replaces) a window's scores, keyed by model and start. */
  putDriftWindow(w: DriftWindow): Promise<void>;
  /** A model's windows with `from <= start < to`, oldest first. */
  driftWindows(query: { model: string; from: number; to: number }): Promise<DriftWindow[]>;
  /** The start of a model's latest stored window; undefined when none. */
  lastDriftWindow(model: string): Promise<number | undefined>;

  /**
   * Raises an alert; when one of the same model, kind and subject is still open (not
   * acknowledged), that one is seen again instead (its lastSeenAt, value and message
   * updated) and returned with `raised: false`.
   */
  raiseAlert(alert: NewAlert): Promise<{ alert: Alert; raised: boolean }>;
  /** Appends what happened when a webhook was told. */
  addAlertDelivery(id: number, delivery: AlertDelivery): Promise<void>;
  /** Acknowledges an alert; REPRISE_ERR_ALERT_NOT_FOUND for an unknown id; one acknowledged before keeps its first acknowledgement. */
  ackAlert(id: number, by: string, note: string | null, at: number): Promise<Alert>;
  /** Alerts, newest first: of one model, only open ones, at most `limit` (default 100). */
  alerts(query: { model?: string; open?: boolean; limit?: number }): Promise<Alert[]>;
  alert(id: number): Promise<Alert | undefined>;
}
