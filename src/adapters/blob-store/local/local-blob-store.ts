/**
 * Blobs as files under `<root>/sha256/<2 hex>/<64 hex>`. A blob is written to a
 * temporary file beside the store, hashed while it is written, fsynced, and renamed into
 * place: rename is atomic, so a reader never sees half a blob and two processes storing
 * the same bytes at once both succeed.
 *
 * A blob's mtime is its write time: storing bytes already there touches the file. A
 * guarded delete first renames the blob into `trash/`, then reads the mtime the file had
 * when it left: a writer that touched it before the rename is seen and the blob goes
 * back; one that comes after finds no file and writes a fresh one. A delete interrupted
 * between the two steps leaves a file in `trash/`, put back by the next delete.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, writeSync } from 'node:fs';
import { chmod, copyFile, link, mkdir, open, readdir, readFile, rename, rm, stat, unlink, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { RepriseError } from '../../../core/errors.js';
import type { BlobRef } from '../../../core/run-manifest.js';
import type { BlobStore } from '../../../ports/blob-store.js';
import { pathExists } from '../../../platform/path-exists.js';

const SHA256 = /^[0-9a-f]{64}$/;

export interface LocalBlobStoreOptions {
  /** The store's folder; created when missing. */
  readonly root: string;
}

export class LocalBlobStore implements BlobStore {
  readonly capabilities = { presignedUrls: false, enumerable: true } as const;
  readonly #root: string;
  readonly #tmp: string;
  readonly #trash: string;
  #trashRestored: Promise<void> | undefined;

  constructor(options: LocalBlobStoreOptions) {
    this.#root = join(options.root, 'sha256');
    this.#tmp = join(options.root, 'tmp');
    this.#trash = join(options.root, 'trash');
  }

  #pathOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw new RepriseError('REPRISE_ERR_BLOB_NOT_FOUND', `not a sha256 blob name: ${JSON.stringify(sha256)}`);
    return join(this.#root, sha256.slice(0, 2), sha256);
  }

  async #tempPath(): Promise<string> {
    await mkdir(this.#tmp, { recursive: true });
    return join(this.#tmp, `${process.pid}-${randomBytes(8).toString('hex')}`);
  }

  async #commit(tmp: string, sha256: string): Promise<void> {
    const dest = this.#pathOf(sha256);
    if (await this.touch(sha256)) {
      await rm(tmp, { force: true });
      return;
    }
    await mkdir(dirname(dest), { recursive: true });
    // Blobs never change once stored; read-only keeps a stray writer from corrupting one.
    await chmod(tmp, 0o444);
    // The write time gc's guard compares with its clock: set from that clock, since the
    // file system's own stamp can run a few milliseconds behind it.
    const now = new Date();
    await utimes(tmp, now, now);
    await rename(tmp, dest);
  }

  async putFile(path: string): Promise<BlobRef> {
    // Opened first, so a missing file is refused before anything is written.
    const src = await open(path, 'r');
    return this.putStream(src.createReadStream());
  }

  async putStream(src: Readable): Promise<BlobRef> {
    // An error the source meets before it is read (a file that cannot be read) is kept, not left unhandled.
    let early: unknown;
    const onError = (e: unknown): void => {
      early ??= e;
    };
    src.on('error', onError);
    const tmp = await this.#tempPath();
    const hash = createHash('sha256');
    let size = 0;
    try {
      if (early !== undefined) throw early;
      const fh = await open(tmp, 'wx');
      try {
        for await (const piece of src as AsyncIterable<Buffer | string>) {
          const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
          hash.update(chunk);
          size += chunk.length;
          // Written as it arrives: into the page cache a piece takes microseconds, less than a
          // trip through the thread pool for each; the one fsync below is what waits on the disk.
          for (let at = 0; at < chunk.length; ) at += writeSync(fh.fd, chunk, at);
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      const sha256 = hash.digest('hex');
      await this.#commit(tmp, sha256);
      return { sha256, size };
    } catch (e) {
      await rm(tmp, { force: true });
      src.destroy();
      throw e;
    } finally {
      src.off('error', onError);
    }
  }

  async putBytes(data: Buffer | string): Promise<BlobRef> {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    const sha256 = createHash('sha256').update(buf).digest('hex');
    if (await this.touch(sha256)) return { sha256, size: buf.length };
    const tmp = await this.#tempPath();
    try {
      const fh = await open(tmp, 'wx');
      try {
        await fh.writeFile(buf);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await this.#commit(tmp, sha256);
      return { sha256, size: buf.length };
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  async read(sha256: string): Promise<Buffer> {
    try {
      return await readFile(this.#pathOf(sha256));
    } catch (e) {
      throw notFound(sha256, e);
    }
  }

  async stream(sha256: string): Promise<Readable> {
    const path = this.#pathOf(sha256);
    if (!(await pathExists(path))) throw notFound(sha256);
    return createReadStream(path);
  }

  async copyTo(sha256: string, dest: string, mode?: number): Promise<void> {
    const src = this.#pathOf(sha256);
    const tmp = `${dest}.reprise-${randomBytes(4).toString('hex')}`;
    try {
      await copyFile(src, tmp);
      await chmod(tmp, mode ?? 0o644);
      await rename(tmp, dest);
    } catch (e) {
      await rm(tmp, { force: true });
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !(await pathExists(src))) throw notFound(sha256, e);
      throw e;
    }
  }

  async stat(sha256: string): Promise<{ size: number } | undefined> {
    try {
      const s = await stat(this.#pathOf(sha256));
      return { size: s.size };
    } catch {
      return undefined;
    }
  }

  async touch(sha256: string): Promise<{ size: number } | undefined> {
    const path = this.#pathOf(sha256);
    try {
      const now = new Date();
      await utimes(path, now, now);
      return { size: (await stat(path)).size };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async delete(sha256: string, unlessWrittenSince?: number): Promise<boolean> {
    const path = this.#pathOf(sha256);
    if (unlessWrittenSince === undefined) {
      const existed = await pathExists(path);
      await rm(path, { force: true });
      return existed;
    }
    await (this.#trashRestored ??= this.#restoreTrash().then(() => mkdir(this.#trash, { recursive: true })).then(() => undefined));
    const parked = join(this.#trash, `${sha256}.${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await rename(path, parked);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    if ((await stat(parked)).mtimeMs >= unlessWrittenSince) {
      await this.#putBack(parked, path);
      return false;
    }
    await unlink(parked);
    return true;
  }

  /** A parked blob back in its place; a writer may have stored it again meanwhile, which is the same bytes. */
  async #putBack(parked: string, path: string): Promise<void> {
    try {
      await link(parked, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    await unlink(parked);
  }

  /** Blobs a delete left parked when it was killed: whether they were wanted is decided again. */
  async #restoreTrash(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.#trash);
    } catch {
      return;
    }
    for (const name of names) {
      const sha256 = name.slice(0, 64);
      if (!SHA256.test(sha256)) continue;
      const path = this.#pathOf(sha256);
      await mkdir(dirname(path), { recursive: true });
      await this.#putBack(join(this.#trash, name), path);
    }
  }

  async *list(): AsyncIterable<string> {
    let prefixes: string[];
    try {
      prefixes = (await readdir(this.#root)).sort();
    } catch {
      return;
    }
    for (const p of prefixes) {
      for (const name of (await readdir(join(this.#root, p))).sort()) {
        if (SHA256.test(name)) yield name;
      }
    }
  }
}


function notFound(sha256: string, cause?: unknown): RepriseError {
  return new RepriseError('REPRISE_ERR_BLOB_NOT_FOUND', `blob ${sha256} is not in the store`, { cause });
}
