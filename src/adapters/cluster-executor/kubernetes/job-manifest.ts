/**
 * @module adapters/cluster-executor/kubernetes/job-manifest
 * The `batch/v1` Job that runs one queued run, and the Secret holding its tokens. Pure:
 * the same spec and settings give the same manifests.
 *
 * The Job runs one pod and never retries it (`backoffLimit: 0`, `restartPolicy: Never`):
 * Reprise owns retries, and a second pod of the same run would report as the first.
 * Environment values whose names end in `_TOKEN` (the run-scoped token the runner reports
 * with) go into a Secret referenced by `secretKeyRef`, so they stay out of the Job's spec,
 * which anyone allowed to read Jobs sees. The client creates that Secret first and makes
 * it owned by the Job once the Job exists (`kubernetes-executor.ts` says why).
 *
 * Typed by the client's models: a misspelled field fails to compile, where the OpenAPI
 * schema the tests validate against lets unknown fields through.
 */
import type { V1Container, V1EnvVar, V1Job, V1ResourceRequirements, V1Secret } from '@kubernetes/client-node';
import { RepriseError } from '../../../core/errors.js';
import type { ClusterJobSpec } from '../../../ports/cluster-executor.js';

export interface KubernetesJobSettings {
  /** Where the Job and its Secret are created. */
  readonly namespace: string;
  /** The pods' service account; unset: the namespace's default, without its API token mounted. */
  readonly serviceAccount?: string;
  /** Secrets (of type docker-registry) the kubelet pulls the image with. */
  readonly imagePullSecrets?: readonly string[];
  /** How long a finished Job (and its pods, and its Secret) stays; default DEFAULT_TTL_SECONDS. */
  readonly ttlSecondsAfterFinished?: number;
  /** Extra labels on the Job and its pods; Reprise's own labels win over them. */
  readonly labels?: Readonly<Record<string, string>>;
}

/** An hour: long enough for the server to read a finished Job's status and log, short enough not to pile up. */
export const DEFAULT_TTL_SECONDS = 3600;
/** The one container of the pod; logs are read from it. */
export const RUNNER_CONTAINER = 'runner';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const RUN_LABEL = 'reprise.dev/run';
/** The resource name of NVIDIA's device plugin, which GPU nodes advertise. */
export const GPU_RESOURCE = 'nvidia.com/gpu';
const TOKEN_SUFFIX = '_TOKEN';
const JOB_PREFIX = 'reprise-';

/** A DNS-1123 label: what a Job's name must be, since the Job controller copies it into a label of its pods. */
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_LABEL_LENGTH = 63;

function invalid(message: string, details: Record<string, unknown>, hint?: string): RepriseError {
  return new RepriseError('REPRISE_ERR_EXECUTOR_INVALID', message, { details, ...(hint ? { hint } : {}) });
}

/** The run's label value: its id lowercased (a Kubernetes name cannot hold capitals; a ULID is case-insensitive). */
export function runLabel(runId: string): string {
  const label = runId.toLowerCase();
  if (label.length === 0 || label.length > MAX_LABEL_LENGTH - JOB_PREFIX.length || !DNS_1123_LABEL.test(label)) {
    throw invalid(`run id ${JSON.stringify(runId)} cannot name a Kubernetes Job: reprise-<id lowercased> must be a DNS-1123 label of at most ${MAX_LABEL_LENGTH} characters`, { runId });
  }
  return label;
}

/** `reprise-<run id lowercased>`: the Job's name, so submitting the same run twice names the same Job. */
export function jobName(runId: string): string {
  return `${JOB_PREFIX}${runLabel(runId)}`;
}

/** The name of the Secret holding the tokens of the run a Job runs. */
export function secretNameOfJob(job: string): string {
  return `${job}-tokens`;
}

/** The name of the Secret holding the run's tokens. */
export function secretName(runId: string): string {
  return secretNameOfJob(jobName(runId));
}

/** The run label of a Job named by jobName(): what its pods are found by. */
export function runLabelOfJob(job: string): string {
  return job.startsWith(JOB_PREFIX) ? job.slice(JOB_PREFIX.length) : job;
}

/** Names of the variables kept in the Secret. */
function secretKeys(spec: ClusterJobSpec): string[] {
  return Object.keys(spec.env).filter((k) => k.endsWith(TOKEN_SUFFIX));
}

function labels(spec: ClusterJobSpec, settings: KubernetesJobSettings): Record<string, string> {
  return { ...settings.labels, [MANAGED_BY_LABEL]: 'reprise', [RUN_LABEL]: runLabel(spec.runId) };
}

