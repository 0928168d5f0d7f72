/**
 * @module adapters/cluster-executor/kubernetes/kubernetes-executor.test
 * The Kubernetes executor without a cluster (none can run here): its manifests validated
 * against the Kubernetes v1.33 OpenAPI schema (`kubernetes-models`, whose validate() runs
 * JSON schemas generated from it); its client, the real `@kubernetes/client-node` over a
 * kubeconfig, against a fake API server answering with recorded responses
 * (`test/kubernetes/`); and the status mapping on the recorded objects.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Secret } from 'kubernetes-models/v1/Secret';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RepriseError } from '../../../core/errors.js';
import type { ClusterJobSpec } from '../../../ports/cluster-executor.js';
import { answer, closedPortUrl, FAKE_TOKEN, recorded, startFakeApiServer, writeKubeconfig, type FakeApiServer, type Scenario } from '../../../../test/kubernetes/fake-api-server.js';
import { jobManifest, jobName, secretManifest, type KubernetesJobSettings } from './job-manifest.js';
import { jobStatus, type JobObject, type PodObject } from './job-status.js';
import { KubernetesExecutor } from './kubernetes-executor.js';

/** The run of the recorded responses. */
const RUN = '01HXZ5T3QW4B8N6M2K7J9P0RCS';
const JOB = 'reprise-01hxz5t3qw4b8n6m2k7j9p0rcs';
const SECRET = `${JOB}-tokens`;
const JOB_UID = '3f0d2b8e-6a1c-4e57-9b0a-5c2d7e8f1a64';
const POD = `${JOB}-x7k2q`;
const NS = 'ml';
const IMAGE = 'registry.example.com/ml/reprise-runner:0.1.0';
const JOBS = `/apis/batch/v1/namespaces/${NS}/jobs`;
const SECRETS = `/api/v1/namespaces/${NS}/secrets`;
const PODS = `/api/v1/namespaces/${NS}/pods`;

function spec(over: Partial<ClusterJobSpec> = {}): ClusterJobSpec {
  return {
    runId: RUN,
    command: ['reprise', 'agent', '--run', RUN],
    env: { REPRISE_SERVER: 'http://reprise.reprise.svc:7878', REPRISE_RUN_TOKEN: 'rpr_run_7Kq2Vx9mWb4Tz8Lc' },
    cpus: 4,
    gpus: 1,
    memoryBytes: 16 * 2 ** 30,
    image: IMAGE,
    ...over,
  };
}

const SETTINGS: KubernetesJobSettings = { namespace: NS };

/** The validator's verdict: null when valid, else its message. */
function schemaErrors(validate: () => void): string | null {
  try {
    validate();
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

const validJob = (m: unknown): string | null => schemaErrors(() => new Job(m as ConstructorParameters<typeof Job>[0]).validate());
const validSecret = (m: unknown): string | null => schemaErrors(() => new Secret(m as ConstructorParameters<typeof Secret>[0]).validate());

function thrown(fn: () => unknown): RepriseError {
  try {
    fn();
  } catch (e) {
    if (e instanceof RepriseError) return e;
    throw e;
  }
  throw new Error('expected a RepriseError');
}

/** A deep copy of a JSON value with the value at a dotted path (array indices included) replaced; `undefined` deletes it. */
function edited<T>(value: T, path: string, to: unknown): T {
  const copy = structuredClone(value);
  const keys = path.split('.');
  let node = copy as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
  const last = keys[keys.length - 1] ?? '';
  if (to === undefined) delete node[last];
  else node[last] = to;
  return copy;
}

async function rejected(p: Promise<unknown>): Promise<RepriseError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RepriseError) return e;
    throw e;
  }
  throw new Error('expected a RepriseError');
}

