/**
 * TensorBoard interoperability with the real packages (the `.venv-tensorboard` venv:
 * tensorboard and tensorboardX, no TensorFlow or PyTorch):
 * - files tensorboardX and TensorBoard's own TF2-style summary writers wrote (and
 *   PyTorch's, where torch is installed) come in through `reprise import-tb` as exactly
 *   the values written;
 * - what `reprise tensorboard` writes, TensorBoard's own reader reads back the same,
 *   hparams sessions included;
 * - damaged and torn files lose only the bad record;
 * - a run's stages writing event files under REPRISE_TB_DIR are ingested while they run.
 * Commands run embedded; a server on the same home answers the API reads and is what the
 * live run reports through.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitProject, reprise, repriseJson, sandbox, startReprise, waitFor, type Sandbox } from '../helpers/cli.js';
import { api, startServer, type Api, type RunningServer } from '../helpers/server.js';
import { assertTensorboardVenv, jsonOf, runTensorboardScript, TENSORBOARD_SCRIPTS_DIR, TENSORBOARD_VENV_BIN } from './tensorboard-python.js';

const TIMEOUT = 240_000;

type Expected = Record<'tbx' | 'tf2' | 'torch', WriterExpectation | null>;
interface WriterExpectation {
  dir: string;
  scalars: Record<string, [number, number | string][]>;
  histograms: Record<string, { step: number; buckets: [number, number, number][]; stats: Record<string, number> | null }[]>;
  text: Record<string, [number, string][]>;
  hparams: { dir?: string; params: Record<string, unknown>; metrics?: Record<string, number> };
}

describe('TensorBoard event files in and out', () => {
  let sb: Sandbox;
  let server: RunningServer;
  let client: Api;
  let fixtures: string;
  let expected: Expected;

  beforeAll(async () => {
    assertTensorboardVenv();
    sb = await sandbox();
    mkdirSync(sb.storeHome, { recursive: true });
    server = await startServer({ home: sb.storeHome });
    client = api(server.url);
    fixtures = join(sb.root, 'fixtures');
    const res = await runTensorboardScript('write_fixtures.py', [fixtures]);
    expect(res.code, res.stderr).toBe(0);
    expected = JSON.parse(readFileSync(join(fixtures, 'expected.json'), 'utf8')) as Expected;
  }, TIMEOUT);
  afterAll(async () => {
    await server?.stop();
    await sb?.cleanup();
  });

  async function importTb(dir: string, project: string, env: NodeJS.ProcessEnv = {}): Promise<any> {
    const res = await reprise(sb, sb.root, ['import-tb', dir, '--project', project, '--json'], env);
    expect(res.code, res.stderr).toBe(0);
    return JSON.parse(res.stdout);
  }

  async function runData(id: string): Promise<{ run: any; scalars: Record<string, [number, unknown][]>; histograms: Record<string, any[]>; notes: Record<string, [number, string][]> }> {
    const run = (await client.get(`/runs/${id}`)).json;
    const scalars: Record<string, [number, unknown][]> = {};
    for (const key of Object.keys(run.run.metrics)) {
      const h = (await client.get(`/runs/${id}/history?key=${encodeURIComponent(key)}&full=true`)).json;
      scalars[key] = h.steps.map((s: number, i: number) => [s, h.values[i]]);
    }
    const histograms: Record<string, any[]> = {};
    for (const info of (await client.get(`/runs/${id}/histograms`)).json.histograms) {
      const h = (await client.get(`/runs/${id}/histograms/history?key=${encodeURIComponent(info.key)}&full=true`)).json;
      histograms[info.key] = h.points.map((p: any) => ({ step: p.step, buckets: p.buckets, stats: p.stats }));
    }
    const notes: Record<string, [number, string][]> = {};
    for (const n of (await client.get(`/runs/${id}/notes`)).json.notes) (notes[n.key] ??= []).push([n.step, n.text]);
    return { run, scalars, histograms, notes };
  }

  it(
    'imports what tensorboardX, TF2-style summaries and PyTorch wrote as exactly those values',
    async () => {
      for (const writer of ['tbx', 'tf2', 'torch'] as const) {
        const want = expected[writer];
        if (!want) continue; // torch is not installed here
        // TF2's files go in through the server, the others into the store directly.
        const env = writer === 'tf2' ? { REPRISE_SERVER: server.url } : {};
        const result = await importTb(join(fixtures, want.dir), `tb-${writer}`, env);
        const top = result.imported.find((r: any) => r.tbRun === '.');
        expect(top, JSON.stringify(result)).toBeDefined();
        expect(top.read.skipped).toBe(0);
        const got = await runData(top.id);
        expect(got.run.run.status).toBe('succeeded');
        expect(got.run.run.manifest.trigger).toMatchObject({ kind: 'tensorboard', run: '.' });
        for (const [tag, points] of Object.entries(want.scalars)) expect(got.scalars[tag], `${writer} ${tag}`).toEqual(points);
        for (const [tag, points] of Object.entries(want.histograms)) expect(got.histograms[tag], `${writer} ${tag}`).toEqual(points);
        for (const [tag, notes] of Object.entries(want.text)) expect(got.notes[tag], `${writer} ${tag}`).toEqual(notes);
        // hparams: TF2 writes its session into the run itself; PyTorch and tensorboardX into a directory of their own.
        const session = want.hparams.dir ? result.imported.find((r: any) => r.tbRun === want.hparams.dir) : top;
        expect(session, JSON.stringify(result.imported.map((r: any) => r.tbRun))).toBeDefined();
        const sessionData = await runData(session.id);
        expect(sessionData.run.params).toEqual(want.hparams.params);
        for (const [k, v] of Object.entries(want.hparams.metrics ?? {})) expect(sessionData.scalars[k]).toEqual([[0, v]]);

        // A second import finds every run already here.
        const again = await importTb(join(fixtures, want.dir), `tb-${writer}`, env);
        expect(again.imported).toEqual([]);
        expect(again.skipped.map((s: any) => s.id).sort()).toEqual(result.imported.map((r: any) => r.id).sort());
      }
    },
    TIMEOUT,
  );

  it(
    "writes runs that TensorBoard's own reader reads back the same, hparams sessions included",
    async () => {
      const logdir = join(sb.root, 'written');
      const res = await reprise(sb, sb.root, ['tensorboard', '--project', 'tb-tbx', '--logdir', logdir, '--json']);
      expect(res.code, res.stderr).toBe(0);
      const written = JSON.parse(res.stdout);
      expect(written.logdir).toBe(logdir);
      expect(written.command).toBe(`tensorboard --logdir ${logdir}`);
      const read = jsonOf('read_events.py', await runTensorboardScript('read_events.py', [logdir]));
      expect(Object.keys(read.runs).sort()).toEqual(written.runs.map((r: any) => r.dir).sort());
      for (const r of written.runs) {
        const got = read.runs[r.dir];
        const stored = await runData(r.id);
        expect(got.scalars).toEqual(stored.scalars);
        expect(Object.keys(got.histograms).sort()).toEqual(Object.keys(stored.histograms).sort());
        for (const [tag, points] of Object.entries(stored.histograms)) {
          expect(got.histograms[tag].map((p: any) => ({ step: p.step, buckets: p.buckets })), tag).toEqual(points.map((p: any) => ({ step: p.step, buckets: p.buckets })));
        }
        expect(got.text).toEqual(stored.notes);
        expect(got.hparams.session_start).toEqual(stored.run.params);
        expect(got.hparams.status).toBe('STATUS_SUCCESS');
        expect(r).toMatchObject({ scalars: Object.values(stored.scalars).flat().length, notes: Object.values(stored.notes).flat().length });
      }
      // Written again, the runs' files are replaced, not doubled.
      expect((await reprise(sb, sb.root, ['tensorboard', '--project', 'tb-tbx', '--logdir', logdir, '--json'])).code).toBe(0);
      for (const r of written.runs) expect(readdirSync(join(logdir, r.dir)).filter((f) => f.includes('tfevents'))).toHaveLength(1);
      const again = jsonOf('read_events.py', await runTensorboardScript('read_events.py', [logdir]));
      expect(again.runs).toEqual(read.runs);

      // Without tensorboard on PATH (and without --json) the command to run is printed.
      const plain = await reprise(sb, sb.root, ['tensorboard', '--project', 'tb-tbx', '--logdir', logdir], { PATH: '/usr/bin:/bin' });
      expect(plain.code, plain.stderr).toBe(0);
      expect(plain.stdout).toContain(`tensorboard is not installed here`);
      expect(plain.stdout).toContain(`tensorboard --logdir ${logdir}`);
      // With one on PATH, it is started on the folder (a stand-in here: the real one serves until stopped).
      const stubBin = join(sb.root, 'stub-bin');
      mkdirSync(stubBin);
      writeFileSync(join(stubBin, 'tensorboard'), `#!/bin/sh\necho "$@" > ${join(sb.root, 'tensorboard-args')}\n`, { mode: 0o755 });
      const started = await reprise(sb, sb.root, ['tensorboard', '--project', 'tb-tbx', '--logdir', logdir, '--port', '6123'], { PATH: `${stubBin}:/usr/bin:/bin` });
      expect(started.code, started.stderr).toBe(0);
      expect(started.stdout).toContain(`starting tensorboard --logdir ${logdir} --port 6123`);
      expect(readFileSync(join(sb.root, 'tensorboard-args'), 'utf8').trim()).toBe(`--logdir ${logdir} --port 6123`);
    },
    TIMEOUT,
  );

  it(
    'skips and counts a record with a flipped byte, and reads a torn file up to its last whole record',
    async () => {
      const src = join(fixtures, expected.tbx!.dir);
      const file = readdirSync(src).find((f) => f.includes('tfevents'))!;
      const clean = (await importTb(src, 'tb-clean')).imported.find((r: any) => r.tbRun === '.');

      const flipped = join(sb.root, 'flipped');
      mkdirSync(flipped);
      const bytes = readFileSync(join(src, file));
      bytes[Math.floor(bytes.length / 2)]! ^= 0x20;
      writeFileSync(join(flipped, file), bytes);
      const bad = (await importTb(flipped, 'tb-damaged')).imported[0];
      expect(bad.read.skipped).toBe(1);
      expect(bad.read.examples[0].problem).toMatch(/checksum/);
      expect(bad.read.records).toBe(clean.read.records - 1);
      expect(bad.status).toBe('succeeded');

      const torn = join(sb.root, 'torn');
      mkdirSync(torn);
      copyFileSync(join(src, file), join(torn, file));
      truncateSync(join(torn, file), bytes.length - 5);
      const cut = (await importTb(torn, 'tb-torn')).imported[0];
      expect(cut.read).toMatchObject({ records: clean.read.records - 1, skipped: 1 });
      expect(cut.read.examples[0].problem).toMatch(/torn/);

      // Bad input: no such directory, and one without event files.
      const missing = await reprise(sb, sb.root, ['import-tb', join(sb.root, 'nowhere')]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain(`${join(sb.root, 'nowhere')}: no such directory`);
      mkdirSync(join(sb.root, 'empty'));
      const empty = await reprise(sb, sb.root, ['import-tb', join(sb.root, 'empty')]);
      expect(empty.code).toBe(2);
      expect(empty.stderr).toContain('no TensorBoard event files');
    },
    TIMEOUT,
  );

  it(
    'ingests the event files a run writes while it runs, and histograms from the SDK',
    async () => {
      const dir = gitProject(
        sb,
        {
          'reprise.yaml': `name: tb-live
stages:
  - { name: train, cmd: python live_writer.py 16 0.4 }
  - { name: sdk, cmd: "python -c \\"import reprise; reprise.log_histogram('sdk/weights', [1, 2, 2, 3], step=1, bins=2)\\"" }
`,
          'live_writer.py': readFileSync(join(TENSORBOARD_SCRIPTS_DIR, 'live_writer.py'), 'utf8'),
        },
        'tb-live',
      );
      const env = { REPRISE_SERVER: server.url, PATH: `${TENSORBOARD_VENV_BIN}:${process.env.PATH ?? ''}` };
      const child = startReprise(sb, dir, ['run', '--name', 'live-tb'], env);
      let output = '';
      child.stderr?.on('data', (c: Buffer) => (output += c.toString('utf8')));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

      // Points arrive while the stage still writes: the run is running when they are first seen.
      const seen = await waitFor(
        'live/loss points while the run goes on',
        async () => {
          const runs = (await client.get('/runs?project=tb-live')).json.runs;
          if (runs.length === 0) return undefined;
          const h = await client.get(`/runs/${runs[0].id}/history?key=live%2Floss&full=true`);
          if (h.status !== 200 || h.json.steps.length === 0) return undefined;
          const status = (await client.get(`/runs/${runs[0].id}`)).json.run.status;
          return { id: runs[0].id as string, steps: h.json.steps.length as number, status: status as string };
        },
        60_000,
      );
      expect(seen.status).toBe('running');
      expect(seen.steps).toBeLessThan(16);
      expect(await exited, output).toBe(0);

      const got = await runData(seen.id);
      expect(got.run.run.status).toBe('succeeded');
      expect(got.scalars['live/loss']!.map(([s]) => s)).toEqual([...Array(16).keys()]);
      expect(got.scalars['live/loss']![3]![1]).toBe(Math.fround(1 / 4));
      expect(got.histograms['live/weights']!.map((p) => p.step)).toEqual([0, 5, 10, 15]);
      expect(got.histograms['sdk/weights']).toEqual([{ step: 1, buckets: [[1, 2, 1], [2, 3, 3]], stats: { min: 1, max: 3, count: 4, sum: 8, sumSquares: 18 } }]);
      expect(got.notes['notes/text_summary']).toEqual([[0, 'live run, 16 steps']]);
      expect(got.run.params).toMatchObject({ lr: 0.01, optimizer: 'adam' });
      expect(got.scalars['hparams/hparam/final_loss']).toEqual([[0, Math.fround(1 / 16)]]);
      expect(got.run.run.manifest.outputs.tensorboard).toMatchObject({ files: 2, skipped: 0 });
      const shown = await repriseJson(sb, dir, ['show', 'live-tb']);
      expect(shown.id).toBe(seen.id);
      expect(shown.histograms.map((h: any) => [h.key, h.count])).toEqual([['live/weights', 4], ['sdk/weights', 1]]);
      const text = (await reprise(sb, dir, ['show', 'live-tb'])).stdout;
      expect(text).toMatch(/histograms \(2\)/);
      expect(text).toMatch(/tensorboard: \d+ record\(s\) read from 2 event file\(s\)/);
    },
    TIMEOUT,
  );
});
