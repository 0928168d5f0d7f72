import { describe, expect, it } from 'vitest';
import { blobsOfRun, bundleIndexSchema, checkEntryPath, snapshotBlobs } from './bundle-format.js';
import type { RunManifest } from './run-manifest.js';

const ID = '01j9zk3m4n5p6q7r8s9t0v1w2x';
const SHA = 'a'.repeat(64);
const sha = (c: string): string => c.repeat(64);

describe('bundle entry paths', () => {
  it('accepts the layout, with or without a leading ./', () => {
    expect(checkEntryPath('reprise-bundle.json', 'file').entry).toEqual({ kind: 'index' });
    expect(checkEntryPath('verifications.json', 'file').entry).toEqual({ kind: 'verifications' });
    expect(checkEntryPath(`runs/${ID}/run.json`, 'file').entry).toEqual({ kind: 'run-file', runId: ID, file: 'run.json' });
    expect(checkEntryPath(`./runs/${ID}/metrics.json`, 'file')).toEqual({ path: `runs/${ID}/metrics.json`, entry: { kind: 'run-file', runId: ID, file: 'metrics.json' } });
    expect(checkEntryPath(`blobs/${SHA}`, 'file').entry).toEqual({ kind: 'blob', sha256: SHA });
    // Since version 2, a run that recorded histograms or notes has a file of each.
    expect(checkEntryPath(`runs/${ID}/histograms.json`, 'file').entry).toEqual({ kind: 'run-file', runId: ID, file: 'histograms.json' });
    expect(checkEntryPath(`./runs/${ID}/notes.json`, 'file').entry).toEqual({ kind: 'run-file', runId: ID, file: 'notes.json' });
    for (const dir of ['runs/', 'blobs', `runs/${ID}/`, './', '.']) expect(checkEntryPath(dir, 'directory').entry).toEqual({ kind: 'folder' });
  });

  it.each([
    ['../evil', '".." component'],
    [`runs/../blobs/${SHA}`, '".." component'],
    ['/etc/passwd', 'absolute path'],
    [`blobs\\${SHA}`, 'backslash'],
    [`blobs/${SHA}\0`, 'NUL'],
    [`blobs//${SHA}`, 'empty or "." component'],
    [`blobs/./${SHA}`, 'empty or "." component'],
    ['notes.txt', "not part of a bundle's layout"],
    [`blobs/${SHA.toUpperCase()}`, "not part of a bundle's layout"],
    [`blobs/${SHA.slice(1)}`, "not part of a bundle's layout"],
    [`runs/${ID}/other.json`, "not part of a bundle's layout"],
    [`runs/${ID}/histograms.json/x`, "not part of a bundle's layout"],
    [`histograms.json`, "not part of a bundle's layout"],
    ['runs/not-a-run-id/run.json', "not part of a bundle's layout"],
    [`runs/${ID}/run.json/x`, "not part of a bundle's layout"],
    ['runs', "not part of a bundle's layout"],
  ])('refuses the file entry %j', (path, why) => {
    expect(() => checkEntryPath(path, 'file')).toThrow(expect.objectContaining({ code: 'REPRISE_ERR_BUNDLE_INVALID', message: expect.stringContaining(why) }));
    expect(() => checkEntryPath(path, 'file')).toThrow(JSON.stringify(path));
  });

  it('refuses folders outside the layout', () => {
    for (const dir of ['other/', `blobs/${SHA}/`, `runs/${ID}/sub/`, '../', '/tmp/']) {
      expect(() => checkEntryPath(dir, 'directory')).toThrow(expect.objectContaining({ code: 'REPRISE_ERR_BUNDLE_INVALID' }));
    }
  });
});

describe('the bundle index', () => {
  const index = { format: 'reprise-bundle', version: 1, createdAt: 1, repriseVersion: '0.1.0', runs: [{ id: ID, name: 'n', project: 'p' }], files: { [`blobs/${SHA}`]: { sha256: SHA, size: 3 } } };

  it('parses a good one and names what is wrong in a bad one', () => {
    expect(bundleIndexSchema.parse(index)).toEqual(index);
    // Version 1 (no histograms or notes) and 2 are read; a newer one or a fraction is not.
    expect(bundleIndexSchema.parse({ ...index, version: 2 })).toEqual({ ...index, version: 2 });
    for (const version of [0, 1.5, 3, '1']) expect(bundleIndexSchema.safeParse({ ...index, version }).success, `version ${version}`).toBe(false);
    expect(bundleIndexSchema.safeParse({ ...index, format: 'zip' }).success).toBe(false);
    expect(bundleIndexSchema.safeParse({ ...index, files: { x: { sha256: 'nope', size: 1 } } }).success).toBe(false);
    expect(bundleIndexSchema.safeParse({ ...index, runs: [{ id: '../x', name: 'n', project: 'p' }] }).success).toBe(false);
  });
});

describe('the blobs a run references', () => {
  const manifest = {
    code: { kind: 'git', patch: { sha256: sha('1'), size: 10 } },
    environment: { resolved: { lock: { sha256: sha('2'), size: 20 }, lockInput: { sha256: sha('3'), size: 30 } } },
    execution: {
      stages: [
        { name: 'train', logs: { stdout: { sha256: sha('4'), size: 1 }, stderr: { sha256: sha('5'), size: 0 }, combined: { sha256: sha('6'), size: 1 } } },
        { name: 'skipped', logs: null },
      ],
    },
    outputs: { metricsFile: { sha256: sha('7'), size: 70 }, artifacts: [{ path: 'outputs/a.txt', size: 8, sha256: sha('8') }] },
  } as unknown as RunManifest;

  it('lists the patch, the lock and its input, every log, the metrics file and every artifact, each saying what it is', () => {
    const uses = blobsOfRun(manifest, [
      { path: 'outputs/a.txt', size: 8, sha256: sha('8') },
      { path: 'model/w.bin', size: 9, sha256: sha('9') },
    ]);
    expect(uses.map((u) => [u.sha256[0], u.what])).toEqual([
      ['1', 'the code patch'],
      ['2', 'the environment lock'],
      ['3', 'the lock file the environment was built from'],
      ['4', 'the stdout log of stage "train"'],
      ['5', 'the stderr log of stage "train"'],
      ['6', 'the combined log of stage "train"'],
      ['7', 'the metrics file'],
      ['8', 'artifact "outputs/a.txt"'],
      ['9', 'artifact "model/w.bin"'],
    ]);
  });

  it('lists the snapshot of folder code, and its files from the snapshot list', () => {
    const folder = { ...manifest, code: { kind: 'folder', subdir: '', snapshot: { sha256: sha('c'), size: 99 }, files: 1, bytes: 4 }, environment: { resolved: null }, execution: { stages: [] }, outputs: { metricsFile: null, artifacts: [] } } as unknown as RunManifest;
    expect(blobsOfRun(folder, [])).toEqual([{ sha256: sha('c'), size: 99, what: 'the folder snapshot' }]);
    expect(snapshotBlobs([{ path: 'a.py', mode: 0o644, sha256: sha('d'), size: 4 }, { path: 'l', link: 'a.py' }])).toEqual([{ sha256: sha('d'), size: 4, what: 'file "a.py" of the folder snapshot' }]);
  });

  it('lists no code or environment blob for a run logged through the MLflow client, which recorded neither', () => {
    const client = { ...manifest, code: null, environment: null, execution: { stages: [] } } as unknown as RunManifest;
    expect(blobsOfRun(client, []).map((u) => u.what)).toEqual(['the metrics file', 'artifact "outputs/a.txt"']);
  });
});