describe('manifests, validated against the Kubernetes OpenAPI schema', () => {
  const cases: Record<string, [ClusterJobSpec, KubernetesJobSettings]> = {
    'cpu, memory, a GPU and a token': [spec(), SETTINGS],
    'nothing asked for, no token': [spec({ cpus: null, gpus: null, memoryBytes: null, env: { REPRISE_SERVER: 'http://s:7878' } }), SETTINGS],
    'half a CPU, odd bytes, gpus 0': [spec({ cpus: 0.5, gpus: 0, memoryBytes: 1_000_000_001 }), SETTINGS],
    'memory alone, two GPUs, every setting': [
      spec({ cpus: null, gpus: 2, memoryBytes: 512 * 2 ** 20, env: { REPRISE_RUN_TOKEN: 't', HF_TOKEN: 'h', REPRISE_SERVER: 'http://s' } }),
      { namespace: 'team-a', serviceAccount: 'trainer', imagePullSecrets: ['regcred'], ttlSecondsAfterFinished: 600, labels: { team: 'vision' } },
    ],
  };

  for (const [name, [s, settings]] of Object.entries(cases)) {
    it(`${name}: the Job and its Secret are valid`, () => {
      const job = jobManifest(s, settings);
      expect(validJob(job)).toBeNull();
      const secret = secretManifest(s, settings);
      if (Object.keys(s.env).some((k) => k.endsWith('_TOKEN'))) expect(validSecret(secret)).toBeNull();
      else expect(secret).toBeNull();
    });
  }

  it('the validator really checks: a string for a number, a CPU that is no quantity, a wrong enum, a missing key are refused', () => {
    const job = jobManifest(spec(), SETTINGS);
    expect(validJob(job)).toBeNull();
    expect(validJob(edited(job, 'spec.backoffLimit', 'zero'))).toMatch(/backoffLimit must be integer/);
    expect(validJob(edited(job, 'spec.template.spec.containers.0.resources.limits.cpu', 'four cpus'))).toMatch(/limits\/cpu must match format "quantity"/);
    expect(validJob(edited(job, 'spec.template.spec.restartPolicy', 'Sometimes'))).toMatch(/restartPolicy must be equal to one of the allowed values/);
    expect(validJob(edited(job, 'spec.template.spec.containers.0.env.1.valueFrom.secretKeyRef.key', undefined))).toMatch(/must have required property 'key'|required property key/);
    expect(validJob(edited(job, 'spec.template.spec.containers.0.name', undefined))).toMatch(/required property 'name'|required property name/);
    const secret = secretManifest(spec(), SETTINGS);
    expect(validSecret(secret)).toBeNull();
    expect(validSecret(edited(secret, 'data.REPRISE_RUN_TOKEN', 'not base64 !'))).toMatch(/must match format "byte"/);
  });

  it('names and labels the Job after the run, lowercased, and never retries it', () => {
    const job = jobManifest(spec(), SETTINGS);
    expect(job.metadata).toEqual({ name: JOB, namespace: NS, labels: { 'app.kubernetes.io/managed-by': 'reprise', 'reprise.dev/run': RUN.toLowerCase() } });
    expect(job.spec?.backoffLimit).toBe(0);
    expect(job.spec?.ttlSecondsAfterFinished).toBe(3600);
    expect(job.spec?.template.metadata?.labels).toEqual(job.metadata?.labels);
    const pod = job.spec?.template.spec;
    expect(pod?.restartPolicy).toBe('Never');
    expect(pod?.automountServiceAccountToken).toBe(false);
    expect(pod?.containers).toHaveLength(1);
    expect(pod?.containers[0]).toMatchObject({ name: 'runner', image: IMAGE, command: ['reprise', 'agent', '--run', RUN] });
  });

  it('asks for requests equal to limits, and GPUs as limits alone', () => {
    const res = (s: ClusterJobSpec) => jobManifest(s, SETTINGS).spec?.template.spec?.containers[0]?.resources;
    expect(res(spec())).toEqual({ requests: { cpu: '4', memory: '16Gi' }, limits: { cpu: '4', memory: '16Gi', 'nvidia.com/gpu': '1' } });
    expect(res(spec({ cpus: 1.5, memoryBytes: 3 * 2 ** 20, gpus: 0 }))).toEqual({ requests: { cpu: '1500m', memory: '3Mi' }, limits: { cpu: '1500m', memory: '3Mi' } });
    expect(res(spec({ cpus: null, memoryBytes: null, gpus: 2 }))).toEqual({ limits: { 'nvidia.com/gpu': '2' } });
    expect(res(spec({ cpus: null, memoryBytes: null, gpus: null }))).toBeUndefined();
    expect(thrown(() => jobManifest(spec({ gpus: 1.5 }), SETTINGS)).message).toMatch(/gpus must be a whole number, got 1.5/);
  });

  it('keeps *_TOKEN values out of the Job, in a Secret it references', () => {
    const env = jobManifest(spec(), SETTINGS).spec?.template.spec?.containers[0]?.env;
    expect(env).toEqual([
      { name: 'REPRISE_SERVER', value: 'http://reprise.reprise.svc:7878' },
      { name: 'REPRISE_RUN_TOKEN', valueFrom: { secretKeyRef: { name: SECRET, key: 'REPRISE_RUN_TOKEN' } } },
    ]);
    expect(JSON.stringify(jobManifest(spec(), SETTINGS))).not.toContain('rpr_run_');
    const secret = secretManifest(spec(), SETTINGS);
    expect(secret?.metadata?.name).toBe(SECRET);
    expect(secret?.data).toEqual({ REPRISE_RUN_TOKEN: Buffer.from('rpr_run_7Kq2Vx9mWb4Tz8Lc').toString('base64') });
  });

  it('applies the settings: service account, pull secrets, TTL, extra labels under its own', () => {
    const job = jobManifest(spec(), { namespace: 'x', serviceAccount: 'trainer', imagePullSecrets: ['regcred'], ttlSecondsAfterFinished: 60, labels: { team: 'a', 'reprise.dev/run': 'spoofed' } });
    expect(job.spec?.template.spec).toMatchObject({ serviceAccountName: 'trainer', imagePullSecrets: [{ name: 'regcred' }] });
    expect(job.spec?.template.spec?.automountServiceAccountToken).toBeUndefined();
    expect(job.spec?.ttlSecondsAfterFinished).toBe(60);
    expect(job.metadata?.labels).toEqual({ team: 'a', 'app.kubernetes.io/managed-by': 'reprise', 'reprise.dev/run': RUN.toLowerCase() });
  });

  it('refuses a spec without an image, naming it, and a run id that cannot name a Job', () => {
    const e = thrown(() => jobManifest(spec({ image: null }), SETTINGS));
    expect(e.code).toBe('REPRISE_ERR_EXECUTOR_INVALID');
    expect(e.message).toMatch(/no container image/);
    expect(e.details).toMatchObject({ field: 'image' });
    expect(thrown(() => jobManifest(spec({ runId: 'run_1' }), SETTINGS)).message).toMatch(/run id "run_1" cannot name a Kubernetes Job/);
    expect(thrown(() => jobName('x'.repeat(56))).code).toBe('REPRISE_ERR_EXECUTOR_INVALID');
    expect(jobName('x'.repeat(55))).toHaveLength(63);
  });
});

