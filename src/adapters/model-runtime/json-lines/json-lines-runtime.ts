/**
 * @module adapters/model-runtime/json-lines/json-lines-runtime
 * Models served by a command of their own project (any framework, any language) speaking
 * JSON lines: each worker is `/bin/sh -c cmd`, the leader of its own process group, reading
 * one request a line on stdin, `{"id": "...", "inputs": [...]}`, and writing one answer a
 * line on stdout, `{"id": "...", "outputs": [...]}` (one output per input) or
 * `{"id": "...", "error": "..."}`, in any order. Any other stdout line is the model's own
 * printing and goes to the log, as stderr does.
 *
 * Workers are numbered from 0. A request goes to the worker with the fewest requests in
 * flight. A worker that exits, or holds a request past the timeout (it is then taken as
 * hung and ended), fails the requests it held and is started again after a backoff that
 * grows while it keeps failing; while no worker is up, requests fail at once.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { bug, RepriseError } from '../../../core/errors.js';
import type { JsonLinesModelSpec, ModelInstance, ModelRuntime, ModelSpec, Prediction } from '../../../ports/model-runtime.js';

/** The id of the request each worker must answer before it takes others. */
export const HEALTH_ID = 'reprise-health';
/** Lines of a worker's stderr kept for messages. */
const STDERR_TAIL_LINES = 20;
/** Characters of one stderr line kept: a line can be a whole tensor printed. */
const STDERR_LINE_CHARS = 2000;
/** How long a worker has between SIGTERM and SIGKILL. */
const KILL_AFTER_MS = 3000;
/** How long the pipes of an exited worker may stay open (held by something it left behind). */
const DRAIN_MS = 1000;
/** Waits before restarting a worker, by how many times in a row it failed. */
const RESTART_DELAYS_MS = [250, 1000, 2000, 5000, 10_000, 20_000];
/** A worker up this long before it fails has its backoff start again. */
const HEALTHY_AFTER_MS = 60_000;

export class JsonLinesRuntime implements ModelRuntime {
  async start(spec: ModelSpec): Promise<ModelInstance> {
    if (spec.kind !== 'json-lines') throw bug(`JsonLinesRuntime was given a model of kind ${spec.kind}`);
    if (!Number.isInteger(spec.workers) || spec.workers < 1) throw bug(`a JSON-lines model needs at least one worker, not ${spec.workers}`);
    const instance = new JsonLinesInstance(spec);
    await instance.boot();
    return instance;
  }
}

/** How a worker process ended. */
interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Why it could not be started at all. */
  readonly error?: string;
}

/** A request written to a worker and not answered yet. */
interface Pending {
  /** The caller's id (the line carries it, or it with a counter when the caller reused it). */
  readonly id: string;
  readonly health: boolean;
  readonly resolve: (answer: Record<string, unknown>) => void;
  readonly reject: (e: RepriseError) => void;
  readonly timer: NodeJS.Timeout;
}

/** One process of a worker slot: its pipes, its requests in flight, the end of its stderr. */
class WorkerProcess {
  readonly exited: Promise<WorkerExit>;
  /** Called once when a request passes its timeout: the process is hung. */
  onHung: () => void = () => undefined;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<string, Pending>();
  private readonly tail: string[] = [];
  private exit: WorkerExit | undefined;
  /** Set as soon as the process is gone, before its pipes are drained and its requests failed. */
  private exitSeen = false;
  private seq = 0;

