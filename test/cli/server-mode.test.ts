/**
 * What only exists through a server: clients on other homes sharing its runs, following a
 * run's logs through it, a run that outlives a server crash and restart without losing or
 * repeating a metric point, and the errors of a REPRISE_SERVER that is wrong or away.
 *
 * These tests run in the `server` project only: in the `embedded` project there is no
 * server to share, follow through, kill or miss.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitProject, restartServer, reprise, repriseJson, sandbox, SERVER_MODE, startReprise, waitFor, type Sandbox } from '../helpers/cli.js';

/** A port on which nothing listens: one the system just gave out and took back. */
function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePromise(port));
    });
  });
}

/** Python that waits for a file to exist (at most a minute, so a failed test never leaves it waiting). */
const waitForFile = (path: string): string =>
  `deadline = time.time() + 60\nwhile not os.path.exists(${JSON.stringify(path)}):\n    if time.time() > deadline: sys.exit("gave up waiting for ${path}")\n    time.sleep(0.05)\n`;

/** Collects a started process's output; `closed` resolves to its exit code. */
function collect(child: ReturnType<typeof startReprise>): { out: () => string; err: () => string; closed: Promise<number | null> } {
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const closed = new Promise<number | null>((r) => child.once('close', r));
  return { out: () => out, err: () => err, closed };
}