describe('the recorded responses have the shapes the client relies on', () => {
  it('Jobs, pod lists and Status objects', () => {
    for (const name of ['job-created', 'job-pending', 'job-running', 'job-complete', 'job-failed-backoff-limit']) {
      const job = recorded(name);
      expect(job).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: JOB, namespace: NS, uid: JOB_UID } });
      expect(validJob(job)).toBeNull();
    }
    for (const name of ['pods-running', 'pods-succeeded', 'pods-image-pull-backoff', 'pods-oom-killed', 'pods-evicted', 'pods-unschedulable']) {
      expect(recorded(name)).toMatchObject({ apiVersion: 'v1', kind: 'PodList', items: [{ metadata: { name: POD, ownerReferences: [{ uid: JOB_UID }] } }] });
    }
    for (const name of ['status-404-job-not-found', 'status-409-job-already-exists', 'status-403-forbidden-list-jobs']) {
      expect(recorded(name)).toMatchObject({ apiVersion: 'v1', kind: 'Status', status: 'Failure' });
    }
  });

  it('the Job the client sends is the spec the recorded Job was created from', () => {
    const sent = jobManifest(spec(), SETTINGS);
    const created = recorded('job-created') as { metadata: { labels: unknown }; spec: { template: { spec: { containers: unknown[] } } } };
    expect(created.metadata.labels).toEqual(sent.metadata?.labels);
    expect(created.spec.template.spec.containers[0]).toMatchObject(sent.spec?.template.spec?.containers[0] as object);
  });
});

