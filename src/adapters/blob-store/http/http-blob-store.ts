/**
 * Blobs kept by a Reprise server, reached through its API (remote mode). A file is
 * hashed here first and uploaded only when the server lacks it, streamed from disk;
 * where the server keeps blobs in an S3 bucket, bytes move to and from the bucket
 * directly at URLs the server signs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { RepriseError } from '../../../core/errors.js';
import type { BlobRef } from '../../../core/run-manifest.js';
import type { BlobStore } from '../../../ports/blob-store.js';
import { hashFile } from '../../../platform/hash-file.js';
import type { ApiClient } from '../../api-client/api-client.js';
import { getDirect, putDirect, withPatience } from './direct-transfer.js';

/** The server's answer before an upload. */
interface UploadUrl {
  readonly stored: boolean;
  readonly url: string | null;
  readonly headers?: Record<string, string>;
}

/** Refuses a name that is not a sha256 before it becomes part of a URL. */
function checked(sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) {
    throw new RepriseError('REPRISE_ERR_BLOB_NOT_FOUND', `${JSON.stringify(sha256.slice(0, 80))} is not a blob name (64 lowercase hex digits)`);
  }
  return sha256;
}

export class HttpBlobStore implements BlobStore {
  readonly capabilities = { presignedUrls: false, enumerable: false } as const;
  readonly #api: ApiClient;

  constructor(opts: { api: ApiClient }) {
    this.#api = opts.api;
  }

  /** Asks the server first: stored already (touched), a URL of its object store to PUT to, or through the server. */
  async putFile(path: string): Promise<BlobRef> {
    const ref = await hashFile(path);
    await withPatience(this.#api.patienceMs, this.#api.onWaiting, async () => {
      const where = await this.#api.json<UploadUrl>({ method: 'POST', path: `/blobs/${ref.sha256}/upload-url`, json: { size: ref.size } });
      if (where.stored) return;
      if (where.url) await putDirect(where.url, where.headers ?? {}, path, ref.size);
      else await this.#api.request({ method: 'PUT', path: `/blobs/${ref.sha256}`, bytes: () => createReadStream(path), timeoutMs: 3_600_000 });
    });
    return ref;
  }

  /** The server is asked for bytes by their hash: a stream is staged in a file first, to be hashed. */
  async putStream(source: Readable): Promise<BlobRef> {
    const dir = join(tmpdir(), 'reprise-uploads');
    await mkdir(dir, { recursive: true });
    const staged = join(dir, `${process.pid}-${randomBytes(8).toString('hex')}`);
    try {
      await pipeline(source, createWriteStream(staged, { flags: 'wx' }));
      return await this.putFile(staged);
    } finally {
      await rm(staged, { force: true });
    }
  }

  /** Small bytes (a patch, a manifest) always go through the server: one request instead of two. */
  async putBytes(data: Buffer | string): Promise<BlobRef> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (!(await this.touch(sha256))) await this.#api.request({ method: 'PUT', path: `/blobs/${sha256}`, bytes });
    return { sha256, size: bytes.length };
  }

  async read(sha256: string): Promise<Buffer> {
    return buffer(await this.stream(sha256));
  }

  /** From the server's object store directly where it hands out URLs, else from the server. */
  async stream(sha256: string): Promise<Readable> {
    checked(sha256);
    return withPatience(this.#api.patienceMs, this.#api.onWaiting, async () => {
      const where = await this.#api.json<{ url: string | null }>({ method: 'GET', path: `/blobs/${sha256}/url` });
      if (where.url) return getDirect(where.url, sha256);
      const res = await this.#api.request({ method: 'GET', path: `/blobs/${sha256}`, timeoutMs: 3_600_000 });
      if (!res.body) throw new RepriseError('REPRISE_ERR_BLOB_NOT_FOUND', `no blob ${sha256}`);
      return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
    });
  }

  async copyTo(sha256: string, dest: string, mode?: number): Promise<void> {
    await mkdir(dirname(dest), { recursive: true });
    const tmp = join(dirname(dest), `.${randomBytes(6).toString('hex')}.part`);
    try {
      await pipeline(await this.stream(sha256), createWriteStream(tmp, mode !== undefined ? { mode } : {}));
      await rename(tmp, dest);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  async stat(sha256: string): Promise<{ size: number } | undefined> {
    checked(sha256);
    const res = await this.#api.request({ method: 'HEAD', path: `/blobs/${sha256}`, accept: [404] });
    if (res.status === 404) return undefined;
    return { size: Number(res.headers.get('content-length') ?? 0) };
  }

  async touch(sha256: string): Promise<{ size: number } | undefined> {
    checked(sha256);
    const res = await this.#api.request({ method: 'POST', path: `/blobs/${sha256}/touch`, accept: [404] });
    if (res.status === 404) return undefined;
    return { size: ((await res.json()) as { size: number }).size };
  }

  async delete(_sha256: string): Promise<boolean> {
    // Blobs on a server are removed by its garbage collection only, never by a client.
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', 'blobs on a server are removed by its garbage collection, not by a client');
  }

  async *list(): AsyncIterable<string> {
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', 'listing every blob is done on the server itself');
  }
}

