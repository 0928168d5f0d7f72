/**
 * @module adapters/cluster-executor/kubernetes/kubernetes-executor
 * Runs a queued run as a Kubernetes Job, through the API server a kubeconfig names
 * (`@kubernetes/client-node`: KUBECONFIG, ~/.kube/config, or the service account of the
 * pod the server runs in). Only submits, reads status, stops and reads logs; the service
 * driving it decides what a status means for the run.
 *
 * A run's tokens go into a Secret, created before the Job: the pod can then never start
 * without it (a missing Secret would show as CreateContainerConfigError, which settles a
 * run as failed), and the Job never needs to be created suspended and resumed. Once the
 * Job exists the Secret is given it as owner, so the garbage collector deletes the Secret
 * with the Job (stopped, or removed after its TTL). A server that dies between the two
 * leaves a Secret without owner; `stop` deletes it by name, and submitting the run again
 * gives it its owner.
 */
import { delimiter } from 'node:path';
import type { V1Job, V1Secret } from '@kubernetes/client-node';
import { RepriseError } from '../../../core/errors.js';
import type { ClusterExecutor, ClusterJobSpec, ClusterJobStatus } from '../../../ports/cluster-executor.js';
import { jobManifest, jobName, RUN_LABEL, RUNNER_CONTAINER, runLabelOfJob, secretManifest, secretNameOfJob, type KubernetesJobSettings } from './job-manifest.js';
import { jobStatus, type JobObject, type PodObject } from './job-status.js';

/** The calls made on `batch/v1`: the part of the client's BatchV1Api used here, so tests and other clients can stand in. */
export interface BatchApi {
  listNamespacedJob(p: { namespace: string; limit?: number }): Promise<unknown>;
  createNamespacedJob(p: { namespace: string; body: V1Job; fieldManager?: string; fieldValidation?: string }): Promise<JobObject>;
  readNamespacedJob(p: { name: string; namespace: string }): Promise<JobObject>;
  deleteNamespacedJob(p: { name: string; namespace: string; propagationPolicy?: string }): Promise<unknown>;
}

/** The calls made on the core group: pods, their logs, and Secrets. */
export interface CoreApi {
  listNamespacedPod(p: { namespace: string; labelSelector?: string }): Promise<{ items: PodObject[] }>;
  readNamespacedPodLog(p: { name: string; namespace: string; container?: string; tailLines?: number; limitBytes?: number }): Promise<string>;
  createNamespacedSecret(p: { namespace: string; body: V1Secret; fieldManager?: string; fieldValidation?: string }): Promise<unknown>;
  replaceNamespacedSecret(p: { name: string; namespace: string; body: V1Secret; fieldManager?: string; fieldValidation?: string }): Promise<unknown>;
  patchNamespacedSecret(p: { name: string; namespace: string; body: object; fieldManager?: string }): Promise<unknown>;
  deleteNamespacedSecret(p: { name: string; namespace: string }): Promise<unknown>;
}

/** An API server reached: its clients, its URL and the namespace Jobs go to. */
export interface KubernetesConnection {
  readonly batch: BatchApi;
  readonly core: CoreApi;
  /** The API server's URL. */
  readonly address: string;
  readonly namespace: string;
  /** Whose credentials these are, for a 401's message. */
  readonly credentials: string;
}

export interface KubernetesExecutorOptions extends Partial<Omit<KubernetesJobSettings, 'namespace'>> {
  /** Where Jobs go; default the kubeconfig context's namespace (in a pod: its own), else `default`. */
  readonly namespace?: string;
  /** Kubeconfig files (a list as KUBECONFIG writes it); default KUBECONFIG, ~/.kube/config, else the pod's service account. */
  readonly kubeconfig?: string;
  /** A context of the kubeconfig; default its current context. */
  readonly context?: string;
  /** The image of runs that name none. */
  readonly image?: string;
  /** How long one API call may take before the cluster counts as not answering; default 30 s. */
  readonly requestTimeoutMs?: number;
  /** Another way to reach the API server (another client); default `connect` over the kubeconfig. */
  readonly connect?: () => Promise<KubernetesConnection>;
}

