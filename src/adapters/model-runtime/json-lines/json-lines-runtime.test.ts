/**
 * @module adapters/model-runtime/json-lines/json-lines-runtime.test
 * JSON-lines models as real Python processes: a worker script whose first input says what
 * it does (answer, answer late, fail, crash, hang, print noise, say its pid), and scripts
 * that never start. Checks what callers rely on: answers matched by id whatever their
 * order, the protocol enforced, failed workers replaced, load shared, stop draining.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RepriseError } from '../../../core/errors.js';
import type { JsonLinesModelSpec, ModelInstance, Prediction } from '../../../ports/model-runtime.js';
import { JsonLinesRuntime } from './json-lines-runtime.js';

const dir = mkdtempSync(join(tmpdir(), 'reprise-json-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Numbers are doubled; "pid" is the worker's pid. A first input of "crash", "hang", "error",
 * "mismatch" or "noise" does that; {"sleep": s, "x": v} answers v after s seconds (other
 * requests are answered meanwhile); {"after": id} is answered right after request `id`.
 */
const WORKER = `
import json, os, sys, threading, time

out = threading.Lock()
held = {}

def send(obj):
    with out:
        sys.stdout.write(json.dumps(obj) + "\\n")
        sys.stdout.flush()

def value(x):
    if x == "pid":
        return os.getpid()
    return x * 2 if isinstance(x, (int, float)) else x

def handle(req):
    rid, inputs = req["id"], req["inputs"]
    first = inputs[0] if inputs else None
    if rid == "reprise-health":
        send({"id": rid, "outputs": []})
    elif first == "crash":
        sys.stderr.write("crashing on purpose\\n")
        sys.stderr.flush()
        os._exit(3)
    elif first == "hang":
        pass
    elif first == "error":
        send({"id": rid, "error": "cannot score " + json.dumps(inputs[1:])})
    elif first == "mismatch":
        send({"id": rid, "outputs": [0] * (len(inputs) + 1)})
    elif first == "noise":
        with out:
            sys.stdout.write("loading tokenizer\\n{not json\\n" + json.dumps({"id": 5}) + "\\n" + json.dumps([1, 2]) + "\\n")
            sys.stdout.flush()
        send({"id": rid, "outputs": ["quiet"] * len(inputs)})
    elif isinstance(first, dict) and "sleep" in first:
        time.sleep(first["sleep"])
        send({"id": rid, "outputs": [value(first.get("x"))] + [value(x) for x in inputs[1:]]})
    else:
        send({"id": rid, "outputs": [value(x) for x in inputs]})
    for later in held.pop(rid, []):
        handle(later)

sys.stderr.write("worker %d ready\\n" % os.getpid())
sys.stderr.flush()
for line in sys.stdin:
    req = json.loads(line)
    first = req["inputs"][0] if req["inputs"] else None
    if isinstance(first, dict) and "after" in first:
        held.setdefault(first["after"], []).append({"id": req["id"], "inputs": [first["x"]]})
    elif isinstance(first, dict) and "sleep" in first:
        threading.Thread(target=handle, args=(req,), daemon=True).start()
    else:
        handle(req)
`;

const workerScript = join(dir, 'worker.py');
writeFileSync(workerScript, WORKER);

const runtime = new JsonLinesRuntime();
const started: ModelInstance[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((m) => m.stop(0)));
});

function spec(over: Partial<JsonLinesModelSpec> = {}): JsonLinesModelSpec {
  return {
    kind: 'json-lines',
    cmd: `python3 -u ${workerScript}`,
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    workers: 1,
    timeoutMs: 20_000,
    startTimeoutMs: 20_000,
    ...over,
  };
}

async function start(over: Partial<JsonLinesModelSpec> = {}): Promise<ModelInstance> {
  const model = await runtime.start(spec(over));
  started.push(model);
  return model;
}

function outputsOf(p: Prediction): unknown[] {
  if ('error' in p) throw new Error(`expected outputs, got error: ${p.error}`);
  return p.outputs;
}

async function pidOf(model: ModelInstance, id = 'pid'): Promise<number> {
  return outputsOf(await model.predict(id, ['pid']))[0] as number;
}

/** Whether a process runs (a zombie no one reaped yet does not). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Waits for a process to be gone: a signal is delivered, not waited for. */
async function ended(pid: number): Promise<boolean> {
  await eventually(async () => {
    if (alive(pid)) throw new Error(`process ${pid} still runs`);
  }, 10_000).catch(() => undefined);
  return !alive(pid);
}

