/**
 * A real Ray cluster on this machine for the tests of the Ray executor: a head node that
 * serves the job API on loopback and a second node joined to it, each with 2 CPUs, the
 * second marked by the custom resource WORKER_RESOURCE. Ray comes from `.venv-ray` (made by
 * scripts/ensure-venv.sh from test/ray/requirements.txt).
 *
 * Each cluster lives under a temporary folder of its own, with every port it listens on
 * chosen free, so the clusters of test files running side by side never meet. `ray stop`
 * cannot stop one of them: it kills every Ray process of the machine, found by name. So
 * the cluster is started with a marker in its environment, and `stop()` kills the
 * processes that carry it or name the cluster's folder, with all their descendants (jobs
 * included), and no other.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/server.js';

export const RAY_VENV_BIN = join(REPO_ROOT, '.venv-ray', 'bin');
export const RAY_BIN = join(RAY_VENV_BIN, 'ray');

/** The custom resource only the second node has: how the tests tell the nodes apart. */
export const WORKER_RESOURCE = 'reprise_test_worker';

/** CPUs of each node. */
export const CPUS_PER_NODE = 2;

/** The environment entry that marks the processes of one cluster; its value is the cluster's folder. */
const MARKER = 'REPRISE_TEST_RAY_CLUSTER';

/** Ray's own floor is 75 MB; the tests move no objects, and the machine is small. */
const OBJECT_STORE_BYTES = 100 * 1024 * 1024;

/** Starting both nodes takes some 10 s here; a slow machine gets room. */
const READY_TIMEOUT_MS = 90_000;

/** Why the Ray tests cannot run here, or null when they can. */
export function rayMissing(): string | null {
  if (existsSync(RAY_BIN)) return null;
  return `no Ray at ${RAY_BIN}; make it with \`bash scripts/ensure-venv.sh .venv-ray test/ray/requirements.txt\``;
}

export interface RayCluster {
  /** The job API (the head's dashboard): `http://127.0.0.1:PORT`. */
  readonly address: string;
  readonly headNodeId: string;
  readonly workerNodeId: string;
  /** The cluster's folder (Ray's temporary folder, logs included). */
  readonly dir: string;
  /** Kills the cluster's processes, and only them, then removes its folder. */
  stop(): Promise<void>;
}

interface NodeRow {
  readonly node_id: string;
  readonly is_head_node: boolean;
  readonly state: string;
  readonly resources_total: Record<string, number>;
}

