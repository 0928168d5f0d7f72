/**
 * Serving promoted models and watching them in production, end to end through the real
 * `reprise` command: the iris example served over JSON lines answers as its own
 * `predict.py` does offline; runs that are not versions are refused; the served version
 * follows its alias under steady load without a failed request, and a new version that
 * fails to start leaves the old one serving with an alert saying why; a feature shifted in
 * production raises a drift alert (and tells a webhook) while the training distribution
 * raises none; and an ONNX model answers without any Python on the PATH.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleProject, git, gitProject, REPO_ROOT, reprise, repriseJson, sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { linearPredict, writeLinearOnnxModel } from '../helpers/onnx-model.js';
import {
  drawRows,
  DRIFT_PROJECT,
  feedbackPath,
  postJson,
  predictPath,
  scorerLabel,
  startServe,
  trainingCsv,
  type DriftRow,
  type ServeProcess,
} from '../helpers/serving-project.js';
import { seededRandom } from '../../src/core/seeded-random.js';

const RUN_TIMEOUT = 120_000;
/** Aliases are read every 200 ms and closed windows looked for every 300 ms, so the tests wait little. */
const SERVE_ENV = { REPRISE_SERVE_POLL_MS: '200', REPRISE_MONITOR_TICK_MS: '300', REPRISE_USER: 'alice' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('reprise serve: the iris example', () => {
  let sb: Sandbox;
  let dir: string;
  let first: any;
  let second: any;
  let serve: ServeProcess | undefined;

  beforeAll(async () => {
    sb = await sandbox();
    dir = exampleProject(sb, 'iris');
    for (const [name, lr] of [['first', 0.3], ['second', 0.2]] as const) {
      const res = await reprise(sb, dir, ['run', '--name', name, '-p', 'epochs=30', '-p', `optim.lr=${lr}`]);
      expect(res.code, res.stderr).toBe(0);
    }
    [first, second] = await Promise.all(['first', 'second'].map((n) => repriseJson(sb, dir, ['show', n])));
    expect([first.gate.status, second.gate.status]).toEqual(['passed', 'passed']);
    const promoted = await repriseJson(sb, dir, ['promote', first.id]);
    expect(promoted).toMatchObject({ model: 'iris-classifier', version: 1, aliases: ['candidate'] });
  }, 2 * RUN_TIMEOUT);
  afterAll(async () => {
    await serve?.stop();
    await sb?.cleanup();
  });

  it('answers as the version predicts offline, and refuses a bad row naming it', { timeout: RUN_TIMEOUT }, async () => {
    serve = await startServe(sb, dir, ['iris-classifier@candidate'], SERVE_ENV);
    expect(serve.servingLines).toEqual([
      `serving iris-classifier@candidate (version 1, json-lines (2 workers)): POST ${serve.url}${predictPath('iris-classifier', 'candidate')}`,
    ]);

    // 20 rows spread over the three species.
    const lines = readFileSync(join(REPO_ROOT, 'examples', 'iris', 'data', 'iris.csv'), 'utf8').trim().split('\n').slice(1);
    const rows = lines.filter((_, i) => i % 7 === 3).slice(0, 20).map((l) => l.split(',').slice(0, 4).map(Number));
    expect(rows).toHaveLength(20);
    const answer = await postJson(serve.url, predictPath('iris-classifier', 'candidate'), { inputs: rows, id: 'iris-20' });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({ id: 'iris-20', model: 'iris-classifier', alias: 'candidate', version: 1 });
    expect(answer.body.outputs).toHaveLength(20);

    // The same version fetched from the store, predicted by the example's own predict.py.
    const modelDir = join(sb.root, 'iris-v1');
    const got = await reprise(sb, dir, ['models', 'get', 'iris-classifier@1', '-o', modelDir]);
    expect(got.code, got.stderr).toBe(0);
    const script = [
      'import json, sys',
      `sys.path.insert(0, ${JSON.stringify(modelDir)})`,
      `sys.path.insert(0, ${JSON.stringify(dir)})`,
      'import predict',
      `model = predict.load_model(${JSON.stringify(join(modelDir, 'model.json'))})`,
      'out = []',
      'for row in json.loads(sys.stdin.read()):',
      '    label, probs = predict.predict(model, row)',
      '    out.append({"label": label, "probabilities": probs})',
      'print(json.dumps(out))',
    ].join('\n');
    const offline = spawnSync('python3', ['-c', script], { input: JSON.stringify(rows), encoding: 'utf8' });
    expect(offline.status, offline.stderr).toBe(0);
    const expected = JSON.parse(offline.stdout) as { label: string; probabilities: Record<string, number> }[];
    expect(new Set(expected.map((e) => e.label)).size).toBe(3);
    answer.body.outputs.forEach((o: any, i: number) => {
      expect(o.label, `row ${i}`).toBe(expected[i]!.label);
      expect(Object.keys(o.probabilities).sort()).toEqual(Object.keys(expected[i]!.probabilities).sort());
      for (const [k, p] of Object.entries(expected[i]!.probabilities)) expect(Math.abs(o.probabilities[k] - p), `row ${i} ${k}`).toBeLessThanOrEqual(1e-12);
    });

    const bad = await postJson(serve.url, predictPath('iris-classifier', 'candidate'), { inputs: [rows[0], [1, 2, 3]] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('REPRISE_ERR_PREDICTION_INVALID');
    expect(bad.body.error.message).toContain('row 1');
    expect(bad.body.error.message).toContain('needs 4 values');

    // Both requests were counted, the refused one as an error. The iris example reads a CSV, not a
    // data snapshot, so there is nothing to measure drift against, and its health says so.
    const summary = await waitFor('the two requests counted', async () => {
      const [m] = await repriseJson(sb, dir, ['production']);
      return m?.lastHour.requests === 2 ? m : undefined;
    });
    expect(summary).toMatchObject({ model: 'iris-classifier', projects: ['iris'], health: 'unprofiled', lastHour: { requests: 2, errors: 1 } });
    expect(summary.words).toContain('version 1 has no reference profile: run first read no data snapshot');
  });

  it('refuses a run that was not promoted, an alias that does not exist and a bare model name', { timeout: RUN_TIMEOUT }, async () => {
    const run = await reprise(sb, dir, ['serve', second.id, '--port', '0'], SERVE_ENV);
    expect(run.code, run.stdout).toBe(2);
    expect(run.stderr).toContain('is not promoted');
    expect(run.stderr).toContain(second.id);
    expect(run.stdout).not.toContain('listening');

    const alias = await reprise(sb, dir, ['serve', 'iris-classifier@nope', '--port', '0'], SERVE_ENV);
    expect(alias.code, alias.stdout).toBe(2);
    expect(alias.stderr).toContain('nope');
    expect(alias.stdout).not.toContain('listening');

    const bare = await reprise(sb, dir, ['serve', 'iris-classifier', '--port', '0'], SERVE_ENV);
    expect(bare.code, bare.stdout).toBe(2);
    expect(bare.stderr).toContain('NAME@ALIAS');
    expect(bare.stdout).not.toContain('listening');
  });

  it('moves to the version the alias points at under steady load, without a failed request', { timeout: RUN_TIMEOUT }, async () => {
    expect(serve, 'the first test started reprise serve').toBeDefined();
    const s = serve!;
    const path = predictPath('iris-classifier', 'candidate');
    const seen: { status: number; version: number | null; error?: string }[][] = [[], [], [], []];
    let consecutiveV2 = 0;
    let stop = false;
    const loop = async (mine: (typeof seen)[number]): Promise<void> => {
      while (!stop) {
        try {
          const a = await postJson(s.url, path, { inputs: [[5.9, 3.0, 5.1, 1.8]] });
          mine.push({ status: a.status, version: a.body?.version ?? null, ...(a.status !== 200 ? { error: JSON.stringify(a.body) } : {}) });
          consecutiveV2 = a.status === 200 && a.body.version === 2 ? consecutiveV2 + 1 : 0;
        } catch (e) {
          mine.push({ status: 0, version: null, error: String(e) });
          consecutiveV2 = 0;
        }
      }
    };
    const loops = seen.map((mine) => loop(mine));
    try {
      await sleep(1_000);
      const promoted = await repriseJson(sb, dir, ['promote', second.id]);
      expect(promoted).toMatchObject({ version: 2, aliases: ['candidate'] });
      await waitFor('30 answers in a row from version 2', () => consecutiveV2 >= 30, 60_000);
    } finally {
      stop = true;
      await Promise.all(loops);
    }
    const failures = seen.flat().filter((a) => a.status !== 200);
    expect(failures, JSON.stringify(failures.slice(0, 5))).toEqual([]);
    for (const [i, mine] of seen.entries()) {
      expect(mine[0]?.version, `loop ${i} started on version 1`).toBe(1);
      const firstV2 = mine.findIndex((a) => a.version === 2);
      const versions = [...new Set(mine.map((a) => a.version))];
      expect(versions.every((v) => v === 1 || v === 2), `loop ${i}: ${versions}`).toBe(true);
      // Once a loop was answered by version 2, version 1 never answered it again.
      if (firstV2 >= 0) expect(mine.slice(firstV2).filter((a) => a.version !== 2), `loop ${i}`).toEqual([]);
    }
    expect(seen.flat().some((a) => a.version === 2)).toBe(true);
    await waitFor('the switch said in stderr', () => s.stderr().includes('iris-classifier@candidate: version 2 serves'), 10_000);
  });

  it('keeps the old version serving when the new one fails to start, says why and raises an alert', { timeout: 2 * RUN_TIMEOUT }, async () => {
    const s = serve!;
    // A commit whose serve.py dies at start: its run trains and passes as before.
    const servePy = join(dir, 'serve.py');
    writeFileSync(servePy, `import sys\nsys.stderr.write("model server broken on purpose\\n")\nsys.exit(3)\n${readFileSync(servePy, 'utf8')}`);
    git(dir, 'commit', '-qam', 'break serve.py');
    const run = await reprise(sb, dir, ['run', '--name', 'broken', '-p', 'epochs=30']);
    expect(run.code, run.stderr).toBe(0);
    const promoted = await repriseJson(sb, dir, ['promote', 'broken']);
    expect(promoted).toMatchObject({ version: 3, aliases: ['candidate'] });
    await waitFor('the failed start said in stderr', () => s.stderr().includes('version 3 did not start, version 2 keeps serving'), 60_000);
    expect(s.stderr()).toContain('model server broken on purpose');
    for (let i = 0; i < 5; i++) {
      const a = await postJson(s.url, predictPath('iris-classifier', 'candidate'), { inputs: [[5.9, 3.0, 5.1, 1.8]] });
      expect(a.status, JSON.stringify(a.body)).toBe(200);
      expect(a.body.version).toBe(2);
    }
    const alerts = await repriseJson<any[]>(sb, dir, ['alerts', '--model', 'iris-classifier']);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'serving', subject: 'candidate', version: 3 });
    expect(alerts[0].message).toContain('model server broken on purpose');
  });
});

describe('drift in production: windows scored against the training data, alerts and webhooks', () => {
  let sb: Sandbox;
  let dir: string;
  let serve: ServeProcess | undefined;
  let hookServer: Server;
  let hookUrl: string;
  const hooks: any[] = [];
  const WINDOW_MS = 2_000;

  beforeAll(async () => {
    hookServer = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        try {
          hooks.push({ path: req.url, body: JSON.parse(body) });
        } catch {
          hooks.push({ path: req.url, body });
        }
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', () => r()));
    hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`;
    sb = await sandbox();
    dir = gitProject(sb, DRIFT_PROJECT, 'drift');
  });
  afterAll(async () => {
    await serve?.stop();
    await new Promise<void>((r) => hookServer?.close(() => r()));
    await sb?.cleanup();
  });

  it('profiles the training data at promotion, stays quiet on it, and alerts on the shifted feature alone', { timeout: 150_000 }, async () => {
    const csv = join(sb.root, 'train.csv');
    writeFileSync(csv, trainingCsv(11, 2_000));
    const appended = await repriseJson(sb, dir, ['data', 'append', 'train', csv]);
    expect(appended.commit.rows).toBe(2_000);
    const run = await reprise(sb, dir, ['run', '--name', 'scorer-1']);
    expect(run.code, run.stderr).toBe(0);
    const promoted = await repriseJson(sb, dir, ['promote', 'scorer-1']);
    expect(promoted).toMatchObject({ model: 'scorer', version: 1, aliases: ['candidate'] });
    const settings = await repriseJson(sb, dir, ['models', 'monitor', 'scorer', '--window', '2s', '--min-rows', '50', '--webhook', hookUrl]);
    expect(settings).toMatchObject({ windowMs: WINDOW_MS, minRows: 50, webhooks: [hookUrl] });

    serve = await startServe(sb, dir, ['scorer@candidate'], SERVE_ENV);
    expect(serve.servingLines[0]).toContain('serving scorer@candidate (version 1, json-lines (1 worker))');
    const s = serve;

    const random = seededRandom(99);
    const path = predictPath('scorer', 'candidate');
    /** Sends batches from the first window boundary on, for `windows` whole windows; returns that span and the answers. */
    const phase = async (shiftX2: number, windows: number, feedbackAfterMs?: number) => {
      await sleep(WINDOW_MS - (Date.now() % WINDOW_MS) + 50);
      const start = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS;
      const end = start + windows * WINDOW_MS;
      const answers: { id: string; rows: DriftRow[]; outputs: number[] }[] = [];
      let feedback = 0;
      let n = 0;
      while (Date.now() < end - 50) {
        const rows = drawRows(random, 25, shiftX2);
        const id = `shift${shiftX2}-${n++}`;
        const a = await postJson(s.url, path, { id, inputs: rows });
        expect(a.status, JSON.stringify(a.body)).toBe(200);
        expect(a.body.outputs).toEqual(rows.map(scorerLabel));
        answers.push({ id, rows, outputs: a.body.outputs });
        if (feedbackAfterMs !== undefined && feedback === 0 && Date.now() - start > feedbackAfterMs) {
          // The first requests of the window are stored by now: their ground truth arrives before the window closes.
          for (const earlier of answers.slice(0, 5)) {
            const f = await postJson(s.url, feedbackPath('scorer', 'candidate'), { id: earlier.id, truth: earlier.rows.map(scorerLabel) });
            expect(f.status, JSON.stringify(f.body)).toBe(200);
            if (f.body.recorded) feedback++;
          }
        }
        await sleep(15);
      }
      return { start, end, answers, feedback };
    };
    const windowsUpTo = (end: number) =>
      waitFor(`the windows up to ${new Date(end).toISOString()} scored`, async () => {
        const p = await repriseJson(sb, dir, ['production', 'scorer']);
        return p.windows.some((w: any) => w.end >= end) ? p : undefined;
      }, 30_000);

    // Phase A: the training distribution, three windows.
    const a = await phase(0, 3);
    const pageA = await windowsUpTo(a.end);
    // The reference is the training snapshot the run read, its target column kept apart.
    expect(pageA.reference).toMatchObject({ version: 1, error: null, target: 'label' });
    expect(Object.fromEntries(pageA.reference.features.map((f: any) => [f.name, f.kind]))).toEqual({ x1: 'number', x2: 'number', color: 'category' });
    const scoredA = (pageA.windows as any[]).filter((w) => w.start >= a.start && w.end <= a.end);
    expect(scoredA.map((w) => w.start)).toEqual([a.start, a.start + WINDOW_MS, a.start + 2 * WINDOW_MS]);
    for (const w of scoredA) {
      expect(w.skipped, JSON.stringify(w)).toBeNull();
      expect(w.rows).toBeGreaterThanOrEqual(50);
      expect(w.features.map((f: any) => f.feature).sort()).toEqual(['color', 'x1', 'x2']);
      expect(w.features.filter((f: any) => f.drifted), JSON.stringify(w.features)).toEqual([]);
    }
    // Every sampled row of the phase is in its window, the last moments' too.
    expect(scoredA.reduce((sum, w) => sum + w.rows, 0)).toBe(a.answers.length * 25);
    expect(await repriseJson(sb, dir, ['alerts'])).toEqual([]);
    expect(hooks).toEqual([]);

    // Phase B: x2 moved by three standard deviations, the rest as trained; some ground truth comes back.
    const b = await phase(3, 3, 1_300);
    expect(b.feedback).toBeGreaterThan(0);
    const scoredB = ((await windowsUpTo(b.end)).windows as any[]).filter((w) => w.start >= b.start && w.end <= b.end);
    expect(scoredB).toHaveLength(3);
    expect(scoredB.reduce((sum, w) => sum + w.rows, 0)).toBe(b.answers.length * 25);
    for (const w of scoredB) {
      expect(w.skipped, JSON.stringify(w)).toBeNull();
      expect(w.features.filter((f: any) => f.drifted).map((f: any) => f.feature), JSON.stringify(w.features)).toEqual(['x2']);
    }
    expect(scoredB[0].live.labelled).toBeGreaterThan(0);
    // A 0/1 target: whole-number labels get accuracy beside the mean absolute error; the model was right on every row.
    expect(scoredB[0].live).toMatchObject({ accuracy: 1, meanAbsoluteError: 0 });

    const alerts = await repriseJson<any[]>(sb, dir, ['alerts']);
    const drift = alerts.filter((x) => x.kind === 'drift');
    expect(drift.length, JSON.stringify(alerts)).toBeGreaterThan(0);
    expect(new Set(drift.map((x) => x.subject))).toEqual(new Set(['x2']));
    expect(alerts.filter((x) => ['x1', 'color'].includes(x.subject))).toEqual([]);
    expect(drift[0]).toMatchObject({ model: 'scorer', version: 1, ackedAt: null });
    expect(drift[0].message).toContain('feature x2 drifted');

    const hook = await waitFor('the webhook told of the drift', () => hooks.find((h) => h.body?.alert?.subject === 'x2'), 10_000);
    expect(hook.path).toBe('/hook');
    expect(hook.body.text).toContain('x2');
    expect(hook.body.alert).toMatchObject({ kind: 'drift', model: 'scorer', subject: 'x2' });
    expect(hooks.filter((h) => h.body?.alert?.subject !== 'x2')).toEqual([]);

    const acked = await reprise(sb, dir, ['alerts', 'ack', String(drift[0].id), '--note', 'looked'], { REPRISE_USER: 'bob' });
    expect(acked.code, acked.stderr).toBe(0);
    expect(acked.stdout).toContain(`alert ${drift[0].id} acknowledged by bob`);
    const after = (await repriseJson<any[]>(sb, dir, ['alerts'])).find((x) => x.id === drift[0].id);
    expect(after).toMatchObject({ ackedBy: 'bob', ackNote: 'looked' });
    expect(after.ackedAt).toEqual(expect.any(Number));
  });
});

describe('reprise serve: an ONNX model, no Python anywhere', () => {
  let sb: Sandbox;
  let serve: ServeProcess | undefined;
  afterAll(async () => {
    await serve?.stop();
    await sb?.cleanup();
  });

  it('answers from model.onnx in the serving process with only node and git on the PATH', { timeout: RUN_TIMEOUT }, async () => {
    sb = await sandbox();
    const weights = [[0.5, -1.25], [2, 0.75], [-0.3, 1.5]];
    const bias = [0.1, -0.2];
    const dir = gitProject(sb, {
      'reprise.yaml': 'name: onnx-proj\nenv: { system: true }\nstages:\n  - { name: save, cmd: python save.py }\nmodel: { name: linear }\n',
      'save.py': 'import os, shutil\nshutil.copy("model.onnx", os.path.join(os.environ["REPRISE_MODEL_DIR"], "model.onnx"))\n',
    }, 'onnx');
    writeLinearOnnxModel(join(dir, 'model.onnx'), { weights, bias });
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'the model');
    const run = await reprise(sb, dir, ['run', '--name', 'linear-1']);
    expect(run.code, run.stderr).toBe(0);
    expect(await repriseJson(sb, dir, ['promote', 'linear-1'])).toMatchObject({ model: 'linear', version: 1 });

    const bin = join(sb.root, 'bin-no-python');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const gitPath = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(gitPath, join(bin, 'git'));
    serve = await startServe(sb, dir, ['linear@candidate'], { ...SERVE_ENV, PATH: bin });
    expect(serve.servingLines).toEqual([`serving linear@candidate (version 1, onnx (model.onnx)): POST ${serve.url}${predictPath('linear', 'candidate')}`]);

    const rows = [[1, 2, 3], [0, 0, 0], [-1.5, 0.25, 4], [10, -3, 0.5]];
    const a = await postJson(serve.url, predictPath('linear', 'candidate'), { inputs: rows });
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(a.body).toMatchObject({ model: 'linear', alias: 'candidate', version: 1 });
    const expected = linearPredict(weights, bias, rows);
    expect(a.body.outputs).toHaveLength(rows.length);
    a.body.outputs.forEach((o: number[], i: number) => {
      expect(o).toHaveLength(2);
      o.forEach((v, j) => expect(Math.abs(v - expected[i]![j]!), `row ${i} output ${j}`).toBeLessThanOrEqual(1e-5));
    });

    const ragged = await postJson(serve.url, predictPath('linear', 'candidate'), { inputs: [[1, 2, 3], [1, 2]] });
    expect(ragged.status).toBe(400);
    expect(ragged.body.error.code).toBe('REPRISE_ERR_PREDICTION_INVALID');
    expect(ragged.body.error.message).toContain('row 1');
  });
});
