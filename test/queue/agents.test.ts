/**
 * The queue end to end: a real server, and `reprise agent` processes with homes of their
 * own (two "machines"), run queued work. A 20-run sweep completes each run exactly once
 * with its own params and results; a change to the checkout after submit reaches no
 * queued run; an agent killed with SIGKILL loses its run, which is retried elsewhere
 * while the other runs go on; cancel stops a run on an agent, and a queued one at once;
 * parallel runs on an agent with GPUs never share one; a report from a worker that no
 * longer holds the run is refused; every run records system metrics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { git, gitProject, REPRISE_BIN, sandbox, waitFor, yamlFor, type Sandbox } from '../helpers/cli.js';
import { api, startServer, type Api, type RunningServer } from '../helpers/server.js';

const TIMEOUT = 240_000;

/** Writes score = x * factor (factor 2 in the submitted code); with hold, waits for the release file first. */
const TRAIN_PY = `import json, os, time
p = json.load(open(os.environ["REPRISE_PARAMS"]))
factor = 2
if p.get("hold"):
    # Never left waiting for good: a test that failed before releasing it ends it here.
    deadline = time.time() + 180
    while not os.path.exists(p["release"]) and time.time() < deadline:
        time.sleep(0.1)
with open(os.environ["REPRISE_METRICS"], "a") as f:
    f.write(json.dumps({"step": 0, "score": p["x"] * factor, "k": p.get("k", 0)}) + "\\n")
gpus = os.environ.get("CUDA_VISIBLE_DEVICES")
if gpus is not None:
    with open(os.path.join(os.environ["REPRISE_OUTPUT_DIR"], "gpus.txt"), "w") as f:
        f.write(gpus)
print("done", p["x"])
`;

const PROJECT_FILES = {
  'reprise.yaml': yamlFor([{ name: 'train', cmd: 'python3 train.py' }], 'env: { system: true }\n'),
  'input.json': '{"x": 0}\n',
  'train.py': TRAIN_PY,
};

