/**
 * How runs end when the process driving them does not finish normally: SIGKILL leaves a
 * run `lost` (never `running` forever); Ctrl-C cancels it, ends the stage's whole
 * process group and keeps what was logged. Also following logs while a run is live.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitProject, reprise, repriseJson, sandbox, startReprise, waitFor, type Sandbox } from '../helpers/cli.js';

const SLOW = `
import os, subprocess, sys, time
child = subprocess.Popen(["sleep", "60"])
open(os.path.join(os.environ["REPRISE_OUTPUT_DIR"], "..", "child.pid"), "w").write(str(child.pid))
print("started", flush=True)
print("to stderr", file=sys.stderr, flush=True)
for i in range(600):
    print(f"tick {i}", flush=True)
    time.sleep(0.1)
`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('run lifecycle', () => {
  let sb: Sandbox;
  let dir: string;
  beforeAll(async () => {
    sb = await sandbox();
    dir = gitProject(sb, {
      'reprise.yaml': 'name: life\nstages:\n  - { name: slow, cmd: python slow.py }\n  - { name: after, cmd: echo after }\n',
      'slow.py': SLOW,
      'quick.py': 'import time\nfor i in range(5):\n    print(f"line {i}", flush=True)\n    time.sleep(0.2)\n',
    });
  });
  afterAll(() => sb.cleanup());

  it('shows a run whose reprise process was SIGKILLed as lost, with the reason', async () => {
    const child = startReprise(sb, dir, ['run', '--name', 'killed']);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    await waitFor('the stage to start', () => out.includes('[slow] started') || undefined);
    const running = await repriseJson(sb, dir, ['show', 'killed']);
    expect(running.status).toBe('running');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    const lost = await repriseJson(sb, dir, ['show', 'killed']);
    expect(lost.status).toBe('lost');
    expect(lost.failure.message).toContain(`pid ${child.pid}`);
    expect(lost.failure.stage).toBe('slow');
    expect((await repriseJson<any[]>(sb, dir, ['ls', '--status', 'running']))).toEqual([]);
    // What the stage logged before the kill can still be read.
    const logs = await reprise(sb, dir, ['logs', 'killed']);
    expect(logs.stdout).toContain('[slow] started');
    const pid = Number(readFileSync(join(sb.home, 'runs', lost.id, 'child.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
  });

  it('cancels on Ctrl-C: the stage and its children end, logs are kept, exit 130', async () => {
    const child = startReprise(sb, dir, ['run', '--name', 'interrupted', '--keep-workspace']);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    await waitFor('the stage to start', () => out.includes('tick 2') || undefined);
    const running = await repriseJson(sb, dir, ['show', 'interrupted']);
    const pid = Number(readFileSync(join(sb.home, 'runs', running.id, 'child.pid'), 'utf8'));
    expect(alive(pid)).toBe(true);
    child.kill('SIGINT');
    const code = await new Promise((r) => child.once('close', r));
    expect(code).toBe(130);
    await waitFor('the grandchild to end', () => !alive(pid) || undefined, 10_000);
    const run = await repriseJson(sb, dir, ['show', 'interrupted']);
    expect(run.status).toBe('canceled');
    expect(run.manifest.execution.stages.map((s: any) => s.status)).toEqual(['canceled', 'skipped']);
    const logs = await reprise(sb, dir, ['logs', 'interrupted', '--stage', 'slow']);
    expect(logs.stdout).toContain('started\n');
    expect(logs.stdout).toContain('tick 2\n');
  });

  it('follows a live run\'s logs until it ends', async () => {
    const quick = gitProject(sb, { 'reprise.yaml': 'name: q\nstages:\n  - { name: a, cmd: python quick.py }\n  - { name: b, cmd: echo done-b }\n', 'quick.py': 'import time\nfor i in range(6):\n    print(f"line {i}", flush=True)\n    time.sleep(0.25)\n' }, 'quick');
    const child = startReprise(sb, quick, ['run', '--name', 'followed']);
    const closed = new Promise((r) => child.once('close', r));
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    await waitFor('the stage to start', () => out.includes('line 0') || undefined);
    const follow = await reprise(sb, quick, ['logs', 'followed', '--follow']);
    await closed;
    expect(follow.code).toBe(0);
    const lines = follow.stdout.trim().split('\n');
    expect(lines).toEqual([...Array.from({ length: 6 }, (_, i) => `[a] line ${i}`), '[b] done-b']);
  });
});
