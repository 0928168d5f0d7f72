/**
 * @module services/cluster-dispatcher
 * A server's dispatcher for a cluster (`reprise server --executor ray|kubernetes`): it
 * claims queued runs as a worker does, and runs each as a cluster job whose command is
 * `reprise agent --run ID --worker ID`, the runner in single-run mode. The cluster places
 * the job on a node with the CPUs, GPUs and memory the run asks for; the runner reports
 * to the server as an agent would. The dispatcher keeps the lease (its heartbeats), and
 * settles what the runner could not report: a job that failed or ended before its runner
 * recorded the end becomes `failed` with the cluster's reason, one the cluster no longer
 * knows becomes `lost` (and is retried while it has retries), a canceled run's job is
 * stopped.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRepriseError } from '../core/errors.js';
import { newRunId } from '../core/ids.js';
import { LEASE_RENEW_MS, type WorkerKind, type WorkerRegistration } from '../core/queue.js';
import { ACTIVE_STATUSES, type RunManifest, type RunStatus } from '../core/run-manifest.js';
import type { RunRecord } from '../core/run.js';
import type { ClusterExecutor, ClusterJobSpec, ClusterJobStatus } from '../ports/cluster-executor.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { processStartTime } from '../platform/process-identity.js';
import { messageOf } from './live-run.js';
import { retryOf } from './liveness.js';

export interface ClusterDispatcherOptions {
  readonly store: MetadataStore;
  readonly executor: ClusterExecutor;
  readonly kind: Extract<WorkerKind, 'ray' | 'kubernetes'>;
  readonly queues: readonly string[];
  /** Jobs submitted at once; more runs wait in the queue. */
  readonly maxJobs: number;
  readonly version: string;
  /** How the cluster's nodes start Reprise's CLI, as argv: `reprise`, or `node /opt/reprise/bin/reprise.js`. */
  readonly runner: readonly string[];
  /** The server's URL as the cluster's nodes reach it. */
  readonly serverUrl: string;
  /** More environment for every runner (REPRISE_HOME, proxies). */
  readonly runnerEnv?: Readonly<Record<string, string>>;
  /** The image a run gets when its merge built none (Kubernetes); null for Ray. */
  readonly image: string | null;
  readonly say?: (message: string) => void;
  /** How often jobs are looked at. */
  readonly pollMs?: number;
  /** How long a job that ended may take for its runner's last reports to arrive. */
  readonly endGraceMs?: number;
  /**
   * Run tokens for the jobs, when the server asks who calls: each job gets one (REPRISE_TOKEN,
   * a `*_TOKEN` variable, so Kubernetes keeps it in a Secret) that writes to its run only.
   * The server revokes it once the run is over.
   */
  readonly runTokens?: { issue(runId: string): Promise<string> };
}

interface Held {
  readonly run: RunRecord;
  readonly jobId: string;
  /** When the cluster first said the job ended (or vanished) while the run was still active. */
  endedSeenAt: number | null;
  /** When a cancel was asked and the job stopped. */
  stoppedAt: number | null;
  /** Since when the cluster has not answered about the job; null while it answers. */
  unansweredSince: number | null;
  /** When the run was first seen ended (its runner reported the end) while its job was still there. */
  runEndedAt: number | null;
}

/** A cluster that has not answered about a job for this long has lost it (its head is gone, and its jobs with it). */
export const VANISHED_AFTER_MS = 60_000;

const TERMINAL_JOB_STATES = new Set<ClusterJobStatus['state']>(['succeeded', 'failed', 'lost']);

export class ClusterDispatcher {
  readonly id = newRunId();
  readonly #o: ClusterDispatcherOptions;
  readonly #held = new Map<string, Held>();
  readonly #stopping = new AbortController();
  #registration: WorkerRegistration | undefined;
  /** Set when the cluster did not answer: no run is claimed until it does again. */
  #clusterDown = false;

  constructor(o: ClusterDispatcherOptions) {
    this.#o = o;
  }

  get name(): string {
    return `${this.#o.kind} at ${this.#o.executor.address}`;
  }

