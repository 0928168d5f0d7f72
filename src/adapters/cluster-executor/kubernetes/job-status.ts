/**
 * @module adapters/cluster-executor/kubernetes/job-status
 * Where a run's Job stands, from the Job and its pods as the API server returns them.
 * Pure. The Job's own conditions say how it ended; its pods say why, and also tell the
 * failures the Job controller never reports: a pod whose image cannot be pulled stays
 * Pending for ever, and its Job active, so waiting for the Job to fail would wait for good.
 *
 * The shapes below are the few fields read, declared structurally so that both the
 * client's models (timestamps as Date) and plain JSON (timestamps as strings) fit.
 */
import type { ClusterJobStatus } from '../../../ports/cluster-executor.js';
import { RUNNER_CONTAINER } from './job-manifest.js';

type Timestamp = string | Date;

interface Condition {
  readonly type?: string;
  readonly status?: string;
  readonly reason?: string;
  readonly message?: string;
}

export interface JobObject {
  readonly metadata?: { readonly name?: string; readonly uid?: string; readonly labels?: Readonly<Record<string, string>> };
  readonly status?: { readonly conditions?: readonly Condition[] | null };
}

interface ContainerState {
  readonly waiting?: { readonly reason?: string; readonly message?: string } | null;
  readonly running?: unknown;
  readonly terminated?: { readonly reason?: string; readonly message?: string; readonly exitCode?: number } | null;
}

interface ContainerStatus {
  readonly name?: string;
  readonly state?: ContainerState | null;
  readonly lastState?: ContainerState | null;
}

export interface PodObject {
  readonly metadata?: {
    readonly name?: string;
    readonly creationTimestamp?: Timestamp;
    readonly ownerReferences?: readonly { readonly uid?: string }[] | null;
  };
  readonly status?: {
    readonly phase?: string;
    readonly reason?: string;
    readonly message?: string;
    readonly conditions?: readonly Condition[] | null;
    readonly initContainerStatuses?: readonly ContainerStatus[] | null;
    readonly containerStatuses?: readonly ContainerStatus[] | null;
  };
}

/**
 * Waiting reasons that end the run. The kubelet retries an image pull with a growing
 * back-off (up to five minutes) for as long as the pod exists, but a name that is wrong,
 * a tag that is missing or credentials that are refused will not fix themselves; a
 * container whose config refers to a Secret or ConfigMap that is absent waits the same way.
 * Such a Job stays active, its pod Pending, until someone deletes it (its TTL counts only
 * from its end): the run is reported failed in the kubelet's words, and whoever settles
 * it should stop the Job.
 */
const FATAL_WAITING = new Set(['ImagePullBackOff', 'ErrImagePull', 'ErrImageNeverPull', 'InvalidImageName', 'CreateContainerConfigError']);

const OOM_EXIT = 137;

function isTrue(conditions: readonly Condition[] | null | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type && c.status === 'True');
}

function said(reason: string | undefined, message: string | undefined): string {
  const m = message?.trim();
  if (reason && m) return `${reason}: ${m}`;
  return reason || m || '';
}

function time(t: Timestamp | undefined): number {
  if (t === undefined) return 0;
  const ms = (t instanceof Date ? t : new Date(t)).getTime();
  return Number.isNaN(ms) ? 0 : ms;
}

/** The runner's status first, then the others (init containers included). */
function containerStatuses(pod: PodObject): ContainerStatus[] {
  const all = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  return [...all.filter((c) => c.name === RUNNER_CONTAINER), ...all.filter((c) => c.name !== RUNNER_CONTAINER)];
}

/** Why this pod failed or can never run; null while nothing says so. */
export function podFailure(pod: PodObject): string | null {
  const status = pod.status;
  // Evicted by the kubelet under node pressure (or by the API): the message names the resource.
  if (status?.reason === 'Evicted') return said('Evicted', status.message) || 'Evicted';
  const containers = containerStatuses(pod);
  for (const c of containers) {
    for (const state of [c.state, c.lastState]) {
      if (state?.terminated?.reason === 'OOMKilled') return `OOMKilled (exit ${state.terminated.exitCode ?? OOM_EXIT})`;
    }
  }
  for (const c of containers) {
    const waiting = c.state?.waiting;
    if (waiting?.reason && FATAL_WAITING.has(waiting.reason)) return said(waiting.reason, waiting.message);
  }
  if (status?.phase === 'Failed') {
    for (const c of containers) {
      const t = c.state?.terminated;
      if (t && t.exitCode !== 0) return `${t.reason || 'Error'} (exit ${t.exitCode ?? 'unknown'})${t.message?.trim() ? `: ${t.message.trim()}` : ''}`;
    }
    return said(status.reason, status.message) || 'the pod failed';
  }
  return null;
}

/** The scheduler's reason a pending pod has no node yet, e.g. no node with a free GPU. */
function unschedulable(pod: PodObject): string | null {
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status !== 'False') return null;
  return said(scheduled.reason || 'Unschedulable', scheduled.message);
}

/** The pods the Job made, newest first; a pod without owners (a hand-made one with the label) counts too. */
function ownPods(job: JobObject, pods: readonly PodObject[]): PodObject[] {
  const uid = job.metadata?.uid;
  const own = pods.filter((p) => !uid || !p.metadata?.ownerReferences?.length || p.metadata.ownerReferences.some((o) => o.uid === uid));
  return own.sort((a, b) => time(b.metadata?.creationTimestamp) - time(a.metadata?.creationTimestamp));
}

/**
 * The state of a run's Job: null (the API answered 404) is `lost`; a Complete condition is
 * `succeeded`; a Failed one (or FailureTarget, which precedes it while the pods terminate,
 * for every failure from Kubernetes 1.31 on) is `failed` with the pod's reason when one is known, else the Job's; a pod that failed
 * or cannot ever start is `failed` before the Job says so; a running runner is `running`;
 * anything else is `pending`, with the scheduler's message when the pod cannot be placed.
 */
export function jobStatus(job: JobObject | null, pods: readonly PodObject[]): ClusterJobStatus {
  if (!job) return { state: 'lost', reason: 'the Job no longer exists (deleted, or removed after ttlSecondsAfterFinished)' };
  const conditions = job.status?.conditions;
  if (isTrue(conditions, 'Complete')) return { state: 'succeeded', reason: null };
  const mine = ownPods(job, pods);
  const podReason = mine.map(podFailure).find((r) => r !== null) ?? null;
  const failed = isTrue(conditions, 'Failed') ?? isTrue(conditions, 'FailureTarget');
  if (failed) return { state: 'failed', reason: podReason ?? (said(failed.reason, failed.message) || 'the Job failed') };
  if (podReason) return { state: 'failed', reason: podReason };
  const newest = mine[0];
  if (!newest) return { state: 'pending', reason: null };
  if (containerStatuses(newest).some((c) => c.state?.running)) return { state: 'running', reason: null };
  // The runner exited 0 and the Job controller has yet to mark the Job Complete.
  if (newest.status?.phase === 'Succeeded') return { state: 'running', reason: null };
  return { state: 'pending', reason: unschedulable(newest) };
}
