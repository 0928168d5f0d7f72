import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBlobStoreContract } from '../../../ports/blob-store.contract.js';
import { LocalBlobStore } from './local-blob-store.js';

runBlobStoreContract('LocalBlobStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-blobs-'));
  return {
    store: new LocalBlobStore({ root: join(dir, 'store') }),
    scratch: dir,
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

const sha = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

describe('LocalBlobStore', () => {
  let dir: string;
  let root: string;
  let store: LocalBlobStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reprise-blobs-'));
    root = join(dir, 'store');
    store = new LocalBlobStore({ root });
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps each blob at sha256/<first 2 hex>/<sha256>, read-only', async () => {
    const src = join(dir, 'src');
    writeFileSync(src, 'from a file');
    const refs = [await store.putBytes('from memory'), await store.putFile(src)];
    expect(filesUnder(join(root, 'sha256'))).toEqual(refs.map((r) => join(r.sha256.slice(0, 2), r.sha256)).sort());
    for (const r of refs) {
      // Checked on the mode bits, since a test run as root could write regardless.
      expect(statSync(join(root, 'sha256', r.sha256.slice(0, 2), r.sha256)).mode & 0o222).toBe(0);
    }
  });

  it('leaves no temporary files behind, whether a put stores, dedupes or fails', async () => {
    const src = join(dir, 'src');
    writeFileSync(src, 'content');
    await store.putFile(src);
    await store.putFile(src);
    await store.putBytes('content');
    await store.putBytes('other');
    await Promise.all(Array.from({ length: 10 }, () => store.putFile(src)));
    await expect(store.putFile(join(dir, 'missing'))).rejects.toThrow();
    await expect(store.putFile(dir)).rejects.toThrow();
    expect(filesUnder(root).filter((f) => !f.startsWith('sha256'))).toEqual([]);
    expect(filesUnder(join(root, 'sha256'))).toHaveLength(2);
  });

  it('copies with mode 0644 by default and leaves nothing beside the destination', async () => {
    const { sha256 } = await store.putBytes('x');
    const dest = join(dir, 'dest.txt');
    await store.copyTo(sha256, dest);
    expect(statSync(dest).mode & 0o777).toBe(0o644);
    // Replacing goes through a temporary file beside dest, which must be gone after.
    await store.copyTo(sha256, dest, 0o700);
    expect(readdirSync(dir).sort()).toEqual(['dest.txt', 'store']);
  });

  it('copies nothing and leaves nothing behind when the blob is absent', async () => {
    await expect(store.copyTo(sha('absent'), join(dir, 'dest'))).rejects.toMatchObject({ code: 'REPRISE_ERR_BLOB_NOT_FOUND' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('lists nothing, and stats nothing, before anything is stored', async () => {
    const seen: string[] = [];
    for await (const s of store.list()) seen.push(s);
    expect(seen).toEqual([]);
    expect(await store.stat(sha('x'))).toBeUndefined();
  });
});
