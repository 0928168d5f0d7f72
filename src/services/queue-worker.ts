/**
 * @module services/queue-worker
 * A worker: claims queued runs and runs them, up to its slots at a time, each in its own
 * workspace and environment. The same code serves `reprise agent` (over a server's API,
 * on any machine) and `reprise server --workers N` (on the server's machine, over its
 * store). Every LEASE_RENEW_MS one heartbeat renews the lease of every run it holds;
 * the answer says which were canceled (stopped here) and which it lost (a lease that
 * expired while the worker was cut off: stopped too, as they were settled elsewhere).
 * Each run gets its own GPUs from the worker's list as CUDA_VISIBLE_DEVICES, so parallel
 * runs never share one.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRepriseError, RepriseError } from '../core/errors.js';
import { newRunId } from '../core/ids.js';
import { gpusNeeded, LEASE_RENEW_MS, type WorkerKind, type WorkerRegistration } from '../core/queue.js';
import type { RunRecord } from '../core/run.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { processStartTime } from '../platform/process-identity.js';
import { messageOf } from './live-run.js';
import type { RunObserver, RunService } from './run-service.js';

export interface QueueWorkerOptions {
  /** Default: a new id. An agent picks it first, as its reports name it (see app/remote). */
  readonly id?: string;
  readonly store: MetadataStore;
  readonly runs: RunService;
  readonly kind: WorkerKind;
  /** Shown in the UI; default: this machine's name. */
  readonly name?: string;
  readonly queues: readonly string[];
  readonly slots: number;
  /** GPU indices (or UUIDs) to hand out, one set per run; empty: a machine without GPUs. */
  readonly gpus: readonly string[];
  readonly version: string;
  /** Where a repository holding a run's commit may be, looked in before fetching. */
  readonly near: string;
  /** How long one claim waits on the server for a run (a long poll). */
  readonly claimWaitMs?: number;
  /** What the worker says: claims, ends, problems. */
  readonly say?: (message: string) => void;
  /** Per run, what its stages print and how it goes. */
  readonly observer?: (run: RunRecord) => RunObserver;
}

interface Held {
  readonly run: RunRecord;
  readonly gpus: readonly string[];
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

export class QueueWorker {
  readonly id: string;
  readonly #o: QueueWorkerOptions;
  /** Set once stopped with its runs canceled: a run a claim in flight still brings is canceled too. */
  #cancelReason: string | undefined;
  readonly #held = new Map<string, Held>();
  readonly #stopping = new AbortController();
  /** Aborted once stopped with nothing held: ends the heartbeats' wait at once. */
  readonly #idle = new AbortController();
  #slotFreed: (() => void) | undefined;
  #registration: WorkerRegistration | undefined;

  constructor(o: QueueWorkerOptions) {
    this.#o = o;
    this.id = o.id ?? newRunId();
  }

  get name(): string {
    return this.#o.name ?? hostname();
  }

