/**
 * @module core/queue
 * Queued work: how a submitted run waits (its queue, priority, retries, the GPUs it
 * needs), the workers that claim it (agents on other machines, the server's own
 * workers), and the rules both sides apply: names, the GPU each run gets, when a worker
 * counts as gone.
 */
import { z } from 'zod';
import { RepriseError } from './errors.js';

export const DEFAULT_QUEUE = 'default';

/** The header a worker sends with every request, naming itself: reports on runs it no longer holds are refused. */
export const WORKER_HEADER = 'x-reprise-worker';

/**
 * How often a worker renews the leases of the runs it holds (one heartbeat for all). A
 * lease is the run's heartbeat: without one for services/liveness's LOST_AFTER_MS the
 * run is settled as lost, so a few missed beats never cost a run.
 */
export const LEASE_RENEW_MS = 2_000;

/** A worker not heard from for this long shows as offline. */
export const WORKER_OFFLINE_AFTER_MS = 15_000;

/** Workers are listed while seen within this long. */
export const WORKERS_LISTED_FOR_MS = 24 * 3600_000;

/** What a queue may be called, wherever it is named (a flag, reprise.yaml, the API). */
export const QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkQueueName(name: string, what = '--queue'): string {
  if (!QUEUE_NAME.test(name)) {
    throw new RepriseError('REPRISE_ERR_QUEUE_INVALID', `${what} ${JSON.stringify(name)}: a queue name is 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit`, {
      details: { queue: name },
    });
  }
  return name;
}

/** `--queue a,b --queue c` as a list, each checked; the default queue when none is given. */
export function parseQueueList(values: readonly string[]): string[] {
  const names = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  const unique = [...new Set(names.map((n) => checkQueueName(n)))];
  return unique.length > 0 ? unique : [DEFAULT_QUEUE];
}

/** A whole number from a flag, within bounds, or an error naming the flag. */
export function parseWholeNumber(text: string, flag: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new RepriseError('REPRISE_ERR_QUEUE_INVALID', `${flag} ${JSON.stringify(text)}: expected a whole number from ${min} to ${max}`, { details: { flag, value: text } });
  }
  return n;
}

/** `--gpus 0,1`: the GPU indices an agent hands out, as CUDA_VISIBLE_DEVICES names them. */
export function parseGpuList(text: string): string[] {
  const ids = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const id of ids) {
    // Indices, or the GPU-/MIG- UUIDs CUDA_VISIBLE_DEVICES also accepts.
    if (!/^(\d{1,3}|(GPU|MIG)-[A-Za-z0-9/-]{1,80})$/.test(id)) {
      throw new RepriseError('REPRISE_ERR_QUEUE_INVALID', `--gpus ${JSON.stringify(text)}: ${JSON.stringify(id)} is not a GPU index (0, 1, …) or a GPU-/MIG- UUID`, { details: { gpus: text } });
    }
  }
  if (new Set(ids).size !== ids.length) {
    throw new RepriseError('REPRISE_ERR_QUEUE_INVALID', `--gpus ${JSON.stringify(text)}: a GPU is listed twice`, { details: { gpus: text } });
  }
  return ids;
}

/**
 * How many GPUs a run takes on a worker: what it asked for (`resources.gpus`), else one
 * where the worker has GPUs (so parallel runs each get their own) and none elsewhere.
 */
export function gpusNeeded(asked: number | null, workerHasGpus: boolean): number {
  return asked ?? (workerHasGpus ? 1 : 0);
}

export const SUBMISSION_VIA = ['submit', 'sweep', 'retry'] as const;

