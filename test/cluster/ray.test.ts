/**
 * Queued runs through a real local Ray cluster (test/ray/ray-cluster.ts: a head and a
 * worker node, 2 CPUs each): `reprise server --executor ray` submits each run as a Ray
 * job whose entrypoint is `reprise agent --run`, with the run's CPUs as its entrypoint
 * resources. Four runs asking 2 CPUs each run two at a time, one per node; cancel stops a
 * run and its job; a runner that dies makes its run `failed` with Ray's reason; a cluster
 * that vanishes makes its runs `lost`, and their retries wait in the queue. The server runs
 * with --auth: the user submits with a member's token, and each job's runner reports with
 * a token of its own run only.
 * Needs `npm run build` and `.venv-ray` (the test command makes both).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitProject, reprise, repriseJson, sandbox, waitFor, yamlFor, type Sandbox } from '../helpers/cli.js';
import { api, startServer, type Api, type RunningServer } from '../helpers/server.js';
import { rayMissing, startRayCluster, type RayCluster } from '../ray/ray-cluster.js';

const TIMEOUT = 240_000;

/** Writes score = 2x; with hold, waits for the release file; with die, kills the runner that drives it (its grandparent: runner → sh → python). */
const TRAIN_PY = `import json, os, signal, time
p = json.load(open(os.environ["REPRISE_PARAMS"]))
if p.get("die"):
    sh = os.getppid()
    runner = int(open(f"/proc/{sh}/stat").read().rsplit(")", 1)[1].split()[1])
    os.kill(runner, signal.SIGKILL)
deadline = time.time() + 150
while p.get("hold") and not os.path.exists(p["release"]) and time.time() < deadline:
    time.sleep(0.1)
time.sleep(p.get("sleep", 0))
with open(os.environ["REPRISE_METRICS"], "a") as f:
    f.write(json.dumps({"step": 0, "score": p["x"] * 2}) + "\\n")
print("done", p["x"])
`;

const missing = rayMissing();