  /** Jobs in flight, by run id (for tests and the status line). */
  jobs(): ReadonlyMap<string, string> {
    return new Map([...this.#held].map(([id, h]) => [id, h.jobId]));
  }

  /** Claims and dispatches until stop(); the jobs it started go on without it. */
  async run(): Promise<void> {
    const o = this.#o;
    this.#registration = {
      id: this.id,
      name: this.name,
      kind: o.kind,
      host: hostname(),
      pid: process.pid,
      queues: [...o.queues],
      slots: o.maxJobs,
      gpus: [],
      version: o.version,
      startedAt: Date.now(),
    };
    await o.store.registerWorker(this.#registration);
    const watching = this.#watch();
    try {
      while (!this.#stopping.signal.aborted) {
        if (this.#held.size >= o.maxJobs) {
          await this.#pause(o.pollMs ?? 1_000);
          continue;
        }
        // No run is claimed while the cluster cannot take it: it stays queued for later.
        if (this.#clusterDown) {
          try {
            await o.executor.check();
            this.#clusterDown = false;
            o.say?.(`${o.executor.address} answers again`);
          } catch {
            await this.#pause(5_000);
            continue;
          }
        }
        let run: RunRecord | undefined;
        try {
          run = await o.store.claimRun({
            worker: this.id,
            queues: o.queues,
            // The cluster places GPUs: any run fits, and one that asks for none gets none.
            freeGpus: Number.MAX_SAFE_INTEGER,
            hasGpus: false,
            host: hostname(),
            pid: process.pid,
            pidStart: processStartTime(process.pid),
            now: Date.now(),
            waitMs: 5_000,
          });
        } catch (e) {
          if (this.#stopping.signal.aborted) break;
          o.say?.(`claiming failed: ${messageOf(e)}; trying again`);
          await this.#pause(2_000);
          continue;
        }
        if (!run) continue;
        try {
          const token = o.runTokens ? await o.runTokens.issue(run.id) : null;
          const jobId = await o.executor.submit(this.#jobSpec(run, token));
          this.#held.set(run.id, { run, jobId, endedSeenAt: null, stoppedAt: null, unansweredSince: null, runEndedAt: null });
          o.say?.(`${run.name} (${run.id}) submitted as ${o.kind} job ${jobId}`);
        } catch (e) {
          this.#clusterDown = true;
          o.say?.(`${run.name} (${run.id}) could not be submitted: ${messageOf(e)}`);
          await this.#settle(run, 'failed', `submitting it to ${o.kind} at ${o.executor.address} failed: ${messageOf(e)}`, []);
        }
      }
    } finally {
      this.#stopping.abort();
      await watching;
      await o.store.stopWorker(this.id, Date.now()).catch(() => undefined);
    }
  }

  /** Stops claiming; jobs keep running and their runners keep reporting to the server. */
  stop(): void {
    this.#stopping.abort();
  }

  #jobSpec(run: RunRecord, token: string | null): ClusterJobSpec {
    const o = this.#o;
    const sub = run.manifest.submission;
    const trigger = run.manifest.trigger;
    const built = trigger?.kind === 'merge' && trigger.image && trigger.image.error === null ? trigger.image.ref : null;
    return {
      runId: run.id,
      command: [...o.runner, 'agent', '--run', run.id, '--worker', this.id, '--quiet'],
      env: {
        ...o.runnerEnv,
        REPRISE_SERVER: o.serverUrl,
        REPRISE_CLUSTER_JOB: `${o.kind}:${o.executor.jobIdFor(run.id)}`,
        ...(token !== null ? { REPRISE_TOKEN: token } : {}),
      },
      cpus: sub?.cpus ?? null,
      gpus: sub?.gpus ?? null,
      memoryBytes: sub?.memoryBytes ?? null,
      image: built ?? o.image,
    };
  }

  /** Renews the leases, passes cancels on, and settles what ended without its runner's word. */
  async #watch(): Promise<void> {
    const o = this.#o;
    let lastBeat = 0;
    while (!this.#stopping.signal.aborted) {
      const now = Date.now();
      if (now - lastBeat >= LEASE_RENEW_MS) {
        lastBeat = now;
        await this.#beat();
      }
      for (const [id, h] of this.#held) {
        try {
          await this.#look(id, h);
        } catch (e) {
          o.say?.(`looking at ${h.run.name} (${id}) failed: ${messageOf(e)}`);
        }
      }
      await this.#pause(o.pollMs ?? 1_000);
    }
  }

  async #beat(): Promise<void> {
    const o = this.#o;
    try {
      const beats = await o.store.heartbeat({ at: Date.now(), runIds: [...this.#held.keys()], worker: this.id });
      for (const [id, beat] of Object.entries(beats)) {
        const h = this.#held.get(id);
        if (!h) continue;
        if (beat === 'cancel' && h.stoppedAt === null) {
          // The runner stops the run itself at its own heartbeat; stopping the job makes sure.
          h.stoppedAt = Date.now();
          o.say?.(`${h.run.name} (${id}) was canceled: stopping ${o.kind} job ${h.jobId}`);
          await o.executor.stop(h.jobId).catch((e: unknown) => o.say?.(`stopping job ${h.jobId} failed: ${messageOf(e)}`));
        } else if (beat === 'gone') {
          // Not held any more: ended (its runner is exiting; #look lets it) or taken from this worker.
          const run = await o.store.getRun(id);
          if (run && ACTIVE_STATUSES.includes(run.status)) {
            this.#held.delete(id);
            await o.executor.stop(h.jobId).catch(() => undefined);
          }
        }
      }
    } catch (e) {
      if (this.#registration && isRepriseError(e) && e.code === 'REPRISE_ERR_WORKER_NOT_FOUND') {
        await o.store.registerWorker({ ...this.#registration, startedAt: Date.now() }).catch(() => undefined);
      } else {
        o.say?.(`heartbeat failed: ${messageOf(e)}`);
      }
    }
  }

  async #look(id: string, h: Held): Promise<void> {
    const o = this.#o;
    const run = await o.store.getRun(id);
    if (!run || !ACTIVE_STATUSES.includes(run.status)) {
      // The runner reported the end and its job exits by itself; one still there after the grace is stopped.
      const now = Date.now();
      h.runEndedAt ??= now;
      const job = await o.executor.status(h.jobId).catch(() => null);
      if (job && !TERMINAL_JOB_STATES.has(job.state)) {
        if (now - h.runEndedAt < (o.endGraceMs ?? 15_000)) return;
        await o.executor.stop(h.jobId).catch(() => undefined);
      }
      this.#held.delete(id);
      return;
    }
    let job: ClusterJobStatus;
    try {
      job = await o.executor.status(h.jobId);
      h.unansweredSince = null;
    } catch (e) {
      const now = Date.now();
      this.#clusterDown = true;
      h.unansweredSince ??= now;
      if (now - h.unansweredSince < VANISHED_AFTER_MS) throw e;
      job = { state: 'lost', reason: `${o.executor.address} has not answered for ${Math.round((now - h.unansweredSince) / 1000)} s (${messageOf(e)})` };
    }
    if (!TERMINAL_JOB_STATES.has(job.state)) {
      h.endedSeenAt = null;
      return;
    }
    // The runner's last reports (its outbox) may still be on their way: wait for them a while.
    const now = Date.now();
    h.endedSeenAt ??= now;
    if (now - h.endedSeenAt < (o.endGraceMs ?? 15_000)) return;
    this.#held.delete(id);
    const tail = await o.executor.logTail(h.jobId, 4_096).catch(() => '');
    // A job that cannot go on (an image that will not pull) would otherwise stay for good.
    await o.executor.stop(h.jobId).catch(() => undefined);
    const lines = tail.split('\n').filter((l) => l.trim() !== '').slice(-20);
    if (h.stoppedAt !== null) {
      await this.#settle(run, 'canceled', `canceled; its ${o.kind} job ${h.jobId} was stopped`, lines);
    } else if (job.state === 'lost') {
      await this.#settle(run, 'lost', `its ${o.kind} job ${h.jobId} is gone${job.reason ? `: ${job.reason}` : ` from ${o.executor.address}`}`, lines);
    } else {
      const how = job.state === 'succeeded' ? 'ended without its runner reporting the end' : `failed${job.reason ? `: ${job.reason}` : ''}`;
      await this.#settle(run, 'failed', `its ${o.kind} job ${h.jobId} ${how}`, lines);
    }
  }

  /** Ends an active run with the cluster's reason; a lost one is queued again while it has retries. */
  async #settle(run: RunRecord, status: Extract<RunStatus, 'failed' | 'lost' | 'canceled'>, reason: string, stderrTail: string[]): Promise<void> {
    const o = this.#o;
    const current = (await o.store.getRun(run.id)) ?? run;
    const endedAt = Date.now();
    const retry = status === 'lost' ? retryOf(current, endedAt) : null;
    const message = retry ? `${reason}; queued again as ${retry.name} (${retry.id})` : reason;
    const running = current.manifest.execution.stages.find((s) => s.status === 'running');
    const manifest: RunManifest = {
      ...current.manifest,
      status,
      failure: { stage: running?.name ?? null, exitCode: null, message, stderrTail },
      execution: { ...current.manifest.execution, endedAt },
      ...(current.manifest.submission && retry ? { submission: { ...current.manifest.submission, retriedAs: retry.id } } : {}),
    };
    const settled =
      status === 'lost'
        ? await o.store.settleLostRun(run.id, { status, endedAt, manifest }, retry)
        : await o.store.updateRun(run.id, { status, endedAt, manifest }, ACTIVE_STATUSES);
    if (settled) o.say?.(`${current.name} (${run.id}) ${status}: ${message}`);
  }

  async #pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.#stopping.signal }).catch(() => undefined);
  }
}
