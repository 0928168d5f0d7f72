/**
 * `reprise server --executor kubernetes` end to end, against the recorded fake API
 * (test/kubernetes/fake-api-server.ts; no cluster runs here): a queued run becomes a
 * Job with the image, resources and runner command it needs, and a pod the cluster
 * OOM-kills makes the run `failed` with the reason, the end of the pod's log, and the
 * Job deleted. Needs `npm run build`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitProject, repriseJson, sandbox, waitFor, yamlFor, type Sandbox } from '../helpers/cli.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { answer, FAKE_TOKEN, startFakeApiServer, writeKubeconfig, type FakeApiServer } from '../kubernetes/fake-api-server.js';

const IMAGE = 'registry.example.com/ml/reprise-runner:0.1.0';
const NS = 'ml';
const JOBS = `/apis/batch/v1/namespaces/${NS}/jobs`;
const PODS = `/api/v1/namespaces/${NS}/pods`;
/** The pod of the recorded Job, whose log the executor reads for the run's reason. */
const RECORDED_POD = 'reprise-01hxz5t3qw4b8n6m2k7j9p0rcs-x7k2q';

describe('queued runs as Kubernetes Jobs (a recorded fake API)', () => {
  let sb: Sandbox;
  let api: FakeApiServer;
  let server: RunningServer | undefined;
  let dir: string;

  beforeAll(async () => {
    sb = await sandbox();
    api = await startFakeApiServer();
    dir = gitProject(sb, {
      'reprise.yaml': yamlFor([{ name: 'train', cmd: 'python3 train.py' }], 'env: { system: true }\nresources: { cpus: 2, memory: 512Mi, gpus: 1, retries: 0 }\n'),
      'input.json': '{"x": 1}\n',
      'train.py': 'print("never runs here")\n',
    });
  });

  afterAll(async () => {
    await server?.stop();
    await api.close();
    await sb.cleanup();
  });

  it('submits a queued run as a Job and settles an OOM-killed pod as a failed run', { timeout: 120_000 }, async () => {
    const id: string = (await repriseJson(sb, dir, ['submit'])).runs[0].id;
    const job = `reprise-${id.toLowerCase()}`;
    api.play({
      [`GET ${JOBS}`]: [answer('jobs-list')],
      [`POST ${JOBS}`]: [answer('job-created', 201)],
      [`GET ${JOBS}/${job}`]: [answer('job-running'), answer('job-running'), answer('job-failed-backoff-limit')],
      [`GET ${PODS}`]: [answer('pods-running'), answer('pods-running'), answer('pods-oom-killed')],
      [`GET ${PODS}/${RECORDED_POD}/log`]: [{ status: 200, text: 'epoch 1\nallocating 40 GiB for the embedding table\n' }],
      [`DELETE ${JOBS}/${job}`]: [answer('status-job-deleted')],
      // The server asks who calls (--auth): the run's token goes into a Secret the Job owns.
      [`POST /api/v1/namespaces/${NS}/secrets`]: [answer('secret-created', 201)],
      [`PATCH /api/v1/namespaces/${NS}/secrets/${job}-tokens`]: [answer('secret-owned')],
      [`DELETE /api/v1/namespaces/${NS}/secrets/${job}-tokens`]: [answer('status-secret-deleted')],
    });
    await repriseJson(sb, dir, ['users', 'add', 'ops', '--role', 'admin'], { REPRISE_HOME: sb.storeHome, REPRISE_SERVER: '' });
    const kubeHome = join(sb.root, 'kube');
    mkdirSync(kubeHome, { recursive: true });
    const kubeconfig = writeKubeconfig(kubeHome, api.url, NS);
    server = await startServer({
      home: sb.storeHome,
      args: ['--auth', '--executor', 'kubernetes', '--k8s-image', IMAGE, '--public-url', 'http://reprise.internal:7878'],
      env: { KUBECONFIG: kubeconfig },
    });

    const settled = await waitFor(
      'the run to be settled',
      async () => {
        const run = await repriseJson(sb, dir, ['show', id]);
        return run.status === 'failed' ? run : undefined;
      },
      90_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\nserver:\n${server!.stderr()}\nrequests:\n${api.requests.map((q) => `${q.method} ${q.path}`).join('\n')}`);
    });
    expect(settled.failure.message).toBe(`its kubernetes job ${job} failed: OOMKilled (exit 137)`);
    expect(settled.failure.stderrTail).toEqual(['epoch 1', 'allocating 40 GiB for the embedding table']);

    // The Job as it was sent: the image, the runner in single-run mode, the server's URL, the resources.
    const post = api.requests.find((r) => r.method === 'POST' && r.path === JOBS)!;
    expect(post.headers.authorization).toBe(`Bearer ${FAKE_TOKEN}`);
    const body = post.body as any;
    expect(body.metadata).toMatchObject({ name: job, namespace: NS, labels: { 'reprise.dev/run': id.toLowerCase() } });
    expect(body.spec.backoffLimit).toBe(0);
    const container = body.spec.template.spec.containers[0];
    expect(container.image).toBe(IMAGE);
    expect(container.command).toEqual(['reprise', 'agent', '--run', id, '--worker', expect.stringMatching(/^\w{26}$/), '--quiet']);
    expect(container.env).toEqual(expect.arrayContaining([{ name: 'REPRISE_SERVER', value: 'http://reprise.internal:7878' }, { name: 'REPRISE_CLUSTER_JOB', value: `kubernetes:${job}` }]));
    expect(container.resources.limits).toMatchObject({ cpu: '2', memory: '512Mi', 'nvidia.com/gpu': '1' });
    // The runner's token: a run token the server made for this run, in the Secret, never in the Job.
    const secret = api.requests.find((r) => r.method === 'POST' && r.path.endsWith('/secrets'))!.body as any;
    const token: string = secret.stringData?.REPRISE_TOKEN ?? Buffer.from(secret.data?.REPRISE_TOKEN ?? '', 'base64').toString();
    expect(token).toMatch(/^rpr_[\w-]{43}$/);
    expect(JSON.stringify(body)).not.toContain(token);
    expect(container.env).toEqual(expect.arrayContaining([{ name: 'REPRISE_TOKEN', valueFrom: { secretKeyRef: { name: `${job}-tokens`, key: 'REPRISE_TOKEN' } } }]));
    const tokens = await repriseJson(sb, dir, ['tokens', 'ls', '--all', '--revoked'], { REPRISE_HOME: sb.storeHome, REPRISE_SERVER: '' });
    expect(tokens).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'run', runId: id.toLowerCase(), user: null, createdBy: 'server' })]));
    // The Job that failed was deleted, with its pods.
    expect(api.requests.some((r) => r.method === 'DELETE' && r.path === `${JOBS}/${job}` && r.query.propagationPolicy === 'Background')).toBe(true);
    expect(api.unexpected).toEqual([]);
  });
});