  constructor(
    readonly index: number,
    private readonly spec: JsonLinesModelSpec,
  ) {
    this.child = spawn('/bin/sh', ['-c', spec.cmd], { cwd: spec.cwd, env: spec.env, detached: true, stdio: 'pipe' });
    // Writing to a worker that just died fails with EPIPE; its exit says why, for every request it held.
    this.child.stdin.on('error', () => undefined);
    createInterface({ input: this.child.stdout, crlfDelay: Infinity }).on('line', (line) => this.onStdout(line));
    createInterface({ input: this.child.stderr, crlfDelay: Infinity }).on('line', (line) => {
      this.tail.push(line.length > STDERR_LINE_CHARS ? `${line.slice(0, STDERR_LINE_CHARS)}…` : line);
      if (this.tail.length > STDERR_TAIL_LINES) this.tail.shift();
      this.log(line);
    });
    this.exited = new Promise((resolve) => {
      const finish = (exit: WorkerExit): void => {
        if (this.exit) return;
        this.exit = exit;
        // What the worker left running in its group goes with it.
        this.signal('SIGKILL');
        for (const [wireId, p] of [...this.pending]) {
          this.settle(wireId);
          p.reject(this.exitError(exit, p));
        }
        resolve(exit);
      };
      this.child.once('error', (e) => {
        if (this.child.pid === undefined) finish({ code: null, signal: null, error: `cannot start /bin/sh in ${spec.cwd}: ${e.message}` });
      });
      this.child.once('exit', (code, signal) => {
        this.exitSeen = true;
        // Its last stderr lines are read once the pipes close, unless something it left behind holds them.
        const timer = setTimeout(() => {
          this.child.stdout.destroy();
          this.child.stderr.destroy();
          finish({ code, signal });
        }, DRAIN_MS);
        this.child.once('close', () => {
          clearTimeout(timer);
          finish({ code, signal });
        });
      });
    });
  }

  /** Whether the process still runs, so a request written to it can be answered. */
  get running(): boolean {
    return !this.exitSeen && this.exit === undefined;
  }

  /** Requests written and not answered yet. */
  inFlightCount(): number {
    return this.pending.size;
  }

  /** Writes a request; resolves with the answer line's object. */
  request(id: string, inputs: readonly unknown[], timeoutMs: number, health = false): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      if (this.exit) {
        reject(this.exitError(this.exit, { id, health }));
        return;
      }
      // Answers are matched by id: one the caller reuses while in flight gets a counter in front.
      let wireId = id;
      while (this.pending.has(wireId)) wireId = `${++this.seq}:${id}`;
      const line = `${JSON.stringify({ id: wireId, inputs })}\n`;
      const timer = setTimeout(() => this.timedOut(wireId, timeoutMs), timeoutMs);
      this.pending.set(wireId, { id, health, resolve, reject, timer });
      this.child.stdin.write(line);
    });
  }

  /** Fails every request in flight (the process is being replaced). */
  failAll(error: (p: { id: string; health: boolean }) => RepriseError): void {
    for (const [wireId, p] of [...this.pending]) {
      this.settle(wireId);
      p.reject(error(p));
    }
  }

  /** Closes its stdin, then SIGTERM to its group, SIGKILL after a grace; resolves once it exited. */
  async terminate(): Promise<WorkerExit> {
    if (!this.exit) {
      this.child.stdin.end();
      this.signal('SIGTERM');
      const timer = setTimeout(() => this.signal('SIGKILL'), KILL_AFTER_MS);
      try {
        await this.exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return this.exited;
  }

  /** The last lines of its stderr. */
  stderrTail(): string[] {
    return [...this.tail];
  }

  /** How it ended, in words: `exited with code 1`, `was killed by SIGKILL`. */
  static describeExit(exit: WorkerExit): string {
    if (exit.error) return `could not start (${exit.error})`;
    if (exit.signal) return `was killed by ${exit.signal}`;
    return `exited with code ${exit.code ?? 'unknown'}`;
  }

  private exitError(exit: WorkerExit, p: { id: string; health: boolean }): RepriseError {
    const what = p.health ? 'before answering its health request' : `while answering request ${JSON.stringify(p.id)}`;
    return this.failure(`model worker ${this.index} ${WorkerProcess.describeExit(exit)} ${what}`, {
      ...(p.health ? {} : { request: p.id }),
      exitCode: exit.code,
      signal: exit.signal,
    });
  }

  /** MODEL_SERVING_FAILED with the end of this worker's stderr, in the message and the details. */
  failure(message: string, details: Record<string, unknown> = {}, hint?: string): RepriseError {
    const stderr = this.stderrTail();
    const text = stderr.length ? `${message}; its stderr ended with:\n${stderr.join('\n')}` : `${message}; it wrote nothing on stderr`;
    return new RepriseError('REPRISE_ERR_MODEL_SERVING_FAILED', text, {
      details: { worker: this.index, cmd: this.spec.cmd, cwd: this.spec.cwd, ...details, stderr },
      ...(hint ? { hint } : {}),
    });
  }

  private timedOut(wireId: string, timeoutMs: number): void {
    const p = this.pending.get(wireId);
    if (!p) return;
    this.settle(wireId);
    if (p.health) {
      p.reject(
        this.failure(`model worker ${this.index} did not answer its health request within ${timeoutMs} ms`, { timeoutMs }, 'The command must answer each line of stdin with a line on stdout carrying the same id, and flush it: Python buffers stdout unless told print(..., flush=True) or PYTHONUNBUFFERED=1.'),
      );
    } else {
      p.reject(this.failure(`model worker ${this.index} did not answer request ${JSON.stringify(p.id)} within ${timeoutMs} ms; the worker is restarted`, { request: p.id, timeoutMs }));
    }
    this.onHung();
  }

  private onStdout(line: string): void {
    const answer = parseAnswer(line);
    const p = answer && this.pending.get(answer.id as string);
    if (!answer || !p) {
      this.log(line);
      return;
    }
    this.settle(answer.id as string);
    p.resolve(answer);
  }

  private settle(wireId: string): void {
    const p = this.pending.get(wireId);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(wireId);
  }

  private log(line: string): void {
    try {
      this.spec.onLog?.(this.index, line);
    } catch {
      // A failing log sink must not take the worker down.
    }
  }

  private signal(sig: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, sig);
    } catch {
      // The group is already gone.
    }
  }
}