/** What an API call was, for messages: `list jobs.batch`, with the object's name when it has one. */
interface Call {
  readonly verb: 'list' | 'get' | 'create' | 'update' | 'patch' | 'delete';
  readonly resource: string;
  readonly name?: string;
}

/** What the API server said in its Status body (or nothing, when it never answered). */
interface Refusal {
  readonly code: number;
  readonly reason: string;
  readonly message: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** Recorded by the API server as the manager of the fields Reprise sets. */
const FIELD_MANAGER = 'reprise';
/** A line of a training log is rarely longer; enough lines are asked for to fill the bytes wanted. */
const BYTES_PER_LINE = 40;
const MAX_TAIL_LINES = 10_000;

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message || String(e) : String(e);
}

/** The HTTP status and Status body of the client's ApiException; null for an error with no answer (refused, reset, DNS). */
function refusalOf(e: unknown): Refusal | null {
  if (typeof e !== 'object' || e === null) return null;
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'number') return null;
  let body = (e as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      body = { message: body };
    }
  }
  const status = (typeof body === 'object' && body !== null ? body : {}) as { reason?: unknown; message?: unknown };
  return {
    code,
    reason: typeof status.reason === 'string' ? status.reason : '',
    message: typeof status.message === 'string' && status.message ? status.message : `HTTP ${code}`,
  };
}

/** The server's URL without any credentials a URL could carry. */
function bareUrl(server: string): string {
  try {
    const u = new URL(server);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return server;
  }
}

/** The last `maxBytes` bytes of a text, not starting inside a UTF-8 character. */
function lastBytes(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let start = bytes.length - maxBytes;
  while (start < bytes.length && ((bytes[start] ?? 0) & 0xc0) === 0x80) start++;
  return bytes.subarray(start).toString('utf8');
}

/** Where the kubeconfig comes from, for messages. */
function kubeconfigSource(kubeconfig: string | undefined): string {
  return kubeconfig || process.env.KUBECONFIG || "~/.kube/config (else the pod's service account)";
}

/**
 * Reaches the API server a kubeconfig names, with `@kubernetes/client-node`. The library is
 * loaded here, on first use: every other command would pay for loading it at start.
 * Nothing is asked of the server yet. REPRISE_ERR_EXECUTOR_INVALID for a kubeconfig that
 * cannot be read, or a context it does not have.
 */