/** CPUs as a quantity: whole CPUs as a number, fractions in millicores (`1500m`). */
function cpuQuantity(cpus: number): string {
  if (!Number.isFinite(cpus) || cpus <= 0) throw invalid(`cpus must be a positive number, got ${cpus}`, { field: 'cpus', value: cpus });
  return Number.isInteger(cpus) ? String(cpus) : `${Math.max(1, Math.round(cpus * 1000))}m`;
}

/** Bytes as a quantity, in Gi or Mi when they divide evenly (as `kubectl describe` then shows them). */
function memoryQuantity(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) throw invalid(`memoryBytes must be a positive number, got ${bytes}`, { field: 'memoryBytes', value: bytes });
  const whole = Math.ceil(bytes);
  if (whole % 2 ** 30 === 0) return `${whole / 2 ** 30}Gi`;
  if (whole % 2 ** 20 === 0) return `${whole / 2 ** 20}Mi`;
  return String(whole);
}

function resources(spec: ClusterJobSpec): V1ResourceRequirements | undefined {
  // Requests equal to limits: the pod is placed only where its whole share fits, and is
  // not the first evicted when a node runs short (Guaranteed when both are given).
  const fixed: Record<string, string> = {};
  if (spec.cpus !== null) fixed.cpu = cpuQuantity(spec.cpus);
  if (spec.memoryBytes !== null) fixed.memory = memoryQuantity(spec.memoryBytes);
  const limits: Record<string, string> = { ...fixed };
  if (spec.gpus !== null && spec.gpus !== 0) {
    if (!Number.isInteger(spec.gpus) || spec.gpus < 0) throw invalid(`gpus must be a whole number, got ${spec.gpus}`, { field: 'gpus', value: spec.gpus });
    // Extended resources are limits alone: their request is set to the limit, and cannot differ.
    limits[GPU_RESOURCE] = String(spec.gpus);
  }
  if (Object.keys(limits).length === 0) return undefined;
  return Object.keys(fixed).length > 0 ? { requests: fixed, limits } : { limits };
}

function env(spec: ClusterJobSpec): V1EnvVar[] {
  const secret = secretName(spec.runId);
  return Object.entries(spec.env).map(([name, value]) =>
    name.endsWith(TOKEN_SUFFIX) ? { name, valueFrom: { secretKeyRef: { name: secret, key: name } } } : { name, value },
  );
}

/**
 * The Job of a run. REPRISE_ERR_EXECUTOR_INVALID when the spec has no image (the
 * executor fills in its default image first), no command, or resources that are no
 * quantities.
 */
export function jobManifest(spec: ClusterJobSpec, settings: KubernetesJobSettings): V1Job {
  if (!spec.image) {
    throw invalid(`run ${spec.runId} has no container image: a Kubernetes Job needs one (the run's image, or the executor's default image)`, { field: 'image', runId: spec.runId }, 'give the executor a default image (--k8s-image IMAGE)');
  }
  if (spec.command.length === 0) throw invalid(`run ${spec.runId} has an empty command: the Job's container needs the runner's command line`, { field: 'command', runId: spec.runId });
  const ttl = settings.ttlSecondsAfterFinished ?? DEFAULT_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 0) throw invalid(`ttlSecondsAfterFinished must be a whole number of seconds, got ${ttl}`, { field: 'ttlSecondsAfterFinished', value: ttl });
  const podLabels = labels(spec, settings);
  const res = resources(spec);
  const container: V1Container = {
    name: RUNNER_CONTAINER,
    image: spec.image,
    command: [...spec.command],
    env: env(spec),
    ...(res ? { resources: res } : {}),
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: jobName(spec.runId), namespace: settings.namespace, labels: { ...podLabels } },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: ttl,
      template: {
        metadata: { labels: podLabels },
        spec: {
          restartPolicy: 'Never',
          containers: [container],
          // The runner talks to Reprise's server only: without a service account of its own
          // the pod gets no token for the Kubernetes API.
          ...(settings.serviceAccount ? { serviceAccountName: settings.serviceAccount } : { automountServiceAccountToken: false }),
          ...(settings.imagePullSecrets?.length ? { imagePullSecrets: settings.imagePullSecrets.map((name) => ({ name })) } : {}),
        },
      },
    },
  };
}

/** The Secret holding the run's `*_TOKEN` variables; null when it has none. No owner yet: the Job's uid is known only once it exists. */
export function secretManifest(spec: ClusterJobSpec, settings: KubernetesJobSettings): V1Secret | null {
  const keys = secretKeys(spec);
  if (keys.length === 0) return null;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: secretName(spec.runId), namespace: settings.namespace, labels: labels(spec, settings) },
    type: 'Opaque',
    data: Object.fromEntries(keys.map((k) => [k, Buffer.from(spec.env[k] ?? '', 'utf8').toString('base64')])),
  };
}
