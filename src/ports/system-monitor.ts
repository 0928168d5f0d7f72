/**
 * @module ports/system-monitor
 * What the machine and a run's own processes are doing while the run executes (CPU,
 * memory, disk and network I/O, GPUs), sampled every few seconds and stored as metrics
 * under `system/`, so a slow or failed run can be read against the load it met wherever
 * it ran. Adapters: `adapters/host/local-system-monitor.ts`.
 */

/** What to sample for one run. */
export interface SampleScope {
  /** Process group ids of the run's stages running now (the executor starts each stage in its own group); empty between stages. */
  readonly processGroups: readonly number[];
  /** The GPU indices the run was given (CUDA_VISIBLE_DEVICES), or null: every GPU of the machine. */
  readonly gpus: readonly string[] | null;
}

export interface SystemProbe {
  /** One sample: metric key -> value. Rates are over the time since the previous sample of this probe (the first call primes them and may omit rate keys). Never throws: a source that fails is left out. */
  sample(scope: SampleScope): Promise<Record<string, number>>;
}

export interface SystemMonitor {
  /** A new probe for one run (it keeps the previous counters for rates). */
  probe(): SystemProbe;
}