export async function connect(options: Pick<KubernetesExecutorOptions, 'kubeconfig' | 'context' | 'namespace'>): Promise<KubernetesConnection> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  const source = kubeconfigSource(options.kubeconfig);
  try {
    if (options.kubeconfig) {
      // A list, as KUBECONFIG may hold: the first file's current context wins, as kubectl has it.
      const [first = '', ...more] = options.kubeconfig.split(delimiter).filter((f) => f);
      kc.loadFromFile(first);
      for (const file of more) {
        const other = new k8s.KubeConfig();
        other.loadFromFile(file);
        kc.mergeConfig(other, true);
      }
    } else {
      kc.loadFromDefault();
    }
  } catch (e) {
    throw new RepriseError('REPRISE_ERR_EXECUTOR_INVALID', `kubeconfig ${source} cannot be loaded: ${messageOf(e)}`, { details: { kubeconfig: source }, cause: e });
  }
  if (options.context) {
    if (!kc.getContextObject(options.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new RepriseError('REPRISE_ERR_EXECUTOR_INVALID', `kubeconfig ${source} has no context ${JSON.stringify(options.context)}; it has ${known.length ? known.join(', ') : 'none'}`, {
        details: { kubeconfig: source, context: options.context },
      });
    }
    kc.setCurrentContext(options.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new RepriseError('REPRISE_ERR_EXECUTOR_INVALID', `kubeconfig ${source} names no cluster for its context ${JSON.stringify(kc.getCurrentContext())}`, { details: { kubeconfig: source } });
  }
  return {
    batch: kc.makeApiClient(k8s.BatchV1Api),
    core: kc.makeApiClient(k8s.CoreV1Api),
    address: cluster.server,
    namespace: options.namespace || kc.getContextObject(kc.getCurrentContext())?.namespace || 'default',
    credentials: `user ${JSON.stringify(kc.getCurrentUser()?.name ?? '')} of kubeconfig ${source}`,
  };
}

export class KubernetesExecutor implements ClusterExecutor {
  readonly name = 'kubernetes';
  readonly #options: KubernetesExecutorOptions;
  readonly #timeoutMs: number;
  readonly #connecting: Promise<KubernetesConnection>;
  #connection: KubernetesConnection | undefined;

  /** Starts loading the kubeconfig at once; a failure to load surfaces at the first call. */
  constructor(options: KubernetesExecutorOptions = {}) {
    this.#options = options;
    this.#timeoutMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#connecting = (options.connect ?? (() => connect(options)))().then((c) => {
      const conn = { ...c, address: bareUrl(c.address), namespace: options.namespace || c.namespace };
      this.#connection = conn;
      return conn;
    });
    this.#connecting.catch(() => undefined);
  }

  /** The API server's URL once the kubeconfig is read; until then, which kubeconfig names it. */
  get address(): string {
    return this.#connection?.address ?? `the API server of kubeconfig ${kubeconfigSource(this.#options.kubeconfig)}`;
  }

  /** The namespace Jobs go to; resolves the kubeconfig's default. */
  async namespace(): Promise<string> {
    return (await this.#connecting).namespace;
  }

  jobIdFor(runId: string): string {
    return jobName(runId);
  }

  /** A cheap call the server must be allowed anyway: list at most one Job of the namespace. */
  async check(): Promise<void> {
    const c = await this.#connecting;
    await this.#call(c, { verb: 'list', resource: 'jobs.batch' }, () => c.batch.listNamespacedJob({ namespace: c.namespace, limit: 1 }));
  }

  async submit(spec: ClusterJobSpec): Promise<string> {
    const c = await this.#connecting;
    const full = { ...spec, image: spec.image ?? this.#options.image ?? null };
    const job = jobManifest(full, this.#settings(c));
    const secret = secretManifest(full, this.#settings(c));
    const name = jobName(spec.runId);
    if (secret) await this.#putSecret(c, secret);
    let created: JobObject;
    try {
      created = await this.#call(c, { verb: 'create', resource: 'jobs.batch', name }, () =>
        c.batch.createNamespacedJob({ namespace: c.namespace, body: job, fieldManager: FIELD_MANAGER, fieldValidation: 'Strict' }),
      );
    } catch (e) {
      if (answered(e, 409)) {
        // The run's Job exists already (submitted before): that Job is the answer. Its
        // Secret, just written again, gets its owner back.
        if (secret) await this.#own(c, secret, await this.#call(c, { verb: 'get', resource: 'jobs.batch', name }, () => c.batch.readNamespacedJob({ name, namespace: c.namespace })));
        return name;
      }
      if (secret) await this.#deleteSecret(c, secret.metadata?.name ?? '').catch(() => undefined);
      throw e;
    }
    if (secret) await this.#own(c, secret, created);
    return name;
  }

  async status(jobId: string): Promise<ClusterJobStatus> {
    const c = await this.#connecting;
    let job: JobObject;
    try {
      job = await this.#call(c, { verb: 'get', resource: 'jobs.batch', name: jobId }, () => c.batch.readNamespacedJob({ name: jobId, namespace: c.namespace }));
    } catch (e) {
      if (answered(e, 404)) return jobStatus(null, []);
      throw e;
    }
    return jobStatus(job, await this.#pods(c, job.metadata?.labels?.[RUN_LABEL] ?? runLabelOfJob(jobId)));
  }

  async stop(jobId: string): Promise<void> {
    const c = await this.#connecting;
    // Background: the Job goes at once and the garbage collector takes its pods and its
    // Secret after it; the runner gets its termination grace period to end.
    await this.#tolerate404(c, { verb: 'delete', resource: 'jobs.batch', name: jobId }, () =>
      c.batch.deleteNamespacedJob({ name: jobId, namespace: c.namespace, propagationPolicy: 'Background' }),
    );
    // A Secret whose owner was never set (the server stopped between the two) is not collected.
    await this.#deleteSecret(c, secretNameOfJob(jobId));
  }

  async logTail(jobId: string, maxBytes: number): Promise<string> {
    if (maxBytes <= 0) return '';
    const c = await this.#connecting;
    const pods = await this.#pods(c, runLabelOfJob(jobId));
    const newest = pods
      .filter((p) => p.metadata?.name)
      .sort((a, b) => new Date(b.metadata?.creationTimestamp ?? 0).getTime() - new Date(a.metadata?.creationTimestamp ?? 0).getTime())[0];
    const pod = newest?.metadata?.name;
    if (!pod) return '';
    let text: string;
    try {
      text = await this.#call(c, { verb: 'get', resource: 'pods/log', name: pod }, () =>
        c.core.readNamespacedPodLog({
          name: pod,
          namespace: c.namespace,
          container: RUNNER_CONTAINER,
          tailLines: Math.min(MAX_TAIL_LINES, Math.max(1, Math.ceil(maxBytes / BYTES_PER_LINE))),
          // limitBytes counts from the first line tailLines selects, so it only bounds the
          // transfer (a log of endless lines without newlines); the end is cut below.
          limitBytes: Math.max(maxBytes * 4, 64 * 1024),
        }),
      );
    } catch (e) {
      // 400: the container has not started (an image still pulling, or never); 404: the pod went.
      if (answered(e, 400) || answered(e, 404)) return '';
      throw e;
    }
    return lastBytes(String(text ?? ''), maxBytes);
  }

  #settings(c: KubernetesConnection): KubernetesJobSettings {
    const o = this.#options;
    return {
      namespace: c.namespace,
      ...(o.serviceAccount ? { serviceAccount: o.serviceAccount } : {}),
      ...(o.imagePullSecrets ? { imagePullSecrets: o.imagePullSecrets } : {}),
      ...(o.ttlSecondsAfterFinished !== undefined ? { ttlSecondsAfterFinished: o.ttlSecondsAfterFinished } : {}),
      ...(o.labels ? { labels: o.labels } : {}),
    };
  }

  async #pods(c: KubernetesConnection, run: string): Promise<PodObject[]> {
    const list = await this.#call(c, { verb: 'list', resource: 'pods' }, () => c.core.listNamespacedPod({ namespace: c.namespace, labelSelector: `${RUN_LABEL}=${run}` }));
    return list.items ?? [];
  }

  /** Creates the Secret, or writes it again over one left by an earlier submit of the run. */
  async #putSecret(c: KubernetesConnection, secret: V1Secret): Promise<void> {
    const name = secret.metadata?.name ?? '';
    try {
      await this.#call(c, { verb: 'create', resource: 'secrets', name }, () =>
        c.core.createNamespacedSecret({ namespace: c.namespace, body: secret, fieldManager: FIELD_MANAGER, fieldValidation: 'Strict' }),
      );
    } catch (e) {
      if (!answered(e, 409)) throw e;
      await this.#call(c, { verb: 'update', resource: 'secrets', name }, () =>
        c.core.replaceNamespacedSecret({ name, namespace: c.namespace, body: secret, fieldManager: FIELD_MANAGER, fieldValidation: 'Strict' }),
      );
    }
  }

  /**
   * Makes the Job the Secret's owner. Not a controller reference, and without
   * blockOwnerDeletion: setting that needs the right to update the Job's finalizers,
   * which the server's Role need not grant.
   */
  async #own(c: KubernetesConnection, secret: V1Secret, job: JobObject): Promise<void> {
    const name = secret.metadata?.name ?? '';
    const uid = job.metadata?.uid;
    if (!uid) throw new RepriseError('REPRISE_ERR_EXECUTOR_UNAVAILABLE', `Kubernetes API server ${c.address} returned Job ${job.metadata?.name ?? '?'} without a uid: its Secret ${name} cannot be given an owner`);
    const owner = { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata?.name ?? '', uid };
    await this.#call(c, { verb: 'patch', resource: 'secrets', name }, () =>
      c.core.patchNamespacedSecret({ name, namespace: c.namespace, body: [{ op: 'add', path: '/metadata/ownerReferences', value: [owner] }], fieldManager: FIELD_MANAGER }),
    );
  }

  async #deleteSecret(c: KubernetesConnection, name: string): Promise<void> {
    await this.#tolerate404(c, { verb: 'delete', resource: 'secrets', name }, () => c.core.deleteNamespacedSecret({ name, namespace: c.namespace }));
  }

  async #tolerate404(c: KubernetesConnection, call: Call, fn: () => Promise<unknown>): Promise<void> {
    try {
      await this.#call(c, call, fn);
    } catch (e) {
      if (!answered(e, 404)) throw e;
    }
  }

  /**
   * One API call, given at most the timeout; a failure throws the RepriseError it means,
   * with the HTTP status of an error answer in its details (callers act on 404 and 409).
   */
  async #call<T>(c: KubernetesConnection, call: Call, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(unavailable(c, call, `no answer within ${this.#timeoutMs / 1000} s`)), this.#timeoutMs);
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (e) {
      if (e instanceof RepriseError) throw e;
      const refusal = refusalOf(e);
      throw refusal ? refused(c, call, refusal, e) : unavailable(c, call, messageOf(e), e);
    } finally {
      clearTimeout(timer);
    }
  }
}