  /** Registers, then claims and runs until `stop()`; resolves once its runs have ended. */
  async run(): Promise<void> {
    const o = this.#o;
    this.#registration = {
      id: this.id,
      name: this.name,
      kind: o.kind,
      host: hostname(),
      pid: process.pid,
      queues: [...o.queues],
      slots: o.slots,
      gpus: [...o.gpus],
      version: o.version,
      startedAt: Date.now(),
    };
    await o.store.registerWorker(this.#registration);
    const beats = this.#heartbeats();
    try {
      while (!this.#stopping.signal.aborted) {
        if (this.#held.size >= o.slots) {
          await this.#waitForSlot();
          continue;
        }
        const free = this.#freeGpus();
        let run: RunRecord | undefined;
        try {
          run = await o.store.claimRun({
            worker: this.id,
            queues: o.queues,
            freeGpus: free.length,
            hasGpus: o.gpus.length > 0,
            host: hostname(),
            pid: process.pid,
            pidStart: processStartTime(process.pid),
            now: Date.now(),
            waitMs: o.claimWaitMs ?? 5_000,
          });
        } catch (e) {
          if (this.#stopping.signal.aborted) break;
          o.say?.(`claiming failed: ${messageOf(e)}; trying again`);
          await sleep(2_000, undefined, { signal: this.#stopping.signal }).catch(() => undefined);
          continue;
        }
        if (run) this.#start(run, free, null);
      }
    } finally {
      await Promise.all([...this.#held.values()].map((h) => h.done));
      this.#stopping.abort();
      this.#wakeIfIdle();
      await beats;
      await o.store.stopWorker(this.id, Date.now()).catch(() => undefined);
    }
  }

  /**
   * Single-run mode, what a cluster job runs: executes the one run its dispatcher claimed
   * for this worker id (the dispatcher registered the worker and keeps the lease too), with
   * the GPUs the cluster gave the process. Resolves with the run as it ended; refuses a run
   * this worker does not hold, so a job started twice cannot run it twice.
   */
  async runOne(runId: string, job?: { readonly executor: string; readonly id: string }): Promise<RunRecord> {
    const o = this.#o;
    const holder = await o.store.runHolder(runId);
    if (!holder) throw new RepriseError('REPRISE_ERR_RUN_NOT_FOUND', `no run ${runId}`, { details: { run: runId } });
    if (holder.worker !== this.id || holder.status !== 'preparing') {
      throw new RepriseError('REPRISE_ERR_LEASE_LOST', `run ${runId} is ${holder.status}${holder.worker ? ` and held by worker ${holder.worker}` : ''}, not claimed for worker ${this.id}: nothing to run`, {
        details: { run: runId, worker: this.id },
      });
    }
    const run = await o.store.getRun(runId);
    if (!run) throw new RepriseError('REPRISE_ERR_RUN_NOT_FOUND', `no run ${runId}`, { details: { run: runId } });
    this.#start(run, [], job ?? null);
    const beats = this.#heartbeats();
    await this.#held.get(runId)?.done;
    this.#stopping.abort();
    this.#wakeIfIdle();
    await beats;
    return (await o.store.getRun(runId)) ?? run;
  }

  /** Stops claiming; with `cancelRuns`, also cancels the runs it holds (else they finish). */
  stop(cancelRuns: boolean, reason = `worker ${this.name} stopped`): void {
    this.#stopping.abort();
    this.#slotFreed?.();
    if (cancelRuns) {
      this.#cancelReason = reason;
      for (const h of this.#held.values()) h.abort.abort(reason);
    }
  }

  #freeGpus(): string[] {
    const used = new Set([...this.#held.values()].flatMap((h) => h.gpus));
    return this.#o.gpus.filter((g) => !used.has(g));
  }

  async #waitForSlot(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#slotFreed = resolve;
    });
    this.#slotFreed = undefined;
  }

  #start(run: RunRecord, free: readonly string[], job: { readonly executor: string; readonly id: string } | null): void {
    const o = this.#o;
    const gpus = free.slice(0, gpusNeeded(run.manifest.submission?.gpus ?? null, o.gpus.length > 0));
    const abort = new AbortController();
    const claimedAt = Date.now();
    o.say?.(`claimed ${run.name} (${run.id}) from queue ${run.manifest.submission?.queue ?? '?'}${gpus.length ? ` · GPU ${gpus.join(',')}` : ''}`);
    const done = o.runs
      .execute({
        run,
        executedBy: { worker: this.id, name: this.name, host: hostname(), gpus: [...gpus], claimedAt, ...(job ? { job } : {}) },
        near: o.near,
        // Set even when empty, so a run given no GPU sees none rather than all of them.
        workerEnv: o.gpus.length > 0 ? { CUDA_VISIBLE_DEVICES: gpus.join(',') } : {},
        signal: abort.signal,
        ...(o.observer ? { observer: o.observer(run) } : {}),
      })
      .then(
        (ended) => o.say?.(`${ended.name} (${ended.id}) ended ${ended.status}${ended.manifest.failure ? `: ${ended.manifest.failure.message}` : ''}`),
        (e: unknown) => o.say?.(`${run.name} (${run.id}) could not be run: ${messageOf(e)}`),
      )
      .finally(() => {
        this.#held.delete(run.id);
        this.#slotFreed?.();
        this.#wakeIfIdle();
      });
    this.#held.set(run.id, { run, gpus, abort, done });
    if (this.#cancelReason !== undefined) abort.abort(this.#cancelReason);
  }

  /** Renews every held run's lease until the worker has stopped and its runs ended. */
  async #heartbeats(): Promise<void> {
    const o = this.#o;
    for (;;) {
      const stopped = this.#stopping.signal.aborted && this.#held.size === 0;
      if (stopped) return;
      try {
        const ids = [...this.#held.keys()];
        const beats = await o.store.heartbeat({ at: Date.now(), runIds: ids, worker: this.id });
        for (const [id, beat] of Object.entries(beats)) {
          const h = this.#held.get(id);
          if (!h || h.abort.signal.aborted) continue;
          if (beat === 'cancel') {
            o.say?.(`${h.run.name} (${id}) was canceled: stopping it`);
            h.abort.abort('canceled on request: reprise cancel');
          } else if (beat === 'gone') {
            o.say?.(`${h.run.name} (${id}) is no longer held by this worker (its lease expired): stopping it`);
            h.abort.abort('its lease expired');
          }
        }
      } catch (e) {
        if (isRepriseError(e) && e.code === 'REPRISE_ERR_WORKER_NOT_FOUND' && this.#registration) {
          // The server forgot us (a new store): say who we are again.
          await o.store.registerWorker({ ...this.#registration, startedAt: Date.now() }).catch(() => undefined);
        } else {
          o.say?.(`heartbeat failed: ${messageOf(e)}`);
        }
      }
      await sleep(LEASE_RENEW_MS, undefined, { signal: this.#idle.signal }).catch(() => undefined);
    }
  }

  #wakeIfIdle(): void {
    if (this.#stopping.signal.aborted && this.#held.size === 0) this.#idle.abort();
  }
}