interface Agent {
  readonly name: string;
  readonly process: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

describe('the queue with agents on two machines', () => {
  let server: RunningServer;
  let client: Api;
  let root: string;
  let dir: string;
  const agents: Agent[] = [];
  const env = (home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, REPRISE_HOME: home, REPRISE_SERVER: server.url, REPRISE_SYSTEM_METRICS_INTERVAL: '0.5s', REPRISE_USER: 'tester', ...extra };
    for (const k of ['REPRISE_TEST_MODE']) delete e[k];
    return e;
  };

  /** `reprise <args>` from the project, as its user on the first machine. */
  function cli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [REPRISE_BIN, ...args], { cwd: dir, env: env(join(root, 'user-home')), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  }
  async function cliJson(args: readonly string[]): Promise<any> {
    const res = await cli([...args, '--json']);
    if (res.code !== 0) throw new Error(`reprise ${args.join(' ')} exited ${res.code}\n${res.stderr}`);
    return JSON.parse(res.stdout);
  }

  /** `reprise agent` as another machine: its own home, started in a folder without the repository. */
  function startAgent(name: string, args: readonly string[] = []): Agent {
    const home = join(root, `machine-${name}`);
    mkdirSync(home, { recursive: true });
    const child = spawn(process.execPath, [REPRISE_BIN, 'agent', '--server', server.url, '--name', name, ...args], { cwd: home, env: env(home), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stderr!.on('data', (c: Buffer) => (out = (out + c.toString('utf8')).slice(-200_000)));
    child.stdout!.resume();
    const closed = new Promise<void>((r) => child.once('close', () => r()));
    const agent: Agent = {
      name,
      process: child,
      output: () => out,
      stop: async (signal = 'SIGTERM') => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await closed;
        clearTimeout(t);
      },
    };
    agents.push(agent);
    return agent;
  }

  async function run(ref: string): Promise<any> {
    return cliJson(['show', ref]);
  }

  async function runsOfSweep(name: string): Promise<any[]> {
    return cliJson(['ls', '--sweep', name, '-n', '1000']);
  }

  let sb: Sandbox;

  beforeAll(async () => {
    sb = await sandbox();
    root = sb.root;
    server = await startServer();
    client = api(server.url);
    dir = gitProject(sb, PROJECT_FILES, 'queued-proj');
  });

  // Each test starts with no agent left from another, which would take its runs.
  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.stop()));
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop('SIGKILL')));
    await server?.stop();
    await sb.cleanup();
  });

  it('runs a 20-run sweep on two agents, each run exactly once with its own params, none touched by later edits to the checkout', { timeout: TIMEOUT }, async () => {
    const queued = await cliJson(['sweep', '--grid', 'x=1,2,3,4,5', '--grid', 'k=1,2,3,4', '--name', 'grid20']);
    expect(queued.sweep).toMatchObject({ name: 'grid20', runs: 20, description: 'grid x × k (20 runs)' });
    expect(queued.runs).toHaveLength(20);

    // Edited, committed and edited again after submit: the queued runs keep the submitted code.
    writeFileSync(join(dir, 'train.py'), TRAIN_PY.replace('factor = 2', 'factor = 3'));
    git(dir, 'commit', '-qam', 'factor 3');
    writeFileSync(join(dir, 'train.py'), TRAIN_PY.replace('factor = 2', 'factor = 5'));

    const a = startAgent('machine-a', ['--slots', '2']);
    const b = startAgent('machine-b', ['--slots', '2']);
    const done = await waitFor(
      'the sweep to finish',
      async () => {
        const runs = await runsOfSweep('grid20');
        return runs.length === 20 && runs.every((r) => !['queued', 'preparing', 'running'].includes(r.status)) ? runs : undefined;
      },
      180_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\nagent a:\n${a.output().slice(-3000)}\nagent b:\n${b.output().slice(-3000)}`);
    });

    const unhappy = await Promise.all(done.filter((r) => r.status !== 'succeeded').map((r) => run(r.id)));
    expect(unhappy.map((r) => `${r.name}: ${r.status}: ${r.failure?.message}`)).toEqual([]);
    // Exactly the 20 submitted runs, each with its own (x, k), none retried.
    expect(new Set(done.map((r) => r.id))).toEqual(new Set(queued.runs.map((r: any) => r.id)));
    const combos = done.map((r) => `${r.params.x}/${r.params.k}`);
    expect(new Set(combos).size).toBe(20);
    for (const r of done) {
      expect(r.submission).toMatchObject({ via: 'sweep', queue: 'default', attempt: 1, sweep: { name: 'grid20' } });
      expect(r.metrics.score).toBe(r.params.x * 2);
      expect(r.metrics.k).toBe(r.params.k);
    }
    // Both machines took part, and each run says where it ran.
    expect(new Set(done.map((r) => r.submission.worker.name))).toEqual(new Set(['machine-a', 'machine-b']));
    const one = await run(done[0].id);
    expect(one.manifest.execution.worker).toMatchObject({ name: done[0].submission.worker.name });
    expect(one.manifest.environment.hostname).toBeTruthy();
    // System metrics were sampled while it ran.
    expect(Object.keys(one.metrics)).toEqual(expect.arrayContaining(['system/cpu_percent', 'system/memory_used_bytes']));

    const sweeps = await cliJson(['sweeps']);
    expect(sweeps[0]).toMatchObject({ name: 'grid20', runs: 20, byStatus: { succeeded: 20 } });
    // Each run was claimed once: the server's log of claims names each id once.
    const claims = (a.output() + b.output()).match(/claimed \S+ \((\w{26})\)/g) ?? [];
    expect(claims).toHaveLength(20);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('a run whose agent is killed becomes lost and is retried on the other machine; the other runs are unaffected', { timeout: TIMEOUT }, async () => {
    const release = join(root, 'release-kill');
    const victim = startAgent('doomed', ['--slots', '1']);
    await waitFor('the doomed agent to register', async () => (await client.get('/workers')).json.workers.some((w: any) => w.name === 'doomed' && w.state === 'online'));
    const held = await cliJson(['submit', '--name', 'held', '-p', 'x=7', '-p', 'hold=true', '-p', `release=${JSON.stringify(release)}`]);
    const id = held.runs[0].id;
    await waitFor('the held run to run on doomed', async () => {
      const r = await run(id);
      return r.status === 'running' && r.submission?.worker?.name === 'doomed';
    }, 60_000);
    // Another run queued meanwhile, taken by the survivor.
    const survivor = startAgent('survivor', ['--slots', '2']);
    const other = await cliJson(['submit', '--name', 'bystander', '-p', 'x=3']);

    victim.process.kill('SIGKILL');
    const lost = await waitFor('the run to be settled as lost', async () => {
      const r = await run(id);
      return r.status === 'lost' ? r : undefined;
    }, 60_000);
    expect(lost.manifest.failure.message).toMatch(/the worker doomed that ran it .* ended without finishing it; .*queued again as held-retry1/);
    const retryId = lost.submission.retriedAs;
    expect(retryId).toMatch(/^\w{26}$/);

    writeFileSync(release, '');
    const retry = await waitFor('the retry to succeed', async () => {
      const r = await run(retryId);
      return r.status === 'succeeded' ? r : undefined;
    }, 90_000);
    expect(retry).toMatchObject({ name: 'held-retry1', submission: { via: 'retry', attempt: 2, retryOf: id, worker: { name: 'survivor' } } });
    // Submitted after the first test's edits: the checkout's code as it was then (factor 5, uncommitted).
    expect(retry.metrics.score.last).toBe(35);
    const bystander = await waitFor('the bystander to succeed', async () => {
      const r = await run(other.runs[0].id);
      return r.status === 'succeeded' ? r : undefined;
    }, 60_000);
    expect(bystander.metrics.score.last).toBe(15);
    // The lost run was never completed, and no third run was made.
    expect((await run(id)).status).toBe('lost');
    expect((await cliJson(['ls', '--filter', "name like 'held%'"])).map((r: any) => r.name).sort()).toEqual(['held', 'held-retry1']);

    // A late report from the dead worker on the run it lost is refused.
    const workerId = lost.manifest.execution.worker.worker;
    const late = await fetch(`${server.url}/api/v1/runs/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', 'x-reprise-worker': workerId },
      body: JSON.stringify({ status: 'succeeded', endedAt: Date.now() }),
    });
    expect(late.status).toBe(409);
    expect(((await late.json()) as any).error.code).toBe('REPRISE_ERR_LEASE_LOST');
    const lateMetrics = await fetch(`${server.url}/api/v1/runs/${id}/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-reprise-worker': workerId },
      body: JSON.stringify({ points: [{ key: 'score', step: 1, ts: Date.now(), value: 1 }] }),
    });
    expect(lateMetrics.status).toBe(409);
    expect((await run(id)).status).toBe('lost');
    await survivor.stop();
  });

  it('cancel stops a run on an agent, and a queued run at once', { timeout: TIMEOUT }, async () => {
    const release = join(root, 'release-cancel');
    const agent = startAgent('canceller', ['--slots', '1']);
    const held = (await cliJson(['submit', '--name', 'to-cancel', '-p', 'x=1', '-p', 'hold=true', '-p', `release=${JSON.stringify(release)}`])).runs[0];
    await waitFor('the run to run', async () => (await run(held.id)).status === 'running', 60_000);
    const waiting = (await cliJson(['submit', '--name', 'never-taken', '--queue', 'nobody'])).runs[0];

    const canceled = await cliJson(['cancel', 'to-cancel', 'never-taken']);
    expect(canceled.runs).toEqual([
      { id: held.id, name: 'to-cancel', outcome: 'stopping' },
      { id: waiting.id, name: 'never-taken', outcome: 'canceled' },
    ]);
    expect(await run(waiting.id)).toMatchObject({ status: 'canceled', failure: { message: 'canceled by tester before it started' } });
    const stopped = await waitFor('the running run to end canceled', async () => {
      const r = await run(held.id);
      return r.status === 'canceled' ? r : undefined;
    }, 30_000);
    expect(stopped.failure.message).toMatch(/canceled during stage train \(canceled on request/);
    // Nothing to do for a run that has ended.
    expect((await cliJson(['cancel', 'to-cancel'])).runs[0].outcome).toBe('finished');

    // A sweep is canceled whole.
    const sweep = await cliJson(['sweep', '--grid', 'x=1,2,3', '--queue', 'nobody', '--name', 'doomed-sweep']);
    const res = await cliJson(['cancel', '--sweep', 'doomed-sweep']);
    expect(res.sweep.counts).toEqual({ canceled: 3, stopping: 0, finished: 0 });
    expect((await runsOfSweep('doomed-sweep')).map((r) => r.status)).toEqual(['canceled', 'canceled', 'canceled']);
    expect(sweep.runs).toHaveLength(3);
    writeFileSync(release, '');
    await agent.stop();
  });

  it('cancel also stops a run started in the foreground with reprise run, and show tells how a queued run went', { timeout: TIMEOUT }, async () => {
    const release = join(root, 'release-foreground');
    const child = spawn(process.execPath, [REPRISE_BIN, 'run', '--name', 'in-a-terminal', '-p', 'x=2', '-p', 'hold=true', '-p', `release=${JSON.stringify(release)}`], {
      cwd: dir,
      env: env(join(root, 'user-home')),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
    const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    await waitFor('the foreground run to run', async () => (await cli(['show', 'in-a-terminal', '--json'])).code === 0 && (await run('in-a-terminal')).status === 'running', 60_000);
    expect((await cliJson(['cancel', 'in-a-terminal'])).runs[0].outcome).toBe('stopping');
    // Its heartbeat (every 5 s) brings the request; the command ends as a canceled run does.
    expect(await exited, err).toBe(130);
    const ended = await run('in-a-terminal');
    expect(ended.status).toBe('canceled');
    expect(ended.failure.message).toMatch(/canceled on request/);
    writeFileSync(release, '');

    // The text of show says where a queued run waited and ran.
    const shown = await cli(['show', 'grid20-3']);
    expect(shown.stdout).toMatch(/queue\n  submitted .* by tester \(sweep\) to queue default, priority 0\n  sweep     grid20 \(\w{26}\), run 3\n  attempt   1 of up to 2\n  worker    machine-[ab] on /);
  });

  it('gives parallel runs on an agent with GPUs a GPU each', { timeout: TIMEOUT }, async () => {
    const release = join(root, 'release-gpus');
    const agent = startAgent('gpu-box', ['--gpus', '0,1', '--queue', 'gpus']);
    const sweep = await cliJson(['sweep', '--queue', 'gpus', '--grid', 'x=1,2', '-p', 'hold=true', '-p', `release=${JSON.stringify(release)}`, '--name', 'gpu-pair']);
    expect(sweep.runs).toHaveLength(2);
    // Both run at once (two slots from two GPUs), each on its own GPU.
    await waitFor('both runs to run at once', async () => (await runsOfSweep('gpu-pair')).every((r) => r.status === 'running'), 60_000);
    const workers = (await client.get('/workers')).json.workers;
    expect(workers.find((w: any) => w.name === 'gpu-box')).toMatchObject({ slots: 2, gpus: ['0', '1'], state: 'online' });
    writeFileSync(release, '');
    const done = await waitFor('both to succeed', async () => {
      const runs = await runsOfSweep('gpu-pair');
      return runs.every((r) => r.status === 'succeeded') ? runs : undefined;
    }, 60_000);
    const gpus = done.map((r) => r.submission.worker.gpus);
    expect(gpus.flat().sort()).toEqual(['0', '1']);
    for (const r of done) {
      const shown = await run(r.id);
      const file = shown.artifacts.find((x: any) => x.path === 'outputs/gpus.txt');
      expect(file, JSON.stringify(shown.artifacts)).toBeTruthy();
      const text = await (await fetch(`${server.url}/api/v1/blobs/${file.sha256}`)).text();
      expect(text).toBe(r.submission.worker.gpus.join(','));
    }
    await agent.stop();
  });

  it('a pushed commit is fetched by the agent from the remote; only a commit no remote holds travels with the run', { timeout: TIMEOUT }, async () => {
    const origin = join(root, 'origin.git');
    git(root, 'init', '-q', '--bare', origin);
    git(dir, 'remote', 'add', 'origin', origin);
    git(dir, 'stash', '-q');
    git(dir, 'push', '-q', 'origin', 'HEAD:refs/heads/main');
    git(dir, 'fetch', '-q', 'origin');
    try {
      const agent = startAgent('fetcher', ['--queue', 'fetch']);
      const pushed = (await cliJson(['submit', '--queue', 'fetch', '--name', 'from-remote', '-p', 'x=4'])).runs[0];
      writeFileSync(join(dir, 'later.txt'), 'a commit only this clone has\n');
      git(dir, 'add', 'later.txt');
      git(dir, 'commit', '-qm', 'not pushed');
      const local = (await cliJson(['submit', '--queue', 'fetch', '--name', 'from-archive', '-p', 'x=5'])).runs[0];
      for (const [id, score] of [[pushed.id, 12], [local.id, 15]] as const) {
        const r = await waitFor(`run ${id} to succeed`, async () => {
          const shown = await run(id);
          return shown.status === 'succeeded' ? shown : ['failed', 'lost'].includes(shown.status) ? shown : undefined;
        }, 90_000);
        expect(r.status, JSON.stringify(r.failure)).toBe('succeeded');
        // factor 3 committed in the first test, pushed here.
        expect(r.metrics.score.last).toBe(score);
      }
      expect((await run(pushed.id)).manifest.code.archive).toBeUndefined();
      expect((await run(local.id)).manifest.code.archive).toMatchObject({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
      await agent.stop();
    } finally {
      git(dir, 'stash', 'pop', '-q');
    }
  });

  it('refuses bad queue input with the flag named, and queues nothing', { timeout: TIMEOUT }, async () => {
    const before = (await cliJson(['ls', '-n', '1000'])).length;
    const cases: [string[], RegExp][] = [
      [['submit', '--queue', 'bad queue'], /--queue "bad queue": a queue name is/],
      [['submit', '--priority', 'high'], /--priority "high": expected a whole number/],
      [['sweep', '--grid', 'x='], /--grid "x=": no values after "="/],
      [['sweep', '--grid', 'x=1', '--random', '3', '-p', 'lr=uniform(0,1)'], /choose --grid or --random/],
      [['sweep', '--random', '3', '-p', 'lr=loguniform(0,1)'], /loguniform/],
      [['agent', '--server', server.url, '--gpus', '0,0'], /--gpus "0,0": a GPU is listed twice/],
      [['cancel'], /name the runs to cancel/],
      [['cancel', '--sweep', 'no-such-sweep'], /no sweep has the id, id prefix or name "no-such-sweep"/],
    ];
    for (const [args, message] of cases) {
      const res = await cli(args);
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(2);
      expect(res.stderr).toMatch(message);
    }
    expect((await cliJson(['ls', '-n', '1000'])).length).toBe(before);
  });
});

describe('the server as a worker (reprise server --workers)', () => {
  it('runs queued runs on the server\'s machine, N at a time', { timeout: TIMEOUT }, async () => {
    const sb = await sandbox();
    const server = await startServer({ args: ['--workers', '2'], env: { REPRISE_SYSTEM_METRICS_INTERVAL: '0' } });
    try {
      const dir = gitProject(sb, PROJECT_FILES, 'served-proj');
      const userEnv = { ...sb.env, REPRISE_SERVER: server.url };
      const child = spawn(process.execPath, [REPRISE_BIN, 'sweep', '--grid', 'x=1,2,3', '--name', 'served', '--json'], { cwd: dir, env: userEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
      await new Promise((r) => child.once('close', r));
      const ids: string[] = JSON.parse(out).runs.map((r: any) => r.id);
      const client = api(server.url);
      const done = await waitFor('the served sweep to finish', async () => {
        const runs = await Promise.all(ids.map(async (id) => (await client.get(`/runs/${id}`)).json.run));
        return runs.every((r) => r.status === 'succeeded') ? runs : undefined;
      }, 120_000);
      for (const r of done) {
        expect(r.manifest.execution.worker.name).toMatch(/\(server\)$/);
        expect(r.manifest.outputs.metrics.score.last).toBe(r.manifest.params.values.x * 2);
      }
      const workers = (await client.get('/workers')).json.workers;
      expect(workers).toEqual([expect.objectContaining({ kind: 'server', slots: 2, state: 'online', queues: ['default'] })]);
    } finally {
      await server.stop();
      await sb.cleanup();
    }
  });
});
