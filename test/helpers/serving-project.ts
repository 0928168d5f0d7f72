/**
 * @module test/helpers/serving-project
 * What the serving tests share: a `reprise serve` process started on a free port and
 * stopped for sure, predictions and feedback posted to it, and a small drift project
 * (a lake table of seeded rows, a stage that writes a threshold model, a JSON-lines
 * `serve.py`) whose training distribution the test can draw from again.
 */
import type { ChildProcess } from 'node:child_process';
import { startReprise, type Sandbox } from './cli.js';
import { seededRandom } from '../../src/core/seeded-random.js';

/** How long `reprise serve` may take to print where it listens (a version's environment may be built first). */
const SERVE_START_TIMEOUT_MS = 90_000;
/** How long it may take to drain and stop on SIGTERM before it is killed. */
const SERVE_STOP_GRACE_MS = 15_000;

export interface ServeProcess {
  /** `http://127.0.0.1:<port>`, as printed. */
  readonly url: string;
  /** The `serving ...` lines printed once it listened. */
  readonly servingLines: string[];
  readonly process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then SIGKILL after a grace period; resolves once it exited. */
  stop(): Promise<void>;
}

/** Starts `reprise serve <args> --port 0` and resolves once it printed every target's `serving` line. */
export function startServe(sb: Sandbox, cwd: string, targets: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const child = startReprise(sb, cwd, ['serve', ...targets, '--port', '0'], env);
  let stdout = '';
  let stderr = '';
  let exited = false;
  const closed = new Promise<void>((r) => child.once('close', () => r()));
  child.once('exit', () => (exited = true));
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-262_144)));
  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), SERVE_STOP_GRACE_MS);
    await closed;
    clearTimeout(timer);
  };
  return new Promise<ServeProcess>((resolve, reject) => {
    const fail = (why: string): void => {
      clearInterval(poll);
      clearTimeout(timer);
      void stop().then(() => reject(new Error(`reprise serve ${targets.join(' ')} ${why}\nstdout:\n${stdout}\nstderr:\n${stderr}`)));
    };
    const timer = setTimeout(() => fail(`did not start within ${SERVE_START_TIMEOUT_MS / 1000} s`), SERVE_START_TIMEOUT_MS);
    const poll = setInterval(() => {
      const listening = /listening on (http:\/\/\S+)/.exec(stdout);
      const lines = stdout.split('\n').filter((l) => l.startsWith('serving '));
      if (listening && lines.length >= targets.length) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve({ url: listening[1]!, servingLines: lines, process: child, stdout: () => stdout, stderr: () => stderr, stop });
      } else if (exited) fail('exited before it listened');
    }, 50);
  });
}

export interface HttpAnswer<T = any> {
  readonly status: number;
  readonly body: T;
}

/** POSTs JSON to a path of `url`; the answer's body parsed. */
export async function postJson<T = any>(url: string, path: string, body: unknown): Promise<HttpAnswer<T>> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

export function predictPath(model: string, alias: string): string {
  return `/api/v1/models/${encodeURIComponent(model)}/${encodeURIComponent(alias)}/predict`;
}

export function feedbackPath(model: string, alias: string): string {
  return `/api/v1/models/${encodeURIComponent(model)}/${encodeURIComponent(alias)}/feedback`;
}

export const COLORS = ['red', 'green', 'blue'] as const;

export interface DriftRow {
  readonly x1: number;
  readonly x2: number;
  readonly color: string;
}

/** Rows of the training distribution: x1, x2 ~ N(0, 1), color one of three at 50/30/20 %; `shiftX2` added to x2. */
export function drawRows(random: ReturnType<typeof seededRandom>, n: number, shiftX2 = 0): DriftRow[] {
  const rows: DriftRow[] = [];
  for (let i = 0; i < n; i++) {
    const u = random.uniform();
    rows.push({ x1: random.normal(), x2: random.normal() + shiftX2, color: u < 0.5 ? 'red' : u < 0.8 ? 'green' : 'blue' });
  }
  return rows;
}

/** What the drift project's model answers for a row: 1 where x1 > 0. */
export function scorerLabel(row: DriftRow): number {
  return row.x1 > 0 ? 1 : 0;
}

/** The training table as CSV: `n` seeded rows with their label. */
export function trainingCsv(seed: number, n: number): string {
  const rows = drawRows(seededRandom(seed), n);
  return `x1,x2,color,label\n${rows.map((r) => `${r.x1},${r.x2},${r.color},${scorerLabel(r)}`).join('\n')}\n`;
}

/** Reads the pinned training snapshot and writes the threshold model the data implies. */
const TRAIN_PY = `import csv, json, os
with open(os.environ["REPRISE_DATA_TRAIN"]) as f:
    rows = list(csv.DictReader(f))
positive = [float(r["x1"]) for r in rows if r["label"] == "1"]
with open(os.environ["REPRISE_METRICS"], "a") as f:
    f.write(json.dumps({"step": 1, "rows": len(rows)}) + "\\n")
with open(os.path.join(os.environ["REPRISE_MODEL_DIR"], "model.json"), "w") as f:
    json.dump({"feature": "x1", "threshold": 0.0, "rows": len(rows), "positive": len(positive)}, f)
`;

/** Answers JSON lines: each row an object with x1, x2 and color; the output the label. */
const SERVE_PY = `import json, math, os, sys
model = json.load(open(os.path.join(os.environ["REPRISE_MODEL_DIR"], "model.json")))

def label(i, row):
    if not isinstance(row, dict) or any(k not in row for k in ("x1", "x2", "color")):
        raise ValueError("row %d: expected an object with x1, x2 and color" % i)
    x = float(row[model["feature"]])
    if not math.isfinite(x):
        raise ValueError("row %d: x1 must be a finite number" % i)
    return 1 if x > model["threshold"] else 0

for line in sys.stdin:
    if not line.strip():
        continue
    request = json.loads(line)
    try:
        answer = {"id": request.get("id"), "outputs": [label(i, r) for i, r in enumerate(request["inputs"])]}
    except (TypeError, ValueError) as e:
        answer = {"id": request.get("id"), "error": str(e)}
    sys.stdout.write(json.dumps(answer) + "\\n")
    sys.stdout.flush()
`;

/** The drift project's files: the lake's `train` table as its data, the model `scorer`. */
export const DRIFT_PROJECT: Record<string, string> = {
  'reprise.yaml': [
    'name: drift-proj',
    'env: { system: true }',
    'data:',
    '  train:',
    '    query: SELECT * FROM train',
    '    format: csv',
    'stages:',
    '  - { name: train, cmd: python train.py }',
    'model: { name: scorer }',
    'serve: { cmd: python serve.py, data: train, target: label }',
    '',
  ].join('\n'),
  'train.py': TRAIN_PY,
  'serve.py': SERVE_PY,
};