describe('jobStatus on the recorded objects', () => {
  const job = (name: string) => recorded(name) as JobObject;
  const pods = (name: string) => (recorded(name) as { items: PodObject[] }).items;

  it('maps each recorded situation', () => {
    expect(jobStatus(job('job-created'), [])).toEqual({ state: 'pending', reason: null });
    expect(jobStatus(job('job-running'), pods('pods-running'))).toEqual({ state: 'running', reason: null });
    expect(jobStatus(job('job-complete'), pods('pods-succeeded'))).toEqual({ state: 'succeeded', reason: null });
    expect(jobStatus(job('job-complete'), [])).toEqual({ state: 'succeeded', reason: null });
    expect(jobStatus(job('job-pending'), pods('pods-image-pull-backoff'))).toEqual({
      state: 'failed',
      reason: 'ImagePullBackOff: Back-off pulling image "registry.example.com/ml/reprise-runner:0.1.0-rc9"',
    });
    expect(jobStatus(job('job-failed-backoff-limit'), pods('pods-oom-killed'))).toEqual({ state: 'failed', reason: 'OOMKilled (exit 137)' });
    expect(jobStatus(job('job-failed-backoff-limit'), pods('pods-evicted'))).toEqual({
      state: 'failed',
      reason: 'Evicted: The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 9823412Ki. Container runner was using 51380224Ki, request is 0, has larger consumption of ephemeral-storage.',
    });
    expect(jobStatus(job('job-pending'), pods('pods-unschedulable'))).toEqual({
      state: 'pending',
      reason: expect.stringMatching(/^Unschedulable: 0\/4 nodes are available: .*3 Insufficient nvidia\.com\/gpu/),
    });
    expect(jobStatus(null, [])).toMatchObject({ state: 'lost' });
  });

  it("a failed Job without its pods says the Job's reason", () => {
    expect(jobStatus(job('job-failed-backoff-limit'), [])).toEqual({ state: 'failed', reason: 'BackoffLimitExceeded: Job has reached the specified backoff limit' });
  });

  it('an OOM kill or eviction fails the run before the Job controller marks the Job', () => {
    expect(jobStatus(job('job-running'), pods('pods-oom-killed'))).toEqual({ state: 'failed', reason: 'OOMKilled (exit 137)' });
    expect(jobStatus(job('job-running'), pods('pods-evicted')).state).toBe('failed');
  });

  it('other waiting reasons that never fix themselves, and the harmless ones', () => {
    const waiting = (reason: string, message?: string): PodObject[] =>
      edited(pods('pods-image-pull-backoff'), '0.status.containerStatuses.0.state', { waiting: { reason, ...(message ? { message } : {}) } });
    expect(jobStatus(job('job-pending'), waiting('ErrImagePull', 'rpc error: code = NotFound desc = failed to pull and unpack image'))).toMatchObject({ state: 'failed', reason: expect.stringMatching(/^ErrImagePull: rpc error/) });
    expect(jobStatus(job('job-pending'), waiting('InvalidImageName', 'Failed to apply default image tag "Bad Image": couldn\'t parse image name'))).toMatchObject({ state: 'failed' });
    expect(jobStatus(job('job-pending'), waiting('CreateContainerConfigError', 'secret "reprise-x-tokens" not found'))).toEqual({ state: 'failed', reason: 'CreateContainerConfigError: secret "reprise-x-tokens" not found' });
    expect(jobStatus(job('job-pending'), waiting('ContainerCreating'))).toEqual({ state: 'pending', reason: null });
  });

  it('Kubernetes 1.31 conditions: SuccessCriteriaMet and FailureTarget before Complete and Failed', () => {
    const target = [{ type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }];
    expect(jobStatus(edited(job('job-running'), 'status.conditions', target), pods('pods-oom-killed'))).toEqual({ state: 'failed', reason: 'OOMKilled (exit 137)' });
    expect(jobStatus(edited(job('job-running'), 'status.conditions', target), [])).toEqual({ state: 'failed', reason: 'BackoffLimitExceeded: Job has reached the specified backoff limit' });
    const met = [{ type: 'SuccessCriteriaMet', status: 'True' }];
    expect(jobStatus(edited(job('job-running'), 'status.conditions', met), pods('pods-succeeded'))).toEqual({ state: 'running', reason: null });
  });

  it("ignores pods of another Job with the run's label, and reads the newest pod", () => {
    const stale = edited(pods('pods-oom-killed'), '0.metadata.ownerReferences.0.uid', 'an-older-job');
    expect(jobStatus(job('job-running'), [...stale, ...pods('pods-running')])).toEqual({ state: 'running', reason: null });
    const older = edited(pods('pods-unschedulable'), '0.metadata.creationTimestamp', '2024-05-14T09:00:00Z');
    expect(jobStatus(job('job-running'), [...older, ...pods('pods-running')])).toEqual({ state: 'running', reason: null });
  });
});

