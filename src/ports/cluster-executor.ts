/**
 * @module ports/cluster-executor
 * Runs a whole queued run as a job on a cluster that places it on one of its machines: a
 * Ray job, a Kubernetes Job. The job's command is Reprise's runner in single-run mode,
 * which fetches code, patch and environment as an agent does and reports to the server;
 * the cluster only places and supervises the process. Reprise keeps the statuses: a job
 * that fails before its runner could report, or vanishes, is settled from `status()`.
 * Adapters: `adapters/cluster-executor/ray/`, `adapters/cluster-executor/kubernetes/`.
 */

/** What one run needs from the cluster. */
export interface ClusterJobSpec {
  /** The run this job executes; adapters label the job with it and derive its name from it. */
  readonly runId: string;
  /** The runner's command line as argv (the first word is the program). */
  readonly command: readonly string[];
  /** Environment of the runner: the server's URL, a run-scoped token, REPRISE_* settings. */
  readonly env: Readonly<Record<string, string>>;
  /** CPUs the run asks for; null: the cluster's default. */
  readonly cpus: number | null;
  /** GPUs the run asks for; 0 or null: none. */
  readonly gpus: number | null;
  /** Memory in bytes; null: the cluster's default. */
  readonly memoryBytes: number | null;
  /** The container image the job runs in (Kubernetes); null where the cluster's nodes run it directly (Ray). */
  readonly image: string | null;
}

/**
 * Where a submitted job stands. `pending`: accepted, not yet running (waiting for room,
 * pulling an image). `running`: its runner process is up. `succeeded`/`failed`: it ended;
 * `lost`: the cluster no longer knows it (deleted, its node gone).
 */
export type ClusterJobState = 'pending' | 'running' | 'succeeded' | 'failed' | 'lost';

export interface ClusterJobStatus {
  readonly state: ClusterJobState;
  /** In the cluster's words, for a failed or lost job (and a pending one that cannot start): `OOMKilled`, `ImagePullBackOff: …`, Ray's message. */
  readonly reason: string | null;
}

export interface ClusterExecutor {
  /** Recorded as the runs' executor: `ray`, `kubernetes`. */
  readonly name: string;
  /** Where it submits, for messages (no credentials). */
  readonly address: string;
  /** The id `submit` gives the run's job, known before submitting so the runner can record it. */
  jobIdFor(runId: string): string;
  /** Checks the cluster answers; REPRISE_ERR_EXECUTOR_UNAVAILABLE naming the address when not. */
  check(): Promise<void>;
  /** Submits the run's job; returns the cluster's id of it. Submitting the same run again while its job exists returns that job. */
  submit(spec: ClusterJobSpec): Promise<string>;
  /** Where the job stands now. An unknown id is `lost`, not an error. */
  status(jobId: string): Promise<ClusterJobStatus>;
  /** Stops the job (a canceled run); a job already gone is not an error. */
  stop(jobId: string): Promise<void>;
  /** The end of the job's output, for a failure's reason; empty when the cluster has none. */
  logTail(jobId: string, maxBytes: number): Promise<string>;
}
