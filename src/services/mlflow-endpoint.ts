/**
 * @module services/mlflow-endpoint
 * Where a run's stages send their `mlflow` calls (MLFLOW_TRACKING_URI), so that
 * `mlflow.log_*` and `mlflow.autolog()` inside `reprise run` write into the run itself:
 * the server a remote run reports to, or, embedded, an MLflow-compatible endpoint this
 * process opens on loopback while runs need it.
 */
export interface MlflowEndpoint {
  /** An address for one run's stages, held until `close`; `token`: what the stages authenticate with (MLFLOW_TRACKING_TOKEN). */
  open(runId: string): Promise<{ readonly url: string; readonly token?: string; close(): Promise<void> }>;
}

/** The endpoint of a server that is already listening; `token` when it asks who calls. */
export function fixedMlflowEndpoint(url: string, token?: string): MlflowEndpoint {
  return { open: async () => ({ url, ...(token ? { token } : {}), close: async () => undefined }) };
}
