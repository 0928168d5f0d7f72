/**
 * `reprise export` and `reprise import`: runs carried to another store whole (manifest,
 * params, metric series with NaN, histogram points and notes, logs, artifacts, the patch
 * and lock, checks between them), a second import harmless, and tampered bundles refused
 * with nothing imported.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeHistogramsBody, histogramToJson } from '../../src/core/histogram.js';
import { SqliteMetadataStore } from '../../src/adapters/metadata-store/sqlite/sqlite-metadata-store.js';
import { blobPath, gitProject, reprise, repriseJson, sandbox, startReprise, waitFor, writeFiles, yamlFor, type Sandbox } from '../helpers/cli.js';

const STAGE = `
import json, os
params = json.load(open("input.json"))
with open(os.environ["REPRISE_METRICS"], "a") as m:
    m.write('{"step": 0, "loss": 1.5, "acc": 0.5}\\n')
    m.write('{"step": 1, "loss": NaN, "acc": %s}\\n' % params["lr"])
    m.write('{"step": 2, "loss": 0.25}\\n')
open(os.path.join(os.environ["REPRISE_OUTPUT_DIR"], "result.txt"), "w").write("notes: " + open("notes.txt").read())
open(os.path.join(os.environ["REPRISE_MODEL_DIR"], "weights.bin"), "wb").write(bytes(range(256)))
print("hello from train")
`;

interface TarEntry {
  header: tar.Header;
  data: Buffer;
}

async function readBundle(file: string): Promise<TarEntry[]> {
  const extract = tar.extract();
  const out: TarEntry[] = [];
  const reading = (async () => {
    for await (const e of extract) {
      const chunks: Buffer[] = [];
      for await (const c of e) chunks.push(c as Buffer);
      out.push({ header: e.header, data: Buffer.concat(chunks) });
    }
  })();
  extract.end(gunzipSync(readFileSync(file)));
  await reading;
  return out;
}

/** Entries as given (a symlink's data is ignored), tarred and gzipped. */
async function writeBundle(file: string, entries: readonly TarEntry[]): Promise<void> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (e.header.type === 'file') pack.entry({ ...e.header, size: e.data.length }, e.data, cb);
      else pack.entry({ ...e.header, size: 0 }, cb);
    });
  }
  pack.finalize();
  await collected;
  writeFileSync(file, gzipSync(Buffer.concat(chunks)));
}

/** Histogram points as the API takes them: two keys, several points per step, awkward doubles, no stats, no buckets. */
const HISTOGRAMS = [
  { key: 'weights/dense', step: 0, ts: 1_700_000_000_001, buckets: [[-Number.MAX_VALUE, -1e-300, 0.1], [-1e-300, Number.MIN_VALUE, 2 ** 53 + 2], [Number.MIN_VALUE, 0.1 + 0.2, 3]], stats: { min: -1, max: 0.3, count: 5, sum: 0.1 + 0.2, sumSquares: 1e-300 } },
  { key: 'weights/dense', step: 1, ts: 1_700_000_000_003, buckets: [[0, 1, 4]], stats: null },
  { key: 'weights/dense', step: 1, ts: 1_700_000_000_002, buckets: [], stats: null },
  { key: 'grads', step: 0, ts: 1_700_000_000_004, buckets: [[-2, 2, 7]], stats: { min: -2, max: 2, count: 7, sum: 0, sumSquares: 11 } },
];
const NOTES = [
  { key: 'summary', step: 1, ts: 1_700_000_000_005, text: '# Epoch 1\n\nloss went *down* ✓' },
  { key: 'config', step: 0, ts: 1_700_000_000_006, text: 'lr = 0.5' },
  { key: 'summary', step: 0, ts: 1_700_000_000_007, text: '' },
];

