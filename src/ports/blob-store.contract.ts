/**
 * The behaviour every BlobStore adapter must have. An adapter's test calls
 * `runBlobStoreContract` with a factory for a fresh, empty store; `scratch` is a folder
 * the suite may write source and destination files into.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RepriseError } from '../core/errors.js';
import type { BlobStore } from './blob-store.js';

const sha = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const s of it) out.push(s);
  return out;
}

/** Expects the promise to reject with a RepriseError of `code`. */
async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}`).toBeInstanceOf(RepriseError);
  expect((err as RepriseError).code).toBe(code);
}

export function runBlobStoreContract(
  name: string,
  create: () => Promise<{ store: BlobStore; scratch: string; cleanup: () => Promise<void> }>,
  /** `enumerable: false` for a client of a server: list and delete are checked where the blobs are. */
  opts: { enumerable: boolean } = { enumerable: true },
): void {
  const listed = async (store: BlobStore, expected: string[]): Promise<void> => {
    if (opts.enumerable) expect(await collect(store.list())).toEqual(expected);
    else for (const s of expected) expect(await store.stat(s), s).toBeDefined();
  };
  describe(`${name}: blob store contract`, () => {
    let store: BlobStore;
    let scratch: string;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, scratch, cleanup } = await create());
    });

    afterEach(async () => {
      await cleanup();
    });

    /** Writes `data` to a new file in the scratch folder and returns its path. */
    let fileNo = 0;
    const file = (data: Buffer | string): string => {
      const path = join(scratch, `src-${fileNo++}`);
      writeFileSync(path, data);
      return path;
    };

    it('names bytes by their sha256 and gives their size', async () => {
      const data = Buffer.from('hello, blobs\n');
      expect(await store.putBytes(data)).toEqual({ sha256: sha(data), size: data.length });
      // A string is stored as its UTF-8 bytes.
      expect(await store.putBytes('héllo')).toEqual({ sha256: sha(Buffer.from('héllo', 'utf8')), size: 6 });
      expect(await store.putBytes('')).toEqual({ sha256: sha(''), size: 0 });
    });

    it('names a file by the sha256 of its bytes and gives its size', async () => {
      const data = randomBytes(10_000);
      expect(await store.putFile(file(data))).toEqual({ sha256: sha(data), size: data.length });
      expect(await store.putFile(file(''))).toEqual({ sha256: sha(''), size: 0 });
    });

    it('names a stream by the sha256 of its bytes as they arrive in pieces, and reads them back', async () => {
      const pieces = [randomBytes(70_000), randomBytes(1), Buffer.alloc(0), randomBytes(200_000)];
      const all = Buffer.concat(pieces);
      const ref = await store.putStream(Readable.from(pieces));
      expect(ref).toEqual({ sha256: sha(all), size: all.length });
      expect((await store.read(ref.sha256)).equals(all)).toBe(true);
      expect(await store.putStream(Readable.from([]))).toEqual({ sha256: sha(''), size: 0 });
    });

    it('stores the same bytes once however often and however they are put', async () => {
      const data = Buffer.from('same bytes');
      const refs = [await store.putBytes(data), await store.putBytes(data), await store.putFile(file(data)), await store.putFile(file(data)), await store.putStream(Readable.from([data]))];
      for (const r of refs) expect(r).toEqual({ sha256: sha(data), size: data.length });
      await listed(store, [sha(data)]);
      expect(await store.read(sha(data))).toEqual(data);
    });

    it('keeps a blob as it was when the file changes after the put', async () => {
      const path = file('version 1');
      const ref = await store.putFile(path);
      writeFileSync(path, 'version 2');
      expect((await store.read(ref.sha256)).toString()).toBe('version 1');
    });

    it('reads back the exact bytes', async () => {
      const data = randomBytes(4096);
      const { sha256 } = await store.putBytes(data);
      expect(await store.read(sha256)).toEqual(data);
    });

    it('streams back the exact bytes', async () => {
      const { sha256 } = await store.putBytes('line 1\nline 2\n');
      expect(await text(await store.stream(sha256))).toBe('line 1\nline 2\n');
    });

    it('copies a blob to a file with the mode asked for, replacing what was there', async () => {
      const data = randomBytes(2048);
      const { sha256 } = await store.putBytes(data);
      const dest = join(scratch, 'run.sh');
      writeFileSync(dest, 'old content');
      await store.copyTo(sha256, dest, 0o755);
      expect(readFileSync(dest)).toEqual(data);
      expect(statSync(dest).mode & 0o777).toBe(0o755);
      await store.copyTo(sha256, dest, 0o600);
      expect(statSync(dest).mode & 0o777).toBe(0o600);
    });

    it('copies a blob to a file that is the caller\'s own to change', async () => {
      const { sha256 } = await store.putBytes('x');
      const dest = join(scratch, 'plain.txt');
      await store.copyTo(sha256, dest);
      expect(readFileSync(dest, 'utf8')).toBe('x');
      // A copy that shared storage with the blob (a hard link) would corrupt it here.
      chmodSync(dest, 0o644);
      writeFileSync(dest, 'changed');
      expect((await store.read(sha256)).toString()).toBe('x');
    });

    it('stats a blob, and says undefined for one it does not hold', async () => {
      const { sha256 } = await store.putBytes(Buffer.alloc(1234, 7));
      expect(await store.stat(sha256)).toEqual({ size: 1234 });
      expect(await store.stat(sha('absent'))).toBeUndefined();
    });

    it('says whether it can list and delete', () => {
      expect(store.capabilities.enumerable).toBe(opts.enumerable);
    });

    it.skipIf(!opts.enumerable)('forgets a deleted blob, and deleting an absent one is no error', async () => {
      const keep = await store.putBytes('keep');
      const gone = await store.putBytes('gone');
      await store.delete(gone.sha256);
      await expectCode(store.read(gone.sha256), 'REPRISE_ERR_BLOB_NOT_FOUND');
      await expectCode(store.stream(gone.sha256), 'REPRISE_ERR_BLOB_NOT_FOUND');
      await expectCode(store.copyTo(gone.sha256, join(scratch, 'never')), 'REPRISE_ERR_BLOB_NOT_FOUND');
      expect(await store.stat(gone.sha256)).toBeUndefined();
      expect(await collect(store.list())).toEqual([keep.sha256]);
      await store.delete(gone.sha256);
      // Stored again after a delete, it is whole again.
      await store.putBytes('gone');
      expect((await store.read(gone.sha256)).toString()).toBe('gone');
    });

    it('touches a stored blob, and says undefined for one it does not hold', async () => {
      const { sha256 } = await store.putBytes('touch me');
      expect(await store.touch(sha256)).toEqual({ size: 8 });
      expect(await store.touch(sha('absent'))).toBeUndefined();
    });

    it.skipIf(!opts.enumerable)('says whether a delete removed anything', async () => {
      const { sha256 } = await store.putBytes('once');
      expect(await store.delete(sha256)).toBe(true);
      expect(await store.delete(sha256)).toBe(false);
    });

    it.skipIf(!opts.enumerable)('keeps a blob written or stored again since the time a guarded delete names', async () => {
      const before = Date.now() - 1;
      const a = await store.putBytes('written during gc');
      expect(await store.delete(a.sha256, before)).toBe(false);
      expect((await store.read(a.sha256)).toString()).toBe('written during gc');
      // Old bytes stored again count as written now.
      const b = await store.putBytes('stored again');
      await new Promise((r) => setTimeout(r, 20));
      const mark = Date.now();
      await new Promise((r) => setTimeout(r, 20));
      expect(await store.delete(b.sha256, mark), 'not touched since the mark').toBe(true);
      await store.putBytes('stored again');
      await new Promise((r) => setTimeout(r, 20));
      const mark2 = Date.now();
      await store.putFile(file(Buffer.from('stored again')));
      expect(await store.delete(b.sha256, mark2), 'stored again by putFile after the mark').toBe(false);
      expect(await store.touch(b.sha256)).toEqual({ size: 12 });
      expect(await collect(store.list())).toEqual([a.sha256, b.sha256].sort());
    });

    it.skipIf(!opts.enumerable)('lists every stored blob exactly once', async () => {
      expect(await collect(store.list())).toEqual([]);
      const shas = new Set<string>();
      for (let i = 0; i < 40; i++) shas.add((await store.putBytes(`blob ${i % 30}`)).sha256);
      const listed = await collect(store.list());
      expect(listed).toHaveLength(30);
      expect(new Set(listed)).toEqual(shas);
    });

    it('rejects a name that is not a lower-case sha256', async () => {
      const good = (await store.putBytes('x')).sha256;
      for (const bad of ['', 'abc', good.toUpperCase(), `${good}0`, '../../etc/passwd', `${good.slice(0, 62)}/a`]) {
        await expect(store.read(bad), JSON.stringify(bad)).rejects.toBeInstanceOf(RepriseError);
        await expect(store.stream(bad), JSON.stringify(bad)).rejects.toBeInstanceOf(RepriseError);
        await expect(store.copyTo(bad, join(scratch, 'bad')), JSON.stringify(bad)).rejects.toBeInstanceOf(RepriseError);
      }
    });

    it('stores the same file put by many promises at once, once', async () => {
      const data = randomBytes(256 * 1024);
      const paths = Array.from({ length: 20 }, () => file(data));
      const refs = await Promise.all([...paths.map((p) => store.putFile(p)), ...paths.map(() => store.putBytes(data))]);
      for (const r of refs) expect(r).toEqual({ sha256: sha(data), size: data.length });
      await listed(store, [sha(data)]);
      expect(await store.read(sha(data))).toEqual(data);
    });

    it('stores a 5 MiB file', async () => {
      const data = randomBytes(5 * 1024 * 1024);
      const ref = await store.putFile(file(data));
      expect(ref).toEqual({ sha256: sha(data), size: data.length });
      expect(sha(await store.read(ref.sha256))).toBe(ref.sha256);
      expect(await store.stat(ref.sha256)).toEqual({ size: data.length });
      const dest = join(scratch, 'big.bin');
      await store.copyTo(ref.sha256, dest);
      expect(sha(readFileSync(dest))).toBe(ref.sha256);
    });

    it('fails to put a file that does not exist', async () => {
      await expect(store.putFile(join(scratch, 'missing'))).rejects.toThrow();
      if (opts.enumerable) expect(await collect(store.list())).toEqual([]);
    });
  });
}
