/**
 * @module adapters/cluster-executor/ray/ray-job-executor.test
 * The Ray executor against a real local Ray cluster of two nodes with 2 CPUs each
 * (test/ray/ray-cluster.ts), started once for the file. Without `.venv-ray` those tests
 * are skipped, saying how to make it; the address parsing and the answers no Ray gives
 * (through the `fetch` option) are tested either way.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RepriseError } from '../../../core/errors.js';
import type { ClusterJobSpec, ClusterJobState, ClusterJobStatus } from '../../../ports/cluster-executor.js';
import { CPUS_PER_NODE, rayMissing, startRayCluster, type RayCluster } from '../../../../test/ray/ray-cluster.js';
import { parseRayAddress, RayJobExecutor } from './ray-job-executor.js';

async function failure(p: Promise<unknown> | (() => unknown)): Promise<RepriseError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (e instanceof RepriseError) return e;
    throw e;
  }
  throw new Error('expected a RepriseError');
}

function spec(runId: string, command: string[], more: Partial<ClusterJobSpec> = {}): ClusterJobSpec {
  return { runId, command, env: {}, cpus: null, gpus: null, memoryBytes: null, image: null, ...more };
}

describe('parseRayAddress', () => {
  it('takes http(s) addresses, and host:port or a bare host as http', () => {
    expect(parseRayAddress('http://head:8265')).toBe('http://head:8265');
    expect(parseRayAddress('https://ray.example.com/')).toBe('https://ray.example.com');
    expect(parseRayAddress('http://proxy:80/ray/')).toBe('http://proxy/ray');
    expect(parseRayAddress(' 10.0.0.5:8265 ')).toBe('http://10.0.0.5:8265');
    expect(parseRayAddress('head')).toBe('http://head:8265');
    expect(parseRayAddress('[::1]:9000')).toBe('http://[::1]:9000');
  });

  it('refuses a ray:// client address, pointing at the dashboard', async () => {
    const e = await failure(() => parseRayAddress('ray://head:10001'));
    expect(e.code).toBe('REPRISE_ERR_EXECUTOR_INVALID');
    expect(e.message).toContain('--ray-address');
    expect(e.message).toContain('ray://head:10001');
    expect(`${e.message} ${e.hint}`).toMatch(/dashboard/);
    expect(`${e.message} ${e.hint}`).toContain('8265');
  });

  it('refuses malformed addresses, naming --ray-address, and never shows a password', async () => {
    for (const bad of ['', 'grpc://head:8265', 'http://head:99999', 'http://head:8265/?x=1', 'http://:8265']) {
      const e = await failure(() => parseRayAddress(bad));
      expect(e.code, bad).toBe('REPRISE_ERR_EXECUTOR_INVALID');
      expect(e.message, bad).toContain('--ray-address');
    }
    const e = await failure(() => new RayJobExecutor({ address: 'http://admin:s3cret@head:8265' }));
    expect(e.code).toBe('REPRISE_ERR_EXECUTOR_INVALID');
    expect(e.message).toContain('--ray-address');
    expect(e.message).not.toContain('s3cret');
  });
});

describe('RayJobExecutor, answers that are not Ray', () => {
  const answering = (status: number, text: string) =>
    new RayJobExecutor({ address: 'http://head:8265', fetch: (async () => new Response(text, { status })) as typeof fetch });

  it('says a non-JSON answer makes the job API unavailable', async () => {
    const e = await failure(answering(200, '<html>a login page</html>').check());
    expect(e.code).toBe('REPRISE_ERR_EXECUTOR_UNAVAILABLE');
    expect(e.message).toContain('http://head:8265');
    expect(e.message).toMatch(/JSON/);
  });

  it('says a 5xx makes it unavailable, in its last line', async () => {
    const e = await failure(answering(503, 'Traceback (most recent call last):\n  ...\nRuntimeError: GCS is down\n').status('reprise-x'));
    expect(e.code).toBe('REPRISE_ERR_EXECUTOR_UNAVAILABLE');
    expect(e.message).toContain('http://head:8265');
    expect(e.message).toContain('503');
    expect(e.message).toContain('RuntimeError: GCS is down');
  });

  it('never takes a 404 that is not Ray\'s for a lost job', async () => {
    const e = await failure(answering(404, '404: Not Found').status('reprise-x'));
    expect(e.code).toBe('REPRISE_ERR_EXECUTOR_UNAVAILABLE');
    await expect(answering(404, 'Job reprise-x does not exist').status('reprise-x')).resolves.toEqual({ state: 'lost', reason: 'Job reprise-x does not exist' });
  });

  it('says an unreachable address is unavailable at once, naming it', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const started = Date.now();
    const e = await failure(new RayJobExecutor({ address: `127.0.0.1:${port}` }).check());
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(e.code).toBe('REPRISE_ERR_EXECUTOR_UNAVAILABLE');
    expect(e.message).toContain(`http://127.0.0.1:${port}`);
    expect(e.message).toMatch(/ECONNREFUSED/);
  });
});

const missing = rayMissing();

describe.skipIf(missing !== null)(`RayJobExecutor on a real Ray cluster${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let cluster: RayCluster | undefined;
  let ray: RayJobExecutor;

  beforeAll(async () => {
    cluster = await startRayCluster();
    ray = new RayJobExecutor({ address: cluster.address });
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 120_000);

  /** Polls until the job is in one of `states`; fails with the last status seen. */
  async function waitFor(jobId: string, states: readonly ClusterJobState[], timeoutMs = 30_000): Promise<ClusterJobStatus> {
    const deadline = Date.now() + timeoutMs;
    let last: ClusterJobStatus | undefined;
    while (Date.now() < deadline) {
      last = await ray.status(jobId);
      if (states.includes(last.state)) return last;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`job ${jobId} is not ${states.join(' or ')} after ${timeoutMs} ms: ${JSON.stringify(last)}\n${await ray.logTail(jobId, 2_000)}`);
  }

  /** Ray's own details of a job, for what the port does not tell: the node it ran on. */
  async function details(jobId: string): Promise<{ driver_node_id: string | null }> {
    const res = await fetch(`${cluster!.address}/api/jobs/${jobId}`);
    return (await res.json()) as { driver_node_id: string | null };
  }

  it('checks that the job API answers', async () => {
    await expect(ray.check()).resolves.toBeUndefined();
    expect(ray.name).toBe('ray');
    expect(ray.address).toBe(cluster!.address);
  });

  it('runs the argv as given, with its environment, and reads the end of its output', async () => {
    const id = await ray.submit(
      spec('hello', ['sh', '-c', 'printf "<%s>" "$@"; echo; echo "hello $GREETING"; exit 0', 'sh', 'two words', "it's", '$HOME'], {
        env: { GREETING: "wide world's end", REPRISE_SERVER: 'http://127.0.0.1:1' },
      }),
    );
    expect(id).toBe('reprise-hello');
    expect(ray.jobIdFor('hello')).toBe(id);
    expect(await waitFor(id, ['succeeded', 'failed'])).toEqual({ state: 'succeeded', reason: null });
    const log = await ray.logTail(id, 64 * 1024);
    expect(log).toContain("<two words><it's><$HOME>");
    expect(log).toContain("hello wide world's end");
    const tail = await ray.logTail(id, 12);
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(12);
    expect(log.endsWith(tail)).toBe(true);
  });

  it('reports a failing command as failed, with its exit code', async () => {
    const id = await ray.submit(spec('exit3', ['sh', '-c', 'echo about to fail >&2; exit 3']));
    const st = await waitFor(id, ['succeeded', 'failed']);
    expect(st.state).toBe('failed');
    expect(st.reason).toMatch(/exit code 3\b/);
    expect(await ray.logTail(id, 4_096)).toContain('about to fail');
  });

  it('holds the CPUs a job asks for: 2-CPU jobs run two at a time, one on each node', async () => {
    // Each job prints when it starts and ends (ms); with 2 + 2 CPUs, no three overlap.
    const ids = await Promise.all(
      [1, 2, 3, 4].map((n) =>
        ray.submit(spec(`cpus-${n}`, ['sh', '-c', 'echo "start $(date +%s%3N)"; sleep 3; echo "end $(date +%s%3N)"'], { cpus: CPUS_PER_NODE })),
      ),
    );
    for (const id of ids) expect(await waitFor(id, ['succeeded', 'failed'], 60_000)).toEqual({ state: 'succeeded', reason: null });
    const spans = await Promise.all(
      ids.map(async (id) => {
        const log = await ray.logTail(id, 4_096);
        const at = (word: string) => Number(new RegExp(`^${word} (\\d+)$`, 'm').exec(log)?.[1]);
        return { start: at('start'), end: at('end') };
      }),
    );
    for (const s of spans) expect(s.end - s.start).toBeGreaterThanOrEqual(2_900);
    const overlapping = spans.map((s) => spans.filter((o) => o.start <= s.start && s.start < o.end).length);
    expect(Math.max(...overlapping)).toBe(2);
    const nodes = await Promise.all(ids.map(async (id) => (await details(id)).driver_node_id));
    expect(new Set(nodes)).toEqual(new Set([cluster!.headNodeId, cluster!.workerNodeId]));
  }, 90_000);

  it('leaves a job asking more CPUs, GPUs or memory than any node has pending, saying why', async () => {
    const asks: Partial<ClusterJobSpec>[] = [{ cpus: CPUS_PER_NODE + 1 }, { gpus: 1 }, { memoryBytes: 2 ** 40 }];
    const ids = await Promise.all(asks.map((ask, i) => ray.submit(spec(`too-big-${i}`, ['sh', '-c', 'echo ran'], ask))));
    await new Promise((r) => setTimeout(r, 3_000));
    for (const id of ids) {
      const st = await ray.status(id);
      expect(st.state, id).toBe('pending');
      expect(st.reason, id).toMatch(/resources/i);
      expect(await ray.logTail(id, 4_096), id).not.toContain('ran');
    }
  });

  it('stops a running job, which then fails as stopped; stopping an unknown job is no error', async () => {
    const id = await ray.submit(spec('long', ['sh', '-c', 'echo started; sleep 120']));
    await waitFor(id, ['running']);
    await ray.stop(id);
    expect(await waitFor(id, ['succeeded', 'failed', 'lost'])).toEqual({ state: 'failed', reason: 'stopped' });
    await expect(ray.stop(id)).resolves.toBeUndefined();
    await expect(ray.stop('reprise-never-submitted')).resolves.toBeUndefined();
  });

  it('says an unknown job is lost, with no log', async () => {
    const st = await ray.status('reprise-never-submitted');
    expect(st.state).toBe('lost');
    expect(st.reason).toContain('reprise-never-submitted');
    expect(await ray.logTail('reprise-never-submitted', 1_000)).toBe('');
  });

  it('returns the same job when the same run is submitted again', async () => {
    const first = await ray.submit(spec('twice', ['sh', '-c', 'echo first']));
    const again = await ray.submit(spec('twice', ['sh', '-c', 'echo second']));
    expect(again).toBe(first);
    await waitFor(first, ['succeeded']);
    const log = await ray.logTail(first, 4_096);
    expect(log).toContain('first');
    expect(log).not.toMatch(/^second$/m);
  });
});