/** Adds histogram points and notes to a run where its sandbox keeps its store: through its server's API, or in its SQLite file. */
async function recordHistogramsAndNotes(sb: Sandbox, runId: string): Promise<void> {
  if (sb.server) {
    for (const [path, body] of [['histograms', { histograms: HISTOGRAMS }], ['notes', { notes: NOTES }]] as const) {
      const res = await fetch(`${sb.server.url}/api/v1/runs/${runId}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status, await res.text()).toBe(200);
    }
    return;
  }
  const store = new SqliteMetadataStore({ path: join(sb.storeHome, 'reprise.db') });
  await store.init();
  try {
    await store.appendHistograms(runId, decodeHistogramsBody({ histograms: HISTOGRAMS }, 0));
    await store.appendNotes(runId, NOTES);
  } finally {
    await store.close();
  }
}

/** A run's histograms (every key's points in order, as the API gives them) and notes, read where its sandbox keeps its store. */
async function histogramsAndNotes(sb: Sandbox, runId: string): Promise<{ histograms: Record<string, unknown[]>; notes: unknown[] }> {
  const histograms: Record<string, unknown[]> = {};
  if (sb.server) {
    const get = async (path: string): Promise<any> => {
      const res = await fetch(`${sb.server!.url}/api/v1/runs/${runId}/${path}`);
      expect(res.status).toBe(200);
      return res.json();
    };
    for (const h of (await get('histograms')).histograms) histograms[h.key] = (await get(`histograms/history?key=${encodeURIComponent(h.key)}&full=true`)).points;
    return { histograms, notes: (await get('notes')).notes };
  }
  const store = new SqliteMetadataStore({ path: join(sb.storeHome, 'reprise.db') });
  await store.init();
  try {
    for (const h of await store.histogramKeys(runId)) histograms[h.key] = (await store.histogramSeries(runId, h.key)).points.map(histogramToJson);
    return { histograms, notes: await store.runNotes(runId) };
  } finally {
    await store.close();
  }
}

const file = (name: string, data: Buffer | string): TarEntry => ({
  header: { name, type: 'file', size: 0, mode: 0o644, mtime: new Date(), linkname: '', uid: 0, gid: 0, uname: '', gname: '', devmajor: 0, devminor: 0 },
  data: Buffer.from(data),
});

describe('reprise export and import', () => {
  let a: Sandbox;
  let b: Sandbox;
  let c: Sandbox;
  let dir: string;
  let first: any;
  let second: any;
  let oneBundle: string;
  let projectBundle: string;
  let exported: any;

  beforeAll(async () => {
    [a, b, c] = await Promise.all([sandbox(), sandbox(), sandbox()]);
    dir = gitProject(a, {
      'reprise.yaml': yamlFor([{ name: 'train', cmd: 'python train.py' }], 'env:\n  system: true\n'),
      'input.json': JSON.stringify({ lr: 0.1, epochs: 3 }),
      'train.py': STAGE,
      'notes.txt': 'committed\n',
    });
    // An uncommitted change: the runs carry a patch.
    writeFiles(dir, { 'notes.txt': 'changed but not committed\n' });
    for (const [name, lr] of [['first', '0.25'], ['second', '0.5']] as const) {
      const res = await reprise(a, dir, ['run', '--name', name, '-p', `lr=${lr}`]);
      expect(res.code, res.stderr).toBe(0);
    }
    // As shown before any check involves them: the first bundle carries no check.
    first = await repriseJson(a, dir, ['show', 'first']);
    second = await repriseJson(a, dir, ['show', 'second']);
    // The second run also recorded histograms and notes; the first none, so its bundle stays version 1.
    await recordHistogramsAndNotes(a, second.id);
    // A recorded check between the two (its verdict does not matter here).
    await reprise(a, dir, ['verify', 'first', 'second']);

    oneBundle = join(a.root, 'first.tar.gz');
    exported = await repriseJson(a, a.root, ['export', 'first', '-o', 'first.tar.gz']);
    projectBundle = join(a.root, 'project.tar.gz');
    const res = await reprise(a, a.root, ['export', '--project', 'proj', '-o', projectBundle]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^exported 2 runs, \d+ blobs, 1 verification to .*project\.tar\.gz \(/m);
    expect(res.stderr).toContain('[2/2] second');
  });

  afterAll(async () => {
    await Promise.all([a?.cleanup(), b?.cleanup(), c?.cleanup()]);
  });

  it('writes one gzip-compressed tar: an index listing every file, the run, its metrics and every blob it references', async () => {
    expect(exported).toMatchObject({ runs: [{ id: first.id, name: 'first', project: 'proj' }], verifications: 0 });
    expect(readdirSync(a.root).filter((f) => f.endsWith('.part'))).toEqual([]);
    const entries = await readBundle(oneBundle);
    const names = entries.map((e) => e.header.name);
    expect(names.at(-1)).toBe('reprise-bundle.json');
    const index = JSON.parse(entries.at(-1)!.data.toString('utf8'));
    expect(index).toMatchObject({ format: 'reprise-bundle', version: 1, runs: [{ id: first.id, name: 'first' }] });
    // A run without histograms or notes has no file of them: the bundle is what Reprise before them wrote and reads.
    expect(names.filter((n) => /(histograms|notes)\.json$/.test(n))).toEqual([]);
    expect(Object.keys(index.files).sort()).toEqual(names.filter((n) => n !== 'reprise-bundle.json').sort());
    expect(names).toContain(`runs/${first.id}/run.json`);
    expect(names).toContain(`runs/${first.id}/metrics.json`);
    const m = first.manifest;
    const wanted = [m.code.patch.sha256, m.environment.resolved.lock.sha256, m.outputs.metricsFile.sha256, ...Object.values(m.execution.stages[0].logs).map((l: any) => l.sha256), ...first.artifacts.map((x: any) => x.sha256)];
    for (const sha of wanted) expect(names).toContain(`blobs/${sha}`);
    expect(exported.blobs).toBe(new Set(wanted).size);
    expect(first.artifacts.map((x: any) => x.path)).toEqual(expect.arrayContaining(['outputs/result.txt', 'model/weights.bin']));
  });

  it('imports into another store: show, logs and metrics give what the original store gives', async () => {
    const res = await repriseJson(b, b.root, ['import', oneBundle]);
    expect(res).toMatchObject({ imported: [{ id: first.id, name: 'first' }], skipped: [], verifications: 0 });
    expect(await repriseJson(b, b.root, ['show', first.id])).toEqual(first);
    for (const sha of [first.manifest.code.patch.sha256, first.manifest.environment.resolved.lock.sha256]) expect(existsSync(blobPath(b, sha))).toBe(true);

    const logsA = await reprise(a, a.root, ['logs', 'first']);
    const logsB = await reprise(b, b.root, ['logs', 'first']);
    expect(logsB.code, logsB.stderr).toBe(0);
    expect(logsB.stdout).toContain('hello from train');
    expect(logsB.stdout).toBe(logsA.stdout);

    const lossA = await repriseJson(a, a.root, ['metrics', 'first', 'loss']);
    const lossB = await repriseJson(b, b.root, ['metrics', 'first', 'loss']);
    expect(lossB).toEqual(lossA);
    expect(lossB.points.map((p: any) => p.value)).toEqual([1.5, 'NaN', 0.25]);
    expect(readdirSync(join(b.home, 'tmp'))).toEqual([]);
  });

  it('skips runs already in the store: importing the same bundle twice is harmless', async () => {
    const again = await reprise(b, b.root, ['import', oneBundle]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/skipped: already in this store/);
    expect(again.stdout).toContain('imported 0 runs, skipped 1 already here');
    const json = await repriseJson(b, b.root, ['import', oneBundle]);
    expect(json).toMatchObject({ imported: [], skipped: [{ id: first.id, name: 'first' }] });
    expect(await repriseJson<any[]>(b, b.root, ['ls'])).toHaveLength(1);
  });

  it('exports a whole project, with the check between its runs', async () => {
    const res = await repriseJson(b, b.root, ['import', projectBundle]);
    expect(res).toMatchObject({ imported: [{ id: second.id, name: 'second' }], skipped: [{ id: first.id }], verifications: 1 });
    expect((await repriseJson<any[]>(b, b.root, ['ls'])).map((r) => r.name).sort()).toEqual(['first', 'second']);
    // Both now show the check, as they do in the original store.
    for (const name of ['first', 'second']) expect(await repriseJson(b, b.root, ['show', name])).toEqual(await repriseJson(a, a.root, ['show', name]));
    const verifications = JSON.parse((await readBundle(projectBundle)).find((e) => e.header.name === 'verifications.json')!.data.toString('utf8'));
    expect(verifications).toMatchObject([{ original: first.id, reproduction: second.id }]);
  });

  it('carries histogram points and notes, every value exact, and marks the bundle version 2', async () => {
    const entries = await readBundle(projectBundle);
    const index = JSON.parse(entries.at(-1)!.data.toString('utf8'));
    expect(index.version).toBe(2);
    expect(Object.keys(index.files).filter((n) => /(histograms|notes)\.json$/.test(n)).sort()).toEqual([`runs/${second.id}/histograms.json`, `runs/${second.id}/notes.json`]);
    // Imported into b by the test before: the same points and notes as in a, in the store's order.
    const got = await histogramsAndNotes(b, second.id);
    expect(got).toEqual(await histogramsAndNotes(a, second.id));
    const strip = ({ key: _k, ...p }: (typeof HISTOGRAMS)[number]) => p;
    expect(got.histograms).toEqual({
      grads: [strip(HISTOGRAMS[3]!)],
      'weights/dense': [strip(HISTOGRAMS[0]!), strip(HISTOGRAMS[2]!), strip(HISTOGRAMS[1]!)],
    });
    const dense = got.histograms['weights/dense']![0] as { buckets: number[][] };
    expect(Object.is(dense.buckets[1]![1], Number.MIN_VALUE) && dense.buckets[0]![0] === -Number.MAX_VALUE && dense.buckets[2]![1] === 0.1 + 0.2).toBe(true);
    expect(got.notes).toEqual([NOTES[1], NOTES[2], NOTES[0]]);
    expect(await histogramsAndNotes(b, first.id)).toEqual({ histograms: {}, notes: [] });
  });

  it('leaves no file when an export fails', async () => {
    const missing = await reprise(a, a.root, ['export', 'first', 'no-such-run', '-o', 'failed.tar.gz']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('REPRISE_ERR_RUN_NOT_FOUND');
    const none = await reprise(a, a.root, ['export', '--project', 'proj', '--filter', "status = 'failed'", '-o', 'failed.tar.gz']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no run of project "proj" matching .*nothing to export/);
    const bad = await reprise(a, a.root, ['export', 'first', '-o', join('no-such-dir', 'x.tar.gz')]);
    expect(bad.stderr).toContain('REPRISE_ERR_ARG_INVALID');
    expect(readdirSync(a.root).filter((f) => f.startsWith('failed') || f.includes('.part'))).toEqual([]);
  });

  it('refuses a run that is still running, naming it', async () => {
    const slow = gitProject(a, {
      'reprise.yaml': 'name: slow\nenv:\n  system: true\nstages:\n  - { name: wait, cmd: python wait.py }\n',
      'wait.py': 'import time\nprint("started", flush=True)\ntime.sleep(60)\n',
    }, 'slow');
    const child = startReprise(a, slow, ['run', '--name', 'busy']);
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      await waitFor('the stage to start', () => out.includes('[wait] started') || undefined);
      const res = await reprise(a, a.root, ['export', '--project', 'slow', '-o', 'busy.tar.gz']);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/run busy \([0-9a-z]{26}\) is running: only finished runs can be exported/);
      expect(res.stderr).toContain('REPRISE_ERR_RUN_NOT_FINISHED');
      expect(existsSync(join(a.root, 'busy.tar.gz'))).toBe(false);
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => child.once('close', r));
    }
  });

  describe('refuses a tampered bundle, importing nothing of it', () => {
    let entries: TarEntry[];
    let patch: string;

    beforeAll(async () => {
      entries = await readBundle(oneBundle);
      patch = `blobs/${first.manifest.code.patch.sha256}`;
    });

    const refused = async (name: string, make: (path: string) => Promise<void> | void, reason: RegExp): Promise<void> => {
      const path = join(c.root, `${name}.tar.gz`);
      await make(path);
      const res = await reprise(c, c.root, ['import', path]);
      expect(res.code, res.stdout + res.stderr).toBe(2);
      expect(res.stderr).toContain('REPRISE_ERR_BUNDLE_INVALID');
      expect(res.stderr).toMatch(reason);
      expect(await repriseJson<any[]>(c, c.root, ['ls'])).toEqual([]);
      expect(existsSync(blobPath(c, first.manifest.code.patch.sha256))).toBe(false);
      expect(existsSync(join(c.home, 'tmp')) ? readdirSync(join(c.home, 'tmp')) : []).toEqual([]);
    };

    it('one byte of a blob changed', async () => {
      await refused(
        'byte',
        (p) =>
          writeBundle(
            p,
            entries.map((e) => {
              if (e.header.name !== patch) return e;
              const data = Buffer.from(e.data);
              data[0] = data[0]! ^ 1;
              return { ...e, data };
            }),
          ),
        new RegExp(`${patch}: its contents hash to [0-9a-f]{64}, but reprise-bundle.json says`),
      );
    });

    it('an extra ../evil entry', async () => {
      await refused('dotdot', (p) => writeBundle(p, [file('../evil', 'x'), ...entries]), /entry "\.\.\/evil": a path with a "\.\." component is refused/);
    });

    it('a symbolic link to /etc', async () => {
      const link: TarEntry = { header: { ...file('runs', '').header, type: 'symlink', linkname: '/etc' }, data: Buffer.alloc(0) };
      await refused('symlink', (p) => writeBundle(p, [link, ...entries]), /entry "runs": a symbolic link to "\/etc": only plain files and folders are allowed/);
    });

    it('an absolute path', async () => {
      await refused('absolute', (p) => writeBundle(p, [...entries.slice(0, -1), file('/tmp/evil', 'x'), entries.at(-1)!]), /entry "\/tmp\/evil": an absolute path is refused/);
    });

    it('a file that is not gzip-compressed, or gzip of something not a tar', async () => {
      await refused('plain', (p) => writeFileSync(p, 'just some text\n'), /is not gzip-compressed/);
      await refused('notar', (p) => writeFileSync(p, gzipSync(Buffer.alloc(4096, 'x'))), /not a readable tar archive/);
    });

    it('a file listed in the index but missing', async () => {
      await refused('missing', (p) => writeBundle(p, entries.filter((e) => e.header.name !== patch)), new RegExp(`${patch}: listed in reprise-bundle.json but missing from the bundle`));
    });

    it('a histogram point out of order, its hash updated in the index', async () => {
      const project = await readBundle(projectBundle);
      const path = `runs/${second.id}/histograms.json`;
      const body = JSON.parse(project.find((e) => e.header.name === path)!.data.toString('utf8'));
      body.histograms[0].buckets[1] = [5, 4, 1];
      const data = Buffer.from(JSON.stringify(body));
      const index = JSON.parse(project.at(-1)!.data.toString('utf8'));
      index.files[path] = { sha256: createHash('sha256').update(data).digest('hex'), size: data.length };
      const changed = project.map((e) => (e.header.name === path ? { ...e, data } : e.header.name === 'reprise-bundle.json' ? { ...e, data: Buffer.from(JSON.stringify(index)) } : e));
      await refused('histogram', (p) => writeBundle(p, changed), new RegExp(`${path}: histograms\\[0\\]\\.buckets\\[1\\]: left edge 5 is above right edge 4`));
    });

    it('a file not listed in the index', async () => {
      await refused('unlisted', (p) => writeBundle(p, [file(`blobs/${'0'.repeat(64)}`, 'x'), ...entries]), new RegExp(`blobs/0{64}: not listed in reprise-bundle.json`));
    });
  });
});