/** Retries until `f` succeeds: a replaced worker takes a moment to come up. */
async function eventually<T>(f: () => Promise<T>, withinMs = 20_000): Promise<T> {
  const end = Date.now() + withinMs;
  for (;;) {
    try {
      return await f();
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The error a request fails with (handled at once: it may fail before the test awaits it). */
function failureOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (v) => new Error(`expected a failure, got ${JSON.stringify(v)}`),
    (e: unknown) => e,
  );
}

function isServingFailure(pattern: RegExp): (e: unknown) => boolean {
  return (e: unknown) => e instanceof RepriseError && e.code === 'REPRISE_ERR_MODEL_SERVING_FAILED' && pattern.test(e.message);
}

describe('JsonLinesRuntime', () => {
  it('answers requests, matching answers to requests whatever their order', async () => {
    const model = await start();
    expect(model.describe).toBe('json-lines (1 worker)');
    expect(await model.predict('a', [1, 2.5, -3])).toEqual({ outputs: [2, 5, -6] });
    // Many at once, answered in order.
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => model.predict(`m${i}`, [i])));
    expect(many).toEqual(Array.from({ length: 20 }, (_, i) => ({ outputs: [2 * i] })));
    // "first" is answered only after "second".
    const settled: string[] = [];
    const first = model.predict('first', [{ after: 'second', x: 10 }]).then((p) => (settled.push('first'), p));
    expect(model.inFlight()).toBe(1);
    const second = model.predict('second', [7]).then((p) => (settled.push('second'), p));
    expect(await Promise.all([first, second])).toEqual([{ outputs: [20] }, { outputs: [14] }]);
    expect(settled).toEqual(['second', 'first']);
    // An id reused while the first is in flight still gets its own answer.
    const slow = model.predict('same', [{ sleep: 0.3, x: 1 }]);
    const fast = model.predict('same', [2]);
    expect(await Promise.all([slow, fast])).toEqual([{ outputs: [2] }, { outputs: [4] }]);
    expect(model.inFlight()).toBe(0);
  });

  it('passes error answers on, and fails answers whose outputs do not match the inputs', async () => {
    const model = await start();
    expect(await model.predict('e', ['error', 'x'])).toEqual({ error: 'cannot score ["x"]' });
    await expect(model.predict('m', ['mismatch', 1])).rejects.toSatisfy(isServingFailure(/answered request "m" with 3 outputs for 2 inputs/));
    expect(await model.predict('ok', [4])).toEqual({ outputs: [8] });
  });

  it('sends stdout lines that are not answers, and stderr, to the log', async () => {
    const logs: Array<[number, string]> = [];
    const model = await start({ onLog: (worker, line) => logs.push([worker, line]) });
    expect(await model.predict('n', ['noise', 'again'])).toEqual({ outputs: ['quiet', 'quiet'] });
    const lines = logs.map(([, line]) => line);
    expect(lines).toEqual(expect.arrayContaining(['loading tokenizer', '{not json', '{"id": 5}', '[1, 2]']));
    expect(lines.some((l) => /^worker \d+ ready$/.test(l))).toBe(true);
    expect(logs.every(([worker]) => worker === 0)).toBe(true);
  });

  it('fails the requests of a worker that crashes and answers the next with a new worker', async () => {
    const model = await start();
    const before = await pidOf(model);
    const other = failureOf(model.predict('other', [{ sleep: 30, x: 1 }]));
    await expect(model.predict('boom', ['crash'])).rejects.toSatisfy(
      (e: unknown) =>
        isServingFailure(/worker 0 exited with code 3 while answering request "boom"[\s\S]*crashing on purpose/)(e) &&
        (e as RepriseError).details?.exitCode === 3 &&
        ((e as RepriseError).details?.stderr as string[]).includes('crashing on purpose'),
    );
    expect(await other).toSatisfy(isServingFailure(/exited with code 3 while answering request "other"/));
    const after = await eventually(() => pidOf(model, 'after'));
    expect(after).not.toBe(before);
    expect(await ended(before)).toBe(true);
    expect(await model.predict('still', [5])).toEqual({ outputs: [10] });
  });

  it('refuses requests at once while no worker is up, and keeps restarting', async () => {
    const script = join(dir, 'once.py');
    const flag = join(dir, 'once.flag');
    const starts = join(dir, 'once.starts');
    // Serves the first time; every later start fails.
    writeFileSync(
      script,
      [
        'import os, sys',
        `open(${JSON.stringify(starts)}, "a").write("start\\n")`,
        'try:',
        `    os.close(os.open(${JSON.stringify(flag)}, os.O_CREAT | os.O_EXCL))`,
        'except FileExistsError:',
        '    sys.stderr.write("license server unreachable\\n")',
        '    sys.exit(6)',
        `exec(open(${JSON.stringify(workerScript)}).read())`,
        '',
      ].join('\n'),
    );
    const model = await start({ cmd: `python3 -u ${script}` });
    await expect(model.predict('boom', ['crash'])).rejects.toSatisfy(isServingFailure(/exited with code 3/));
    await expect(model.predict('next', [1])).rejects.toSatisfy(isServingFailure(/no model worker is up to answer request "next"/));
    // The failed restarts are what later requests are told.
    await eventually(async () => {
      await expect(model.predict('later', [1])).rejects.toSatisfy(isServingFailure(/no model worker is up[\s\S]*license server unreachable/));
      expect(readFileSync(starts, 'utf8').split('\n').filter((l) => l).length).toBeGreaterThanOrEqual(3);
    });
  });

  it('times out a hung request, restarting its worker', async () => {
    const model = await start({ timeoutMs: 1000 });
    const before = await pidOf(model);
    const stuck = model.predict('stuck', ['hang']);
    const other = failureOf(model.predict('other', [{ sleep: 30, x: 1 }]));
    await expect(stuck).rejects.toSatisfy(isServingFailure(/did not answer request "stuck" within 1000 ms; the worker is restarted/));
    expect(await other).toSatisfy(isServingFailure(/restarted, another request having hung, while answering request "other"/));
    const after = await eventually(() => pidOf(model, 'after'));
    expect(after).not.toBe(before);
    expect(await ended(before)).toBe(true);
  });

  it('fails to start when the command exits, with its stderr and exit code', async () => {
    const script = join(dir, 'exits.py');
    writeFileSync(script, 'import sys\nsys.stderr.write("Traceback (most recent call last):\\nFileNotFoundError: model.pkl\\n")\nsys.exit(4)\n');
    await expect(runtime.start(spec({ cmd: `python3 ${script}` }))).rejects.toSatisfy(
      (e: unknown) =>
        isServingFailure(/worker 0 exited with code 4 before answering its health request[\s\S]*FileNotFoundError: model.pkl/)(e) &&
        (e as RepriseError).details?.exitCode === 4,
    );
  });

  it('fails to start in a folder that does not exist, naming it', async () => {
    const missing = join(dir, 'no-such-folder');
    await expect(runtime.start(spec({ cwd: missing }))).rejects.toSatisfy(isServingFailure(new RegExp(`worker 0 could not start \\(cannot start /bin/sh in ${missing}`)));
  });

  it('fails to start when the command never answers its health request, and ends it', async () => {
    const pidFile = join(dir, 'silent.pid');
    // What it leaves running in the background is ended with it.
    const cmd = `echo "loading weights from /models/big.bin" >&2; sleep 600 & echo $! > ${pidFile}; wait`;
    await expect(runtime.start(spec({ cmd, startTimeoutMs: 3000 }))).rejects.toSatisfy(
      isServingFailure(/worker 0 did not answer its health request within 3000 ms[\s\S]*loading weights from \/models\/big.bin/),
    );
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(pid).toBeGreaterThan(0);
    expect(await ended(pid)).toBe(true);
  });

  it('ends the workers that started when another does not', async () => {
    const script = join(dir, 'one-of-two.py');
    const flag = join(dir, 'one-of-two.flag');
    const pidFile = join(dir, 'one-of-two.pid');
    // The first worker to start takes the flag and serves; the other fails once the first is up.
    writeFileSync(
      script,
      [
        'import os, sys, time',
        'try:',
        `    os.close(os.open(${JSON.stringify(flag)}, os.O_CREAT | os.O_EXCL))`,
        'except FileExistsError:',
        `    while not os.path.exists(${JSON.stringify(pidFile)}):`,
        '        time.sleep(0.05)',
        '    sys.stderr.write("GPU 0 is taken\\n")',
        '    sys.exit(5)',
        `open(${JSON.stringify(pidFile)} + ".tmp", "w").write(str(os.getpid()))`,
        `os.rename(${JSON.stringify(pidFile)} + ".tmp", ${JSON.stringify(pidFile)})`,
        `exec(open(${JSON.stringify(workerScript)}).read())`,
        '',
      ].join('\n'),
    );
    await expect(runtime.start(spec({ cmd: `python3 -u ${script}`, workers: 2 }))).rejects.toSatisfy(
      isServingFailure(/exited with code 5 before answering its health request[\s\S]*GPU 0 is taken/),
    );
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(pid).toBeGreaterThan(0);
    expect(await ended(pid)).toBe(true);
  });

  it('shares requests between workers', async () => {
    const model = await start({ workers: 2 });
    expect(model.describe).toBe('json-lines (2 workers)');
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => model.predict(`p${i}`, [{ sleep: 0.2, x: 'pid' }])));
    const pids = new Set(answers.map((a) => outputsOf(a)[0]));
    expect(pids.size).toBe(2);
    // One at a time, they take turns.
    const sequential = new Set<number>();
    for (let i = 0; i < 4; i++) sequential.add(await pidOf(model, `s${i}`));
    expect(sequential).toEqual(pids);
  });

  it('stops once the requests in flight are answered, refusing new ones', async () => {
    const model = await runtime.start(spec());
    const pid = await pidOf(model);
    const slow = model.predict('slow', [{ sleep: 0.5, x: 21 }]);
    const stopped = model.stop();
    await expect(model.predict('late', [1])).rejects.toSatisfy(isServingFailure(/stopping or stopped; request "late" was not accepted/));
    expect(await slow).toEqual({ outputs: [42] });
    await stopped;
    expect(await ended(pid)).toBe(true);
  });

  it('ends requests still in flight once the grace has passed', async () => {
    const model = await runtime.start(spec());
    const pid = await pidOf(model);
    const stuck = failureOf(model.predict('stuck', ['hang']));
    await model.stop(200);
    expect(await stuck).toSatisfy(isServingFailure(/while answering request "stuck"/));
    expect(await ended(pid)).toBe(true);
  });
});
