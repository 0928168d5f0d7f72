/**
 * `reprise export` and `reprise import`: runs carried to another store whole (manifest,
 * params, metric series with NaN, logs, artifacts, the patch and lock, checks between
 * them), a second import harmless, and tampered bundles refused with nothing imported.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

    it('a file not listed in the index', async () => {
      await refused('unlisted', (p) => writeBundle(p, [file(`blobs/${'0'.repeat(64)}`, 'x'), ...entries]), new RegExp(`blobs/0{64}: not listed in reprise-bundle.json`));
    });
  });
});