describe.skipIf(missing !== null)(`queued runs as Ray jobs${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let sb: Sandbox;
  let cluster: RayCluster;
  let server: RunningServer;
  let client: Api;
  let dir: string;

  /** A user's machine: its own home, every command through the server. */
  let memberToken: string;
  const user = (): NodeJS.ProcessEnv => ({ REPRISE_HOME: join(sb.root, 'user-home'), REPRISE_SERVER: server.url, REPRISE_TOKEN: memberToken });
  const cli = (args: readonly string[]) => reprise(sb, dir, args, user());
  const cliJson = (args: readonly string[]) => repriseJson(sb, dir, args, user());
  const show = (id: string): Promise<any> => cliJson(['show', id]);
  const rayJob = async (id: string): Promise<any> => (await fetch(`${cluster.address}/api/jobs/${id}`)).json();
  const settled = (id: string, what: string, ms = 120_000): Promise<any> =>
    waitFor(
      what,
      async () => {
        const r = await show(id);
        return ['queued', 'preparing', 'running'].includes(r.status) ? undefined : r;
      },
      ms,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\nserver:\n${server.stderr().slice(-4000)}`);
    });

  beforeAll(async () => {
    sb = await sandbox();
    cluster = await startRayCluster();
    const runnerHome = join(sb.root, 'ray-node-home');
    mkdirSync(runnerHome, { recursive: true });
    // The server's store, with an admin (for the test's own reads) and the member who submits.
    const serverHome = join(sb.root, 'server-home-ray');
    mkdirSync(serverHome, { recursive: true });
    const seed = (args: readonly string[]) => repriseJson(sb, sb.root, args, { REPRISE_HOME: serverHome, REPRISE_SERVER: '' });
    await seed(['users', 'add', 'ops', '--role', 'admin', '--json']);
    await seed(['users', 'add', 'tester', '--role', 'member', '--json']);
    const adminToken = (await seed(['tokens', 'create', '--user', 'ops', '--json'])).token as string;
    memberToken = (await seed(['tokens', 'create', '--user', 'tester', '--json'])).token as string;
    server = await startServer({ home: serverHome, args: ['--auth', '--executor', 'ray', '--ray-address', cluster.address, '--max-jobs', '8', '--runner-env', `REPRISE_HOME=${runnerHome}`] });
    client = api(server.url, { token: adminToken });
    dir = gitProject(sb, {
      'reprise.yaml': yamlFor([{ name: 'train', cmd: 'python3 train.py' }], 'env: { system: true }\nresources: { cpus: 2, retries: 1 }\n'),
      'input.json': '{"x": 0}\n',
      'train.py': TRAIN_PY,
    });
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    await cluster?.stop();
    await sb?.cleanup();
  });

  it('runs four 2-CPU runs as Ray jobs, two at a time across both nodes, each recorded as its job', { timeout: TIMEOUT }, async () => {
    await waitFor('the server to say where runs go', () => server.stderr().includes(`to ray at ${cluster.address}`));
    const queued = await cliJson(['sweep', '--grid', 'x=1,2,3,4', '-p', 'sleep=3', '--name', 'on-ray']);
    const ids: string[] = queued.runs.map((r: any) => r.id);
    const runs = await Promise.all(ids.map((id) => settled(id, `run ${id} to end`)));
    expect(runs.map((r) => `${r.status} ${r.failure?.message ?? ''}`)).toEqual(ids.map(() => 'succeeded '));
    for (const r of runs) {
      expect(r.metrics.score.last).toBe(r.params.x * 2);
      expect(r.manifest.execution.worker.job).toEqual({ executor: 'ray', id: `reprise-${r.id}` });
      expect(r.manifest.submission).toMatchObject({ cpus: 2, memoryBytes: null });
    }
    const jobs = await Promise.all(runs.map((r) => rayJob(`reprise-${r.id}`)));
    for (const j of jobs) {
      expect(j.status, JSON.stringify(j)).toBe('SUCCEEDED');
      expect(j.entrypoint).toContain('agent --run');
    }
    // Each runner reported with a token of its own run, made by the server for the job (not the user's).
    const made = (await client.get('/tokens?all=true&revoked=true')).json.tokens as any[];
    for (const r of runs) expect(made).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'run', runId: r.id, user: null, createdBy: 'server' })]));
    for (const j of jobs) expect(j.runtime_env?.env_vars?.REPRISE_TOKEN ?? '').not.toBe(memberToken);
    // Who submitted is the member the token names, whatever the client's account is called.
    expect(runs.map((r) => r.manifest.trigger.by)).toEqual(ids.map(() => 'tester'));
    // Ray placed them on both nodes, never more than one per node (each has 2 CPUs).
    expect(new Set(jobs.map((j) => j.driver_node_id))).toEqual(new Set([cluster.headNodeId, cluster.workerNodeId]));
    // Ray's start_time is when a job was accepted; the runs' own times say when they ran.
    const spans = runs.map((r) => [r.startedAt as number, r.endedAt as number]);
    expect(spans.flat().every((t) => typeof t === 'number')).toBe(true);
    const overlapAt = (t: number): number => spans.filter(([s, e]) => s! <= t && t < e!).length;
    const most = Math.max(...spans.map(([s]) => overlapAt(s!)));
    expect(most).toBe(2);
    // The dispatcher is a worker of kind ray, shown with the cluster's address.
    const workers = (await client.get('/workers')).json.workers;
    expect(workers).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'ray', name: `ray at ${cluster.address}` })]));
  });

  it('cancel stops a running run and its Ray job', { timeout: TIMEOUT }, async () => {
    const release = join(sb.root, 'never-released');
    const held = await cliJson(['submit', '--name', 'to-cancel', '-p', 'x=5', '-p', 'hold=true', '-p', `release=${JSON.stringify(release)}`]);
    const id = held.runs[0].id;
    await waitFor('the run to be running on Ray', async () => (await show(id)).status === 'running', 90_000);
    const res = await cli(['cancel', id]);
    expect(res.code, res.stderr).toBe(0);
    const ended = await settled(id, 'the canceled run to end');
    expect(ended.status).toBe('canceled');
    await waitFor('its Ray job to end', async () => !['PENDING', 'RUNNING'].includes((await rayJob(`reprise-${id}`)).status), 60_000);
  });

  it('a runner killed on its node makes the run failed, with Ray\'s reason', { timeout: TIMEOUT }, async () => {
    const doomed = await cliJson(['submit', '--name', 'runner-dies', '-p', 'x=6', '-p', 'die=true']);
    const id = doomed.runs[0].id;
    const ended = await settled(id, 'the run whose runner died to end');
    expect(ended.status).toBe('failed');
    expect(ended.failure.message).toMatch(new RegExp(`ray job reprise-${id} failed: .*(exit code|-9|SIGKILL|signal)`, 'i'));
    expect((await rayJob(`reprise-${id}`)).status).toBe('FAILED');
  });

  it('a cluster that vanishes loses its runs; their retries wait in the queue instead of failing', { timeout: 300_000 }, async () => {
    const release = join(sb.root, 'never-released-2');
    const held = await cliJson(['submit', '--name', 'orphaned', '-p', 'x=8', '-p', 'hold=true', '-p', `release=${JSON.stringify(release)}`]);
    const id = held.runs[0].id;
    await waitFor('the run to be running on Ray', async () => (await show(id)).status === 'running', 90_000);
    await cluster.stop();
    const lost = await settled(id, 'the run to be lost', 200_000);
    expect(lost.status).toBe('lost');
    expect(lost.failure.message).toContain(`ray job reprise-${id} is gone`);
    const retryId = lost.submission.retriedAs;
    expect(retryId).toMatch(/^\w{26}$/);
    // The cluster is still down: the retry is not claimed (and so not failed) meanwhile.
    await new Promise((r) => setTimeout(r, 8_000));
    expect((await show(retryId)).status).toBe('queued');
  });
});