/** A stdout line as an answer: an object with a string id; null for anything else. */
function parseAnswer(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { id?: unknown }).id === 'string') {
      return value as Record<string, unknown>;
    }
  } catch {
    // Not JSON: the model printing something.
  }
  return null;
}

/** A worker position: the process filling it now, replaced when it fails. */
interface Slot {
  readonly index: number;
  proc: WorkerProcess | undefined;
  state: 'starting' | 'up' | 'down';
  upSince: number | undefined;
  /** Failures in a row, for the backoff. */
  failures: number;
  restartTimer: NodeJS.Timeout | undefined;
  /** Why it last failed, for requests refused while no worker is up. */
  lastFailure: string | undefined;
}

class JsonLinesInstance implements ModelInstance {
  readonly describe: string;
  private readonly slots: Slot[];
  private closed = false;
  private stopping: Promise<void> | undefined;
  private accepted = 0;
  private readonly idle: Array<() => void> = [];
  /** Where the search for the least busy worker starts, so ties take turns. */
  private cursor = 0;

  constructor(private readonly spec: JsonLinesModelSpec) {
    this.describe = `json-lines (${spec.workers} worker${spec.workers === 1 ? '' : 's'})`;
    this.slots = Array.from({ length: spec.workers }, (_, index) => ({
      index,
      proc: undefined,
      state: 'down',
      upSince: undefined,
      failures: 0,
      restartTimer: undefined,
      lastFailure: undefined,
    }));
  }

  /** Starts every worker; if one does not answer its health request, all are ended and that is the error. */
  async boot(): Promise<void> {
    try {
      await Promise.all(this.slots.map((slot) => this.launch(slot)));
    } catch (e) {
      this.closed = true;
      for (const slot of this.slots) clearTimeout(slot.restartTimer);
      await this.endAll();
      throw e;
    }
  }

  inFlight(): number {
    return this.accepted;
  }

  async predict(id: string, inputs: readonly unknown[]): Promise<Prediction> {
    if (this.closed) {
      throw new RepriseError('REPRISE_ERR_MODEL_SERVING_FAILED', `the model is stopping or stopped; request ${JSON.stringify(id)} was not accepted`, { details: { request: id } });
    }
    const slot = this.leastBusy();
    const proc = slot?.proc;
    if (!proc) {
      const why = this.slots.map((s) => s.lastFailure).find((f) => f !== undefined);
      throw new RepriseError('REPRISE_ERR_MODEL_SERVING_FAILED', `no model worker is up to answer request ${JSON.stringify(id)} (${this.describe}; restarting)${why ? `: ${why}` : ''}`, {
        details: { request: id, cmd: this.spec.cmd },
      });
    }
    this.accepted++;
    try {
      const answer = await proc.request(id, inputs, this.spec.timeoutMs);
      return predictionOf(proc, id, inputs.length, answer);
    } finally {
      this.accepted--;
      if (this.accepted === 0) for (const wake of this.idle.splice(0)) wake();
    }
  }