describe('KubernetesExecutor against a fake API server', () => {
  let dir: string;
  let api: FakeApiServer;
  let kubeconfig: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reprise-k8s-'));
    api = await startFakeApiServer();
    kubeconfig = writeKubeconfig(dir, api.url);
  });
  afterAll(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    api.requests.length = 0;
    api.unexpected.length = 0;
  });

  /** Plays a scenario on the fake server and gives an executor over it. */
  function executor(scenario: Scenario, opts: { image?: string; namespace?: string; context?: string } = {}): KubernetesExecutor {
    api.play(scenario);
    return new KubernetesExecutor({ kubeconfig, ...opts });
  }

  const calls = () => api.requests.map((r) => `${r.method} ${r.path}`);

  it('submit creates the Secret, then the Job, then makes the Job the Secret\'s owner, with the bearer token', async () => {
    const k = executor({
      [`POST ${SECRETS}`]: [answer('secret-created', 201)],
      [`POST ${JOBS}`]: [answer('job-created', 201)],
      [`PATCH ${SECRETS}/${SECRET}`]: [answer('secret-owned')],
    }, { image: IMAGE });
    expect(await k.submit(spec({ image: null }))).toBe(JOB);
    expect(calls()).toEqual([`POST ${SECRETS}`, `POST ${JOBS}`, `PATCH ${SECRETS}/${SECRET}`]);
    expect(api.unexpected).toEqual([]);
    const [secret, job, patch] = api.requests;
    for (const r of api.requests) expect(r.headers.authorization).toBe(`Bearer ${FAKE_TOKEN}`);
    // The default image filled in, sent exactly as job-manifest.ts makes it.
    expect(job?.body).toEqual(JSON.parse(JSON.stringify(jobManifest(spec(), SETTINGS))));
    expect(job?.query).toMatchObject({ fieldManager: 'reprise', fieldValidation: 'Strict' });
    expect(job?.headers['content-type']).toMatch(/^application\/json/);
    expect(secret?.body).toEqual(JSON.parse(JSON.stringify(secretManifest(spec(), SETTINGS))));
    expect(patch?.headers['content-type']).toBe('application/json-patch+json');
    expect(patch?.body).toEqual([{ op: 'add', path: '/metadata/ownerReferences', value: [{ apiVersion: 'batch/v1', kind: 'Job', name: JOB, uid: JOB_UID }] }]);
    expect(k.address).toBe(api.url);
    expect(await k.namespace()).toBe(NS);
  });

  it('a second submit of the run gets 409 and returns the existing Job', async () => {
    const k = executor({
      [`POST ${SECRETS}`]: [answer('status-409-secret-already-exists')],
      [`PUT ${SECRETS}/${SECRET}`]: [answer('secret-created')],
      [`POST ${JOBS}`]: [answer('status-409-job-already-exists')],
      [`GET ${JOBS}/${JOB}`]: [answer('job-running')],
      [`PATCH ${SECRETS}/${SECRET}`]: [answer('secret-owned')],
    });
    expect(await k.submit(spec())).toBe(JOB);
    expect(calls()).toEqual([`POST ${SECRETS}`, `PUT ${SECRETS}/${SECRET}`, `POST ${JOBS}`, `GET ${JOBS}/${JOB}`, `PATCH ${SECRETS}/${SECRET}`]);
    expect(api.unexpected).toEqual([]);
  });

  it('a run without tokens makes no Secret', async () => {
    const k = executor({ [`POST ${JOBS}`]: [answer('job-created', 201)] });
    expect(await k.submit(spec({ env: { REPRISE_SERVER: 'http://s' } }))).toBe(JOB);
    expect(calls()).toEqual([`POST ${JOBS}`]);
  });

  it('a Job the server refuses takes its Secret away, and the error names the permission', async () => {
    const k = executor({
      [`POST ${SECRETS}`]: [answer('secret-created', 201)],
      [`POST ${JOBS}`]: [answer('status-403-forbidden-create-jobs')],
      [`DELETE ${SECRETS}/${SECRET}`]: [answer('status-secret-deleted')],
    });
    const e = await rejected(k.submit(spec()));
    expect(e.code).toBe('REPRISE_ERR_EXECUTOR_UNAVAILABLE');
    expect(e.message).toContain(`forbids create on jobs.batch in namespace ${NS}`);
    expect(calls()).toEqual([`POST ${SECRETS}`, `POST ${JOBS}`, `DELETE ${SECRETS}/${SECRET}`]);
  });

  it('submit without any image is refused before the cluster is asked', async () => {
    const k = executor({});
    const e = await rejected(k.submit(spec({ image: null })));
    expect(e.code).toBe('REPRISE_ERR_EXECUTOR_INVALID');
    expect(e.message).toMatch(/image/);
    expect(api.requests).toEqual([]);
  });

  const scenarios: [string, string, string, { state: string; reason: unknown }][] = [
    ['running', 'job-running', 'pods-running', { state: 'running', reason: null }],
    ['complete', 'job-complete', 'pods-succeeded', { state: 'succeeded', reason: null }],
    ['ImagePullBackOff', 'job-pending', 'pods-image-pull-backoff', { state: 'failed', reason: expect.stringMatching(/^ImagePullBackOff: Back-off pulling image/) }],
    ['OOMKilled', 'job-failed-backoff-limit', 'pods-oom-killed', { state: 'failed', reason: 'OOMKilled (exit 137)' }],
    ['evicted', 'job-failed-backoff-limit', 'pods-evicted', { state: 'failed', reason: expect.stringMatching(/^Evicted: The node was low on resource: ephemeral-storage/) }],
    ['unschedulable', 'job-pending', 'pods-unschedulable', { state: 'pending', reason: expect.stringMatching(/^Unschedulable: 0\/4 nodes are available/) }],
  ];
  for (const [name, jobFile, podsFile, expected] of scenarios) {
    it(`status: ${name}`, async () => {
      const k = executor({ [`GET ${JOBS}/${JOB}`]: [answer(jobFile)], [`GET ${PODS}`]: [answer(podsFile)] });
      expect(await k.status(JOB)).toEqual(expected);
      expect(calls()).toEqual([`GET ${JOBS}/${JOB}`, `GET ${PODS}`]);
      expect(api.requests[1]?.query).toEqual({ labelSelector: `reprise.dev/run=${RUN.toLowerCase()}` });
    });
  }

  it('status: a Job the API server does not know (404) is lost', async () => {
    const k = executor({ [`GET ${JOBS}/${JOB}`]: [answer('status-404-job-not-found')] });
    expect(await k.status(JOB)).toMatchObject({ state: 'lost' });
    expect(calls()).toEqual([`GET ${JOBS}/${JOB}`]);
  });

  it('stop deletes the Job with propagationPolicy Background, and the Secret', async () => {
    const k = executor({ [`DELETE ${JOBS}/${JOB}`]: [answer('status-job-deleted')], [`DELETE ${SECRETS}/${SECRET}`]: [answer('status-secret-deleted')] });
    await k.stop(JOB);
    expect(calls()).toEqual([`DELETE ${JOBS}/${JOB}`, `DELETE ${SECRETS}/${SECRET}`]);
    expect(api.requests[0]?.query).toEqual({ propagationPolicy: 'Background' });
  });

  it('stop of a Job already gone (404) is no error', async () => {
    const k = executor({ [`DELETE ${JOBS}/${JOB}`]: [answer('status-404-job-not-found')], [`DELETE ${SECRETS}/${SECRET}`]: [answer('status-404-secret-not-found')] });
    await expect(k.stop(JOB)).resolves.toBeUndefined();
    expect(api.unexpected).toEqual([]);
  });

  it("logTail reads the end of the newest pod's runner log", async () => {
    const log = `${Array.from({ length: 50 }, (_, i) => `step ${i} loss=${(1 / (i + 1)).toFixed(4)}`).join('\n')}\nTraceback (most recent call last):\nRuntimeError: CUDA out of memory ✗\n`;
    const k = executor({ [`GET ${PODS}`]: [answer('pods-running')], [`GET ${PODS}/${POD}/log`]: [{ status: 200, text: log }] });
    const tail = await k.logTail(JOB, 64);
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(64);
    expect(log.endsWith(tail)).toBe(true);
    expect(tail).toContain('CUDA out of memory ✗');
    const [list, read] = api.requests;
    expect(list?.query).toEqual({ labelSelector: `reprise.dev/run=${RUN.toLowerCase()}` });
    expect(read?.query).toMatchObject({ container: 'runner', tailLines: expect.stringMatching(/^\d+$/), limitBytes: expect.stringMatching(/^\d+$/) });
  });

  it('logTail is empty when the container never started (400) or no pod exists', async () => {
    let k = executor({ [`GET ${PODS}`]: [answer('pods-image-pull-backoff')], [`GET ${PODS}/${POD}/log`]: [answer('status-400-container-waiting')] });
    expect(await k.logTail(JOB, 4096)).toBe('');
    k = executor({ [`GET ${PODS}`]: [answer('pods-none')] });
    expect(await k.logTail(JOB, 4096)).toBe('');
  });

  it('check lists at most one Job of the namespace', async () => {
    const k = executor({ [`GET ${JOBS}`]: [answer('jobs-list')] });
    await k.check();
    expect(calls()).toEqual([`GET ${JOBS}`]);
    expect(api.requests[0]?.query).toEqual({ limit: '1' });
  });

  it('check against a 403 names the namespace and the permission missing', async () => {
    const k = executor({ [`GET ${JOBS}`]: [answer('status-403-forbidden-list-jobs')] });
    const e = await rejected(k.check());
    expect(e.code).toBe('REPRISE_ERR_EXECUTOR_UNAVAILABLE');
    expect(e.message).toBe(
      `Kubernetes API server ${api.url} forbids list on jobs.batch in namespace ${NS}: jobs.batch is forbidden: User "system:serviceaccount:reprise:reprise-server" cannot list resource "jobs" in API group "batch" in the namespace "${NS}"`,
    );
    expect(e.hint).toMatch(/Role in namespace ml allowing "list" on jobs\.batch/);
  });

  it('check against a closed port is EXECUTOR_UNAVAILABLE naming the URL', async () => {
    const url = await closedPortUrl();
    const k = new KubernetesExecutor({ kubeconfig: writeKubeconfig(mkdtempSync(join(dir, 'closed-')), url) });
    const e = await rejected(k.check());
    expect(e.code).toBe('REPRISE_ERR_EXECUTOR_UNAVAILABLE');
    expect(e.message).toContain(`Kubernetes API server ${url} did not answer`);
    expect(e.message).toMatch(/ECONNREFUSED/);
  });

  it('a context of the kubeconfig picks its namespace; a namespace given wins; an unknown context is refused', async () => {
    expect(await executor({}, { context: 'fake-other' }).namespace()).toBe('other');
    expect(await executor({}, { namespace: 'team-b' }).namespace()).toBe('team-b');
    const e = await rejected(executor({}, { context: 'nope' }).check());
    expect(e.code).toBe('REPRISE_ERR_EXECUTOR_INVALID');
    expect(e.message).toMatch(/has no context "nope"; it has fake, fake-other/);
  });

  it('a kubeconfig that cannot be read is EXECUTOR_INVALID naming it', async () => {
    const missing = join(dir, 'missing.yaml');
    const k = new KubernetesExecutor({ kubeconfig: missing });
    expect(k.address).toContain(missing);
    const e = await rejected(k.check());
    expect(e.code).toBe('REPRISE_ERR_EXECUTOR_INVALID');
    expect(e.message).toContain(`kubeconfig ${missing} cannot be loaded`);
  });

  it('jobIdFor is the name submit gives the Job', () => {
    expect(new KubernetesExecutor({ kubeconfig }).jobIdFor(RUN)).toBe(JOB);
  });
});