/** Starts a head node and a worker node and waits until the job API answers and both nodes are alive. */
export async function startRayCluster(): Promise<RayCluster> {
  const missing = rayMissing();
  if (missing) throw new Error(missing);
  // Short: Ray's socket paths live under it and must stay under the 107 bytes a socket path may have.
  const dir = mkdtempSync(join(tmpdir(), 'rr-'));
  const env: NodeJS.ProcessEnv = { ...process.env, [MARKER]: dir, RAY_USAGE_STATS_ENABLED: '0' };
  delete env.RAY_ADDRESS;
  const stop = () => stopCluster(dir, env);
  try {
    const [gcs, dashboard, client, ...nodePorts] = await freePorts(3 + 2 * 5);
    const nodeArgs = (p: number[]) => [
      `--num-cpus=${CPUS_PER_NODE}`,
      `--object-store-memory=${OBJECT_STORE_BYTES}`,
      `--temp-dir=${dir}`,
      '--disable-usage-stats',
      // Ray's fixed defaults would collide between the two nodes and with other clusters.
      `--dashboard-agent-listen-port=${p[0]}`,
      `--dashboard-agent-grpc-port=${p[1]}`,
      `--runtime-env-agent-port=${p[2]}`,
      `--metrics-export-port=${p[3]}`,
      `--node-manager-port=${p[4]}`,
      // 0 and 0: workers take ports the system hands out, never a shared range.
      '--min-worker-port=0',
      '--max-worker-port=0',
    ];
    // Ray replaces a loopback --node-ip-address with the machine's address for its nodes;
    // the job API stays on loopback (--dashboard-host).
    await ray(
      [
        'start',
        '--head',
        '--node-ip-address=127.0.0.1',
        `--port=${gcs}`,
        '--include-dashboard=true',
        '--dashboard-host=127.0.0.1',
        `--dashboard-port=${dashboard}`,
        `--ray-client-server-port=${client}`,
        ...nodeArgs(nodePorts.slice(0, 5)),
      ],
      env,
    );
    await ray(
      ['start', `--address=127.0.0.1:${gcs}`, `--resources=${JSON.stringify({ [WORKER_RESOURCE]: 1 })}`, ...nodeArgs(nodePorts.slice(5))],
      env,
    );
    const address = `http://127.0.0.1:${dashboard}`;
    const nodes = await waitForNodes(address);
    const head = nodes.find((n) => n.is_head_node);
    const worker = nodes.find((n) => (n.resources_total[WORKER_RESOURCE] ?? 0) > 0);
    if (!head || !worker) throw new Error(`the Ray cluster at ${address} lacks a node: ${JSON.stringify(nodes)}`);
    return { address, headNodeId: head.node_id, workerNodeId: worker.node_id, dir, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Runs the `ray` command to its end; a failure carries what it printed. */
function ray(args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(RAY_BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), READY_TIMEOUT_MS);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      // `ray start` returns once its daemons run; should one of them hold the pipes, the
      // test process must not wait on it.
      child.stdout.destroy();
      child.stderr.destroy();
      if (code === 0) resolve();
      else reject(new Error(`ray ${args.join(' ')} exited with ${code}:\n${out.slice(-4000)}`));
    });
  });
}

/** Polls the job API until it answers and the state API lists two live nodes. */
async function waitForNodes(address: string): Promise<NodeRow[]> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      const version = await fetch(`${address}/api/version`, { signal: AbortSignal.timeout(5_000) });
      if (!version.ok) throw new Error(`/api/version answered ${version.status}`);
      const res = await fetch(`${address}/api/v0/nodes`, { signal: AbortSignal.timeout(5_000) });
      const body = (await res.json()) as { data?: { result?: { result?: NodeRow[] } } };
      const nodes = (body.data?.result?.result ?? []).filter((n) => n.state === 'ALIVE');
      if (nodes.length >= 2) return nodes;
      last = `${nodes.length} live node(s)`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the Ray cluster at ${address} was not ready within ${READY_TIMEOUT_MS} ms: ${last}`);
}

/** `n` distinct ports free on this machine now (held together while chosen, so never the same one twice). */
async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

/**
 * The ids of the processes carrying this cluster's marker or naming its folder on their
 * command line, and of all their descendants: Ray's workers and the dashboard's modules
 * rewrite their title over their environment, so only their parentage tells.
 */
function clusterPids(dir: string): number[] {
  const mark = `${MARKER}=${dir}`;
  const marked = new Set<number>();
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      // `pid (comm) state ppid …`, where comm may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
      const environ = readFileSync(`/proc/${name}/environ`, 'latin1').split('\0');
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'latin1');
      if (environ.includes(mark) || cmdline.includes(dir)) marked.add(pid);
    } catch {
      // Gone meanwhile, or another user's.
    }
  }
  const all = new Set<number>();
  const visit = (pid: number): void => {
    if (all.has(pid)) return;
    all.add(pid);
    for (const c of children.get(pid) ?? []) visit(c);
  };
  for (const pid of marked) visit(pid);
  return [...all];
}

async function stopCluster(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  if (!existsSync('/proc')) {
    // Without /proc there is no telling the cluster's processes apart: Ray's own stop, which
    // stops every Ray process of the machine, is all there is.
    await ray(['stop', '--force'], env).catch(() => undefined);
  } else {
    // Raylets start workers while they die: kill until none is left.
    for (let round = 0; round < 20; round++) {
      const pids = clusterPids(dir);
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