function what(c: KubernetesConnection, call: Call): string {
  return `${call.verb} ${call.resource}${call.name ? ` ${call.name}` : ''} in namespace ${c.namespace}`;
}

function unavailable(c: KubernetesConnection, call: Call, reason: string, cause?: unknown): RepriseError {
  return new RepriseError('REPRISE_ERR_EXECUTOR_UNAVAILABLE', `Kubernetes API server ${c.address} did not answer (${what(c, call)}): ${reason}`, {
    details: { address: c.address, namespace: c.namespace },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The error an answer means: the permission missing for 403, the manifest at fault for 400 and 422. */
function refused(c: KubernetesConnection, call: Call, r: Refusal, cause: unknown): RepriseError {
  const details = { address: c.address, namespace: c.namespace, status: r.code, reason: r.reason };
  if (r.code === 401) {
    return new RepriseError('REPRISE_ERR_EXECUTOR_UNAVAILABLE', `Kubernetes API server ${c.address} rejected the credentials of ${c.credentials} (${what(c, call)}): ${r.message}`, {
      details,
      hint: 'renew the token or certificate of that kubeconfig user',
      cause,
    });
  }
  if (r.code === 403) {
    return new RepriseError('REPRISE_ERR_EXECUTOR_UNAVAILABLE', `Kubernetes API server ${c.address} forbids ${call.verb} on ${call.resource} in namespace ${c.namespace}: ${r.message}`, {
      details: { ...details, verb: call.verb, resource: call.resource },
      hint: `grant the server's account a Role in namespace ${c.namespace} allowing "${call.verb}" on ${call.resource} (docs/kubernetes.md gives the whole Role)`,
      cause,
    });
  }
  if (r.code === 400 || r.code === 422) {
    return new RepriseError('REPRISE_ERR_EXECUTOR_INVALID', `Kubernetes API server ${c.address} refused to ${what(c, call)}: ${r.message}`, { details, cause });
  }
  if (r.code === 404 && call.verb === 'create') {
    // Creating in a namespace that does not exist: `namespaces "x" not found`.
    return new RepriseError('REPRISE_ERR_EXECUTOR_INVALID', `Kubernetes API server ${c.address} cannot ${what(c, call)}: ${r.message}`, {
      details,
      hint: 'create the namespace, or name another one (--k8s-namespace)',
      cause,
    });
  }
  return new RepriseError('REPRISE_ERR_EXECUTOR_UNAVAILABLE', `Kubernetes API server ${c.address} answered ${r.code}${r.reason ? ` ${r.reason}` : ''} to ${what(c, call)}: ${r.message}`, { details, cause });
}

/** Whether the API server answered the call that threw `e` with this HTTP status. */
function answered(e: unknown, status: number): boolean {
  return e instanceof RepriseError && e.details?.status === status;
}