  stop(graceMs = 10_000): Promise<void> {
    this.stopping ??= (async () => {
      this.closed = true;
      for (const slot of this.slots) clearTimeout(slot.restartTimer);
      if (this.accepted > 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          this.idle.push(resolve);
          timer = setTimeout(resolve, graceMs);
        });
        clearTimeout(timer);
      }
      await this.endAll();
    })();
    return this.stopping;
  }

  /** The up worker with the fewest requests in flight; ties take turns. */
  private leastBusy(): Slot | undefined {
    let best: Slot | undefined;
    let bestLoad = Infinity;
    const n = this.slots.length;
    for (let k = 0; k < n; k++) {
      const slot = this.slots[(this.cursor + k) % n]!;
      if (slot.state !== 'up' || !slot.proc?.running) continue;
      const load = slot.proc.inFlightCount();
      if (load < bestLoad) {
        best = slot;
        bestLoad = load;
      }
    }
    if (best) this.cursor = (best.index + 1) % n;
    return best;
  }

  /** Starts a process in a slot and waits for its health answer. */
  private async launch(slot: Slot): Promise<void> {
    const proc = new WorkerProcess(slot.index, this.spec);
    slot.proc = proc;
    slot.state = 'starting';
    slot.upSince = undefined;
    proc.onHung = () => this.hung(slot, proc);
    void proc.exited.then((exit) => this.exited(slot, proc, exit));
    try {
      await proc.request(HEALTH_ID, [], this.spec.startTimeoutMs, true);
    } catch (e) {
      slot.lastFailure = (e as Error).message;
      // Ended if it still runs; its exit schedules the next try.
      void proc.terminate();
      throw e;
    }
    if (slot.proc === proc && !this.closed) {
      slot.state = 'up';
      slot.upSince = Date.now();
    }
  }

  /** A request passed its timeout: the worker is ended, the others it held fail now, and it is started again. */
  private hung(slot: Slot, proc: WorkerProcess): void {
    if (slot.proc !== proc) return;
    slot.state = 'down';
    slot.lastFailure = `model worker ${slot.index} hung (a request passed ${this.spec.timeoutMs} ms)`;
    proc.failAll((p) =>
      proc.failure(
        p.health
          ? `model worker ${slot.index} was restarted before answering its health request`
          : `model worker ${slot.index} was restarted, another request having hung, while answering request ${JSON.stringify(p.id)}`,
        p.health ? {} : { request: p.id },
      ),
    );
    void proc.terminate();
  }

  private exited(slot: Slot, proc: WorkerProcess, exit: WorkerExit): void {
    if (slot.proc !== proc) return;
    if (slot.upSince !== undefined && Date.now() - slot.upSince >= HEALTHY_AFTER_MS) slot.failures = 0;
    slot.failures++;
    // A worker that failed to start, or hung, has its reason already.
    if (slot.state === 'up') slot.lastFailure = `model worker ${slot.index} ${WorkerProcess.describeExit(exit)}`;
    slot.state = 'down';
    slot.upSince = undefined;
    if (this.closed) return;
    const delay = RESTART_DELAYS_MS[Math.min(slot.failures, RESTART_DELAYS_MS.length) - 1]!;
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (this.closed) return;
      this.launch(slot).catch(() => undefined);
    }, delay);
  }

  private async endAll(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.proc?.terminate()));
  }
}

/** A worker's answer as a prediction; an answer that breaks the protocol is a failure. */
function predictionOf(proc: WorkerProcess, id: string, count: number, answer: Record<string, unknown>): Prediction {
  const { outputs, error } = answer;
  if (typeof error === 'string' && error !== '') return { error };
  if (Array.isArray(outputs)) {
    if (outputs.length !== count) {
      throw proc.failure(`model worker ${proc.index} answered request ${JSON.stringify(id)} with ${outputs.length} outputs for ${count} inputs`, {
        request: id,
        inputs: count,
        outputs: outputs.length,
      });
    }
    return { outputs };
  }
  throw proc.failure(`model worker ${proc.index} answered request ${JSON.stringify(id)} with neither an "outputs" array nor an "error" string`, { request: id });
}