// Server mode only: each of these is about the server itself (sharing it, following through it, losing it).
describe.skipIf(!SERVER_MODE)('through a server', () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = await sandbox();
  });
  afterEach(() => sb.cleanup());

  it('a run made by one client is seen the same by a client with another home', async () => {
    const dir = gitProject(sb, {
      'reprise.yaml': 'name: shared\nparams: input.json\nstages:\n  - { name: train, cmd: python train.py }\n',
      'input.json': '{"lr": 0.1}',
      'train.py': 'import json, os\nwith open(os.environ["REPRISE_METRICS"], "a") as m:\n    for s in range(3): m.write(json.dumps({"step": s, "loss": 1 / (s + 1)}) + "\\n")\nopen(os.path.join(os.environ["REPRISE_OUTPUT_DIR"], "out.txt"), "w").write("out\\n")\nprint("trained")\n',
    });
    const res = await reprise(sb, dir, ['run', '--name', 'shared-run', '-p', 'lr=0.5']);
    expect(res.code, res.stderr).toBe(0);

    const otherHome = join(sb.root, 'other-home');
    const other = { REPRISE_HOME: otherHome };
    const listedHere = await repriseJson<any[]>(sb, dir, ['ls']);
    const listedThere = await reprise(sb, sb.root, ['ls', '--json'], other);
    expect(listedThere.code, listedThere.stderr).toBe(0);
    expect(listedHere).toHaveLength(1);
    expect(JSON.parse(listedThere.stdout)).toEqual(listedHere);

    const shownHere = await repriseJson(sb, dir, ['show', 'shared-run']);
    const shownThere = await reprise(sb, sb.root, ['show', 'shared-run', '--json'], other);
    expect(shownThere.code, shownThere.stderr).toBe(0);
    expect(JSON.parse(shownThere.stdout)).toEqual(shownHere);
    expect(shownHere).toMatchObject({ name: 'shared-run', status: 'succeeded', params: { lr: 0.5 } });
    expect(shownHere.metrics.loss).toMatchObject({ count: 3, last: 1 / 3 });
    expect(shownHere.artifacts.map((a: any) => a.path)).toEqual(['outputs/out.txt']);

    // Logs and metrics too, and the text forms.
    for (const args of [['logs', 'shared-run'], ['metrics', 'shared-run', 'loss', '--json'], ['show', 'shared-run'], ['ls']]) {
      const here = await reprise(sb, dir, args);
      const there = await reprise(sb, sb.root, args, other);
      expect(here.code, here.stderr).toBe(0);
      expect(there.code, there.stderr).toBe(0);
      expect(there.stdout, args.join(' ')).toBe(here.stdout);
    }
    expect((await reprise(sb, dir, ['logs', 'shared-run'])).stdout).toBe('[train] trained\n');
    // The other client's home holds no store of its own: the runs are the server's.
    expect(existsSync(join(otherHome, 'reprise.db'))).toBe(false);
    expect(existsSync(join(sb.home, 'reprise.db'))).toBe(false);
    expect(existsSync(join(sb.storeHome, 'reprise.db'))).toBe(true);
    // The live copies of the run's logs the server kept are gone once they are blobs.
    expect(existsSync(join(sb.storeHome, 'runs', shownHere.id))).toBe(false);
  });

  it('logs --follow prints a running stage\'s lines while it runs, and ends with the run', async () => {
    const gate = join(sb.root, 'gate');
    const dir = gitProject(sb, {
      'reprise.yaml': 'name: follow\nstages:\n  - { name: a, cmd: python slow.py }\n  - { name: b, cmd: echo done-b }\n',
      // One line, then a pause the test ends once the follower has shown that line, then more.
      'slow.py': `import os, sys, time\nprint("first", flush=True)\n${waitForFile(gate)}time.sleep(0.3)\nprint("second", flush=True)\ntime.sleep(0.3)\nprint("third", flush=True)\n`,
    });
    const run = collect(startReprise(sb, dir, ['run', '--name', 'followed']));
    await waitFor('the stage to print its first line', () => run.out().includes('[a] first') || undefined);

    const follower = collect(startReprise(sb, dir, ['logs', 'followed', '--follow']));
    await waitFor('the follower to print the first line', () => follower.out().includes('[a] first') || undefined);
    // The stage is still running, waiting for the test: the line came while it ran.
    expect((await repriseJson(sb, dir, ['show', 'followed'])).status).toBe('running');
    expect(follower.out()).not.toContain('second');
    writeFileSync(gate, '');

    expect(await run.closed, run.err()).toBe(0);
    expect(await follower.closed, follower.err()).toBe(0);
    expect(follower.out().trim().split('\n')).toEqual(['[a] first', '[a] second', '[a] third', '[b] done-b']);
    expect((await repriseJson(sb, dir, ['show', 'followed'])).status).toBe('succeeded');
  });

  it('a run outlives a server killed and restarted on the same port: every metric point once, and it succeeds', async () => {
    const half = join(sb.root, 'quarter-written');
    const killed = join(sb.root, 'killed');
    const written = join(sb.root, 'all-written');
    const finish = join(sb.root, 'finish');
    // 200 points over about 4 s. After 50 the stage waits until the server is killed, so
    // the other 150 are written while it is away; at the end it waits until the test has
    // brought the server back.
    const dir = gitProject(sb, {
      'reprise.yaml': 'name: crash\nstages:\n  - { name: train, cmd: python train.py }\n  - { name: after, cmd: echo after }\n',
      'train.py': [
        'import json, os, sys, time',
        'with open(os.environ["REPRISE_METRICS"], "a") as m:',
        '    for step in range(200):',
        '        if step == 50:',
        `            open(${JSON.stringify(half)}, "w").close()`,
        ...waitForFile(killed).trimEnd().split('\n').map((l) => `            ${l}`),
        '        m.write(json.dumps({"step": step, "loss": step * 0.5, "acc": 1 - step / 1000}) + "\\n")',
        '        m.flush()',
        '        time.sleep(0.02)',
        `open(${JSON.stringify(written)}, "w").close()`,
        waitForFile(finish),
        'print("done", flush=True)',
      ].join('\n'),
    });
    const runner = collect(startReprise(sb, dir, ['run', '--name', 'survivor'], { REPRISE_SERVER_PATIENCE: '60s' }));
    await waitFor('the stage to write 50 points', () => existsSync(half) || undefined, 30_000);
    // The server gets the points as they come.
    await waitFor('the server to hold some points', async () => {
      const res = await reprise(sb, dir, ['metrics', 'survivor', 'loss', '--json']);
      return (res.code === 0 && JSON.parse(res.stdout).points.length > 0) || undefined;
    }, 30_000);
    const first = sb.server!;
    // Killed as a crash would in the middle of the series; it stays away until every point
    // is written, then a replacement starts on the same port with the same home.
    const replacement = await restartServer(sb, {
      signal: 'SIGKILL',
      whileDown: async () => {
        writeFileSync(killed, '');
        await waitFor('the stage to write every point', () => existsSync(written) || undefined, 60_000);
      },
    });
    expect(first.exited).toBe(true);
    expect(replacement.url).toBe(first.url);
    expect(replacement.home).toBe(first.home);
    writeFileSync(finish, '');

    expect(await runner.closed, runner.err()).toBe(0);
    expect(runner.out()).toContain('[train] done');
    // The runner noticed the server was away, waited for it, and dropped nothing.
    expect(runner.err()).toContain(`the server at ${first.url} does not answer`);
    expect(runner.err()).toContain(`the server at ${first.url} answers again`);
    expect(runner.err()).not.toContain('was not delivered');
    const run = await repriseJson(sb, dir, ['show', 'survivor']);
    expect(run.status).toBe('succeeded');
    expect(run.manifest.execution.stages.map((s: any) => s.status)).toEqual(['succeeded', 'succeeded']);
    for (const [key, value] of [['loss', (s: number) => s * 0.5], ['acc', (s: number) => 1 - s / 1000]] as const) {
      const series = await repriseJson(sb, dir, ['metrics', 'survivor', key]);
      expect(series.total).toBe(200);
      expect(series.downsampled).toBe(false);
      expect(series.points.map((p: any) => [p.step, p.value])).toEqual(Array.from({ length: 200 }, (_, s) => [s, value(s)]));
    }
    expect(run.metrics.loss).toEqual({ last: 99.5, lastStep: 199, lastTs: expect.any(Number), min: 0, max: 99.5, count: 200 });
    // What waited in the outbox was delivered, and the outbox file is gone.
    const outbox = join(sb.home, 'outbox');
    expect(existsSync(outbox) ? readdirSync(outbox) : []).toEqual([]);
  });

  it('a server that does not answer: ls exits 69 with REPRISE_ERR_SERVER_UNREACHABLE, run starts nothing', async () => {
    const marker = join(sb.root, 'stage-ran');
    const dir = gitProject(sb, {
      'reprise.yaml': `name: away\nstages:\n  - { name: a, cmd: ${JSON.stringify(`touch ${marker}`)} }\n`,
    });
    const nobody = { REPRISE_SERVER: `http://127.0.0.1:${await freePort()}` };
    const ls = await reprise(sb, dir, ['ls'], nobody);
    expect(ls.code).toBe(69);
    expect(ls.stderr).toContain('REPRISE_ERR_SERVER_UNREACHABLE');
    expect(ls.stderr).toContain(nobody.REPRISE_SERVER);

    const run = await reprise(sb, dir, ['run'], nobody);
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    expect(run.stderr).toContain('REPRISE_ERR_SERVER_UNREACHABLE');
    expect(run.stdout).not.toContain('[a]');
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(sb.home, 'runs')) ? readdirSync(join(sb.home, 'runs')) : []).toEqual([]);
    // Nothing reached the sandbox's own server either.
    expect(await repriseJson<any[]>(sb, dir, ['ls'])).toEqual([]);
  });

  it('REPRISE_SERVER that is not an http(s) URL is refused with REPRISE_ERR_SERVER_URL_INVALID, exit 2', async () => {
    const dir = gitProject(sb, { 'reprise.yaml': 'name: url\nstages:\n  - { name: a, cmd: "true" }\n' });
    for (const args of [['ls'], ['run']]) {
      const res = await reprise(sb, dir, args, { REPRISE_SERVER: 'ftp://x' });
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr).toContain('REPRISE_ERR_SERVER_URL_INVALID');
      expect(res.stderr).toContain('ftp://x');
    }
    expect(await repriseJson<any[]>(sb, dir, ['ls'])).toEqual([]);
  });
});