/** How a queued run was submitted; recorded in its manifest and never changed after. */
export const submissionSchema = z.object({
  via: z.enum(SUBMISSION_VIA),
  /** Who submitted it (REPRISE_USER, else the account). */
  by: z.string(),
  at: z.number(),
  queue: z.string(),
  /** Higher first; equal priorities in submission order. */
  priority: z.number().int(),
  /** How many times the run is queued again after it is lost (its worker died). */
  retries: z.number().int().nonnegative(),
  /** 1 for the first try; a retry is a new run with the next number. */
  attempt: z.number().int().positive(),
  /** The lost run this one retries. */
  retryOf: z.string().nullable(),
  /** Set on a lost run once its retry is queued. */
  retriedAs: z.string().nullable().optional(),
  /** `resources.gpus` of reprise.yaml; null: the worker's default (see gpusNeeded). */
  gpus: z.number().int().nonnegative().nullable(),
  /** `resources.cpus` and `resources.memory` (bytes): what a cluster executor reserves; null: its default. */
  cpus: z.number().positive().nullable().optional(),
  memoryBytes: z.number().int().positive().nullable().optional(),
  /** Use the worker's python as it is, building nothing (`--system-env`). */
  systemEnv: z.boolean(),
  sweep: z.object({ id: z.string(), name: z.string(), index: z.number().int().nonnegative() }).nullable(),
});
export type Submission = z.infer<typeof submissionSchema>;

/** Where a run executed, when a worker claimed it from the queue. */
export const executedBySchema = z.object({
  worker: z.string(),
  name: z.string(),
  host: z.string(),
  /** CUDA_VISIBLE_DEVICES the run's stages got; empty for none. */
  gpus: z.array(z.string()),
  claimedAt: z.number(),
  /** The cluster job that ran it (a Ray job, a Kubernetes Job). */
  job: z.object({ executor: z.string(), id: z.string() }).nullable().optional(),
});
export type ExecutedBy = z.infer<typeof executedBySchema>;

/** `ray` and `kubernetes`: a server's dispatcher, which runs each claimed run as a cluster job. */
export const WORKER_KINDS = ['agent', 'server', 'ray', 'kubernetes'] as const;
export type WorkerKind = (typeof WORKER_KINDS)[number];

/** A process that claims runs from the queue, as it registers. */
export interface WorkerRegistration {
  readonly id: string;
  readonly name: string;
  readonly kind: WorkerKind;
  readonly host: string;
  readonly pid: number;
  readonly queues: readonly string[];
  readonly slots: number;
  readonly gpus: readonly string[];
  readonly version: string;
  readonly startedAt: number;
}

/** A worker as the store knows it. */
export interface WorkerRecord extends WorkerRegistration {
  readonly seenAt: number;
  /** When it said goodbye; null while it runs (or died without a word). */
  readonly stoppedAt: number | null;
  /** Active runs it holds now. */
  readonly runs: readonly string[];
}

export type WorkerState = 'online' | 'offline' | 'stopped';

export function workerState(w: Pick<WorkerRecord, 'seenAt' | 'stoppedAt'>, now: number): WorkerState {
  if (w.stoppedAt !== null) return 'stopped';
  return now - w.seenAt > WORKER_OFFLINE_AFTER_MS ? 'offline' : 'online';
}

/** What a worker is told about each run it reports on. */
export type RunBeat = 'running' | 'cancel' | 'gone';

/** A request to stop a run, kept until the run ends. */
export interface CancelRequest {
  readonly by: string;
  readonly at: number;
}

/** A claim: a worker asks for the next run of its queues that fits its free GPUs. */
export interface QueueClaim {
  readonly worker: string;
  readonly queues: readonly string[];
  /** GPUs free now: runs needing more are left for others. */
  readonly freeGpus: number;
  /** Whether the worker has GPUs at all (see gpusNeeded). */
  readonly hasGpus: boolean;
  /** The claiming process, recorded on the run so liveness can check it. */
  readonly host: string;
  readonly pid: number;
  readonly pidStart: string;
  readonly now: number;
  /** How long to wait for a run when none waits now (a long poll); 0 or absent: answer at once. */
  readonly waitMs?: number;
}

/** How often a waiting claim looks again. */
export const CLAIM_POLL_MS = 200;
/** The longest a claim may wait. */
export const MAX_CLAIM_WAIT_MS = 20_000;

/** A sweep: many queued runs from one spec, grouped. */
export interface SweepRecord {
  readonly id: string;
  readonly name: string;
  readonly project: string;
  readonly createdAt: number;
  readonly createdBy: string;
  /** core/sweep's SweepSpec, as recorded. */
  readonly spec: unknown;
  /** Human summary of the spec. */
  readonly description: string;
  readonly runs: number;
}

/** A sweep with how its runs stand. */
export interface SweepSummary extends SweepRecord {
  readonly byStatus: Partial<Record<string, number>>;
}
