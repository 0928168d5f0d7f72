/**
 * @module adapters/blob-store/s3/s3-blob-store
 * Blobs as objects of an S3-compatible bucket, at `<prefix>/sha256/<2 hex>/<64 hex>` as
 * the local store lays out its files, so two stores can share a bucket under two prefixes.
 *
 * Where: the URL `s3://bucket[/prefix]` (`parseS3Url`). How: the AWS environment as the
 * SDK reads it. `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`, names another endpoint
 * (MinIO, moto, …), addressed path-style; `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
 * `AWS_SESSION_TOKEN`, `AWS_PROFILE`, `AWS_REGION` (or `AWS_DEFAULT_REGION`) are read from
 * the `env` given; whatever it leaves unset the SDK looks up as usual (the process's
 * environment, `~/.aws/config` and `credentials`, SSO, container and instance roles). The
 * region is `us-east-1` when nothing names one.
 *
 * Writes: bytes are hashed before anything is sent, since the name is the hash. Bytes
 * already stored are touched instead. A blob of one part (16 MiB) or less is held in
 * memory and sent in one PutObject carrying its SHA-256, which S3 checks. A larger file
 * is read twice: hashed, then sent in parts, a few at a time, each with its own SHA-256,
 * while hashed again, the upload abandoned before it completes if the bytes changed. A
 * large stream is first staged in a file under `tmpDir`. Nothing large is held whole.
 *
 * Write time: S3 keeps no mtime to renew, and its Last-Modified has whole seconds. Each
 * write or touch stamps the object with the writer's clock in ms (metadata
 * `reprise-written-at`); a touch renews the stamp by copying the object onto itself.
 * Objects without the stamp (put through a presigned URL) fall back to Last-Modified.
 *
 * Failures: an endpoint that does not answer, a missing bucket, refused credentials, any
 * error S3 answers with, become REPRISE_ERR_ARTIFACTS_UNAVAILABLE naming the endpoint, the
 * bucket and the reason.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { buffer as collect } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCopyCommand,
  type HeadObjectCommandOutput,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { RepriseError } from '../../../core/errors.js';
import type { BlobRef } from '../../../core/run-manifest.js';
import type { BlobStore } from '../../../ports/blob-store.js';
import { hashFile } from '../../../platform/hash-file.js';
import { parseS3Url } from './s3-url.js';

const SHA256 = /^[0-9a-f]{64}$/;
const MiB = 1024 * 1024;
/** Parts of a multipart upload; S3 wants at least 5 MiB and at most 10,000 parts. */
const DEFAULT_PART_SIZE = 16 * MiB;
const MIN_PART_SIZE = 5 * MiB;
const MAX_PARTS = 10_000;
/** Parts sent at once: enough to fill a link, bounded memory (this many parts held). */
const PARALLEL_PARTS = 4;
/** The largest object one CopyObject copies, and one PutObject stores, on S3. */
const DEFAULT_MAX_COPY_SIZE = 5 * 1024 * MiB;
const MAX_PUT_SIZE = 5 * 1024 * MiB;
/** Where each write leaves the writer's clock, in ms. */
const WRITTEN_AT = 'reprise-written-at';
/**
 * A multipart object's stamp is from before its upload began; one that took longer than
 * this is touched when done, so gc's grace need not cover the time of an upload.
 */
const RESTAMP_AFTER_MS = 15_000;
/** A connection that does not open in this time counts as a failed attempt. */
const CONNECT_TIMEOUT_MS = 5_000;
/** A request whose socket stays silent this long is abandoned (S3 keeps long copies talking). */
const IDLE_TIMEOUT_MS = 120_000;
/** `check` runs at start: a store that does not answer is reported in seconds, whatever the retries. */
const CHECK_CONNECT_TIMEOUT_MS = 2_000;
const CHECK_IDLE_TIMEOUT_MS = 3_000;
const CHECK_TOTAL_MS = 5_000;
/** SigV4 presigned URLs last a week at most. */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

export interface S3BlobStoreOptions {
  /** `s3://bucket[/prefix]`; REPRISE_ERR_ARTIFACTS_URL_INVALID when it is not one. */
  readonly url: string;
  /** Where the AWS_* settings are read; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** A folder for streams being staged while they are hashed; created when missing. */
  readonly tmpDir: string;
  /** Size of each part of a multipart upload; default 16 MiB (at least 5 MiB). */
  readonly partSize?: number;
  /**
   * The largest object one CopyObject may copy, default S3's 5 GiB; a larger one is
   * touched by a multipart copy in parts of this size (at least 5 MiB).
   */
  readonly maxCopySize?: number;
}

/** Node's socket errors: nothing answers at the endpoint, or the connection broke. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);
/** What S3 answers when the credentials are missing, wrong or refused. */
const DENIED = new Set(['AccessDenied', 'Forbidden', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired', 'AllAccessDisabled', 'AccountProblem']);

interface SdkError {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

const statusOf = (e: unknown): number | undefined => (e as SdkError | undefined)?.$metadata?.httpStatusCode;
/** GetObject and CopyObject say NoSuchKey; HeadObject, which has no body, only 404. */
const isNoSuchKey = (e: unknown): boolean => (e as SdkError | undefined)?.name === 'NoSuchKey';
const isBare404 = (e: unknown): boolean => statusOf(e) === 404 && (e as SdkError).name !== 'NoSuchBucket';

/** The bytes put turned out other than those hashed: the file changed while it was stored. */
class ChangedWhileRead extends Error {}

export class S3BlobStore implements BlobStore {
  readonly capabilities = { presignedUrls: true, enumerable: true } as const;
  readonly bucket: string;
  readonly prefix: string;
  readonly #client: S3Client;
  readonly #config: S3ClientConfig;
  readonly #endpoint: string | undefined;
  readonly #tmpDir: string;
  readonly #partSize: number;
  readonly #maxCopySize: number;
  #quick: S3Client | undefined;
  /** Set once the bucket answered: a HEAD's bare 404 is then a missing object. */
  #bucketSeen: Promise<void> | undefined;
  #tmpMade: Promise<unknown> | undefined;

  constructor(options: S3BlobStoreOptions) {
    ({ bucket: this.bucket, prefix: this.prefix } = parseS3Url(options.url));
    const env = options.env ?? process.env;
    this.#tmpDir = options.tmpDir;
    this.#partSize = Math.max(MIN_PART_SIZE, options.partSize ?? DEFAULT_PART_SIZE);
    this.#maxCopySize = Math.max(MIN_PART_SIZE, options.maxCopySize ?? DEFAULT_MAX_COPY_SIZE);
    const setting = (name: string): string | undefined => env[name]?.trim() || undefined;

    // The SDK also reads these two from the process's environment, but not from the `env`
    // given, and leaves the addressing to its rules: named here so both hold.
    const ignore = /^true$/i.test(setting('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS') ?? '');
    const endpointVar = ignore ? undefined : setting('AWS_ENDPOINT_URL_S3') ? 'AWS_ENDPOINT_URL_S3' : setting('AWS_ENDPOINT_URL') ? 'AWS_ENDPOINT_URL' : undefined;
    this.#endpoint = endpointVar ? checkedEndpoint(endpointVar, setting(endpointVar) ?? '') : undefined;

    const accessKeyId = setting('AWS_ACCESS_KEY_ID');
    const secretAccessKey = setting('AWS_SECRET_ACCESS_KEY');
    const sessionToken = setting('AWS_SESSION_TOKEN');
    const profile = setting('AWS_PROFILE');
    const region = setting('AWS_REGION') ?? setting('AWS_DEFAULT_REGION');
    // The SDK's versions for Node 20 warn on every process's stderr that later ones will
    // need Node 22: no concern of a user's, so it is silenced unless asked for.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.#config = {
      ...(this.#endpoint ? { endpoint: this.#endpoint, forcePathStyle: true } : {}),
      ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } } : {}),
      ...(profile ? { profile } : {}),
      region: region ?? regionFromConfig(profile),
    };
    this.#client = new S3Client({
      ...this.#config,
      maxAttempts: 3,
      requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: IDLE_TIMEOUT_MS },
    });
  }

  /**
   * Whether the bucket answers with these credentials (a HEAD of the bucket), quickly:
   * short timeouts and one retry, so a server starting over a store that is down says so
   * in seconds. REPRISE_ERR_ARTIFACTS_UNAVAILABLE otherwise.
   */
  async check(): Promise<void> {
    this.#quick ??= new S3Client({
      ...this.#config,
      maxAttempts: 2,
      requestHandler: { connectionTimeout: CHECK_CONNECT_TIMEOUT_MS, requestTimeout: CHECK_IDLE_TIMEOUT_MS },
    });
    try {
      await this.#quick.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: AbortSignal.timeout(CHECK_TOTAL_MS) });
    } catch (e) {
      // HEAD has no body: a 404 of the bucket itself is the bucket missing.
      throw await this.#unavailable(e, 'checking the bucket', statusOf(e) === 404);
    }
  }

  /** Closes the clients' connections; the store is not used after. */
  close(): void {
    this.#client.destroy();
    this.#quick?.destroy();
  }

  async putFile(path: string): Promise<BlobRef> {
    // Opened first, so a missing file is refused before anything is sent.
    const fh = await open(path, 'r');
    try {
      // A small file is read once and held: no second read, and the SDK can resend it.
      if ((await fh.stat()).size <= this.#partSize) return await this.putBytes(await fh.readFile());
    } finally {
      await fh.close();
    }
    const ref = await hashFile(path);
    try {
      return await this.#putLarge(path, ref);
    } catch (e) {
      if (!(e instanceof ChangedWhileRead)) throw e;
      // Written to while it was stored: what a copy of it holds is stored instead.
      return this.putStream(createReadStream(path));
    }
  }

  async putStream(source: Readable): Promise<BlobRef> {
    // An error the source meets before it is read (a file that cannot be read) is kept, not left unhandled.
    let early: unknown;
    const onError = (e: unknown): void => {
      early ??= e;
    };
    source.on('error', onError);
    let staged: string | undefined;
    try {
      staged = await this.#tempPath();
      if (early !== undefined) throw early;
      const hash = createHash('sha256');
      let size = 0;
      const hashing = new Transform({
        transform(chunk: Buffer | string, _enc, done) {
          const piece = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          hash.update(piece);
          size += piece.length;
          done(null, piece);
        },
      });
      await pipeline(source, hashing, createWriteStream(staged, { flags: 'wx' }));
      const ref = { sha256: hash.digest('hex'), size };
      if (size <= this.#partSize) return await this.putBytes(await readFile(staged));
      return await this.#putLarge(staged, ref);
    } catch (e) {
      source.destroy();
      throw e;
    } finally {
      source.off('error', onError);
      if (staged) await rm(staged, { force: true });
    }
  }

  async putBytes(data: Buffer | string): Promise<BlobRef> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const digest = createHash('sha256').update(bytes).digest();
    const ref = { sha256: digest.toString('hex'), size: bytes.length };
    if (await this.touch(ref.sha256)) return ref;
    const put = new PutObjectCommand({
      Bucket: this.bucket,
      Key: this.#key(ref.sha256),
      Body: bytes,
      ContentLength: bytes.length,
      ContentType: 'application/octet-stream',
      // S3 checks the bytes against it: what arrives is what was hashed. The algorithm is
      // named too, which servers that keep a checksum only when told one (moto) need.
      ChecksumAlgorithm: 'SHA256',
      ChecksumSHA256: digest.toString('base64'),
      Metadata: stamp(),
    });
    await this.#guard(`storing blob ${ref.sha256}`, (c) => c.send(put));
    return ref;
  }

  /** A file larger than a part, whose bytes were hashed as `ref`: touched, or uploaded in parts. */
  async #putLarge(path: string, ref: BlobRef): Promise<BlobRef> {
    if (await this.touch(ref.sha256)) return ref;
    const began = Date.now();
    const body = verifying(ref);
    // Through pipeline, so a read error reaches the upload; its own rejection is the upload's to report.
    void pipeline(createReadStream(path), body).catch(() => undefined);
    const upload = new Upload({
      client: this.#client,
      params: {
        Bucket: this.bucket,
        Key: this.#key(ref.sha256),
        Body: body,
        ContentLength: ref.size,
        ContentType: 'application/octet-stream',
        ChecksumAlgorithm: 'SHA256',
        Metadata: stamp(),
      },
      partSize: Math.max(this.#partSize, Math.ceil(ref.size / MAX_PARTS)),
      queueSize: PARALLEL_PARTS,
      // A failed upload's parts are discarded: S3 would keep (and bill) them otherwise.
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (e) {
      body.destroy();
      // Changed bytes end the stream before its last part: the upload is never completed.
      if (e instanceof ChangedWhileRead) throw e;
      throw await this.#unavailable(e, `storing blob ${ref.sha256}`);
    }
    if (Date.now() - began > RESTAMP_AFTER_MS) await this.touch(ref.sha256);
    return ref;
  }

  async read(sha256: string): Promise<Buffer> {
    return collect(await this.stream(sha256));
  }

  async stream(sha256: string): Promise<Readable> {
    const key = this.#key(sha256);
    try {
      const res = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return res.Body as Readable;
    } catch (e) {
      if (isNoSuchKey(e)) throw notFound(sha256, e);
      throw await this.#unavailable(e, `reading blob ${sha256}`);
    }
  }

  async copyTo(sha256: string, dest: string, mode?: number): Promise<void> {
    const body = await this.stream(sha256);
    const tmp = `${dest}.reprise-${randomBytes(4).toString('hex')}`;
    try {
      await pipeline(body, createWriteStream(tmp, { flags: 'wx' }));
      await chmod(tmp, mode ?? 0o644);
      await rename(tmp, dest);
    } catch (e) {
      body.destroy();
      await rm(tmp, { force: true });
      throw e;
    }
  }

  async stat(sha256: string): Promise<{ size: number } | undefined> {
    const head = await this.#head(this.#key(sha256), sha256);
    return head ? { size: head.ContentLength ?? 0 } : undefined;
  }

  async touch(sha256: string): Promise<{ size: number } | undefined> {
    const key = this.#key(sha256);
    const head = await this.#head(key, sha256);
    if (!head) return undefined;
    const size = head.ContentLength ?? 0;
    try {
      if (size > this.#maxCopySize) {
        await this.#copyOntoItselfInParts(key, size);
      } else {
        // Copying onto itself is S3's only way to renew an object's time; the new metadata is what makes it a change.
        await this.#client.send(
          new CopyObjectCommand({
            Bucket: this.bucket,
            Key: key,
            CopySource: this.#copySource(key),
            MetadataDirective: 'REPLACE',
            Metadata: stamp(),
            ContentType: 'application/octet-stream',
            ChecksumAlgorithm: 'SHA256',
          }),
        );
      }
    } catch (e) {
      // Deleted since the HEAD: absent, and the writer stores it anew.
      if (isNoSuchKey(e)) return undefined;
      throw await this.#unavailable(e, `touching blob ${sha256}`);
    }
    return { size };
  }

  /** A touch of an object too large for one CopyObject: a multipart copy of itself, a few parts at a time. */
  async #copyOntoItselfInParts(key: string, size: number): Promise<void> {
    const partSize = Math.max(this.#maxCopySize, Math.ceil(size / MAX_PARTS));
    const { UploadId } = await this.#client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, Metadata: stamp(), ContentType: 'application/octet-stream' }),
    );
    try {
      const count = Math.ceil(size / partSize);
      const etags: string[] = [];
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < count) {
          const n = next++;
          const from = n * partSize;
          const to = Math.min(size, from + partSize) - 1;
          const res = await this.#client.send(
            new UploadPartCopyCommand({ Bucket: this.bucket, Key: key, UploadId, PartNumber: n + 1, CopySource: this.#copySource(key), CopySourceRange: `bytes=${from}-${to}` }),
          );
          etags[n] = res.CopyPartResult?.ETag ?? '';
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, count) }, worker));
      await this.#client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
      );
    } catch (e) {
      await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId })).catch(() => undefined);
      throw e;
    }
  }

  /**
   * A HEAD of the blob, then its DELETE when it is unguarded or not written since the
   * guard. S3 has no delete conditioned on an object's time for ordinary buckets, so a
   * window of one round trip stays between the two: a writer that touches the blob in it
   * (finding its bytes stored) is not seen, and the blob goes. A conditional delete on
   * the ETag (`If-Match`, which S3 and moto honour) would not close it: a touch copies the
   * object onto itself, which keeps the ETag. gc tolerates this because only a blob that
   * nothing staying references and nobody wrote since the guard (at least gc's grace
   * before it began) can be in that window, and only if the same bytes are produced
   * again within those milliseconds; the cost is that run's reference to a missing blob
   * (REPRISE_ERR_BLOB_NOT_FOUND when read), never wrong bytes.
   */
  async delete(sha256: string, unlessWrittenSince?: number): Promise<boolean> {
    const key = this.#key(sha256);
    const head = await this.#head(key, sha256);
    if (!head) return false;
    if (unlessWrittenSince !== undefined && writtenSince(head, unlessWrittenSince)) return false;
    await this.#guard(`deleting blob ${sha256}`, (c) => c.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
    return true;
  }

  async *list(): AsyncIterable<string> {
    const under = `${this.#base()}sha256/`;
    let token: string | undefined;
    do {
      const page = await this.#guard('listing blobs', (c) => c.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: under, ContinuationToken: token })));
      // Keys come in byte order, so names come sorted, as the local store lists them.
      for (const { Key } of page.Contents ?? []) {
        const name = Key?.slice(under.length + 3);
        if (name && SHA256.test(name) && Key === this.#key(name)) yield name;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async presignedGet(sha256: string, seconds: number): Promise<string> {
    const key = this.#key(sha256);
    try {
      return await getSignedUrl(this.#client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: checkedSeconds(seconds) });
    } catch (e) {
      throw await this.#unavailable(e, `signing a URL for blob ${sha256}`);
    }
  }

  async presignedPut(sha256: string, size: number, seconds: number): Promise<{ url: string; headers: Record<string, string> }> {
    const key = this.#key(sha256);
    if (!Number.isSafeInteger(size) || size < 0) throw new RepriseError('REPRISE_ERR_ARG_INVALID', `blob size ${size} is not a whole number of bytes`);
    if (size > MAX_PUT_SIZE) {
      throw new RepriseError('REPRISE_ERR_ARG_INVALID', `blob ${sha256} has ${size} bytes, more than one PUT may carry (${MAX_PUT_SIZE}): store it through putFile, which sends it in parts`);
    }
    const checksum = Buffer.from(sha256, 'hex').toString('base64');
    const headers = { 'content-length': String(size), 'x-amz-checksum-sha256': checksum };
    try {
      const url = await getSignedUrl(
        this.#client,
        new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentLength: size, ChecksumSHA256: checksum }),
        // Both signed as headers, so the PUT must send them: S3 then refuses other bytes and other lengths.
        { expiresIn: checkedSeconds(seconds), unhoistableHeaders: new Set(['x-amz-checksum-sha256']) },
      );
      return { url, headers };
    } catch (e) {
      throw await this.#unavailable(e, `signing a URL for blob ${sha256}`);
    }
  }

  #base(): string {
    return this.prefix ? `${this.prefix}/` : '';
  }

  #key(sha256: string): string {
    if (!SHA256.test(sha256)) throw new RepriseError('REPRISE_ERR_BLOB_NOT_FOUND', `not a sha256 blob name: ${JSON.stringify(sha256.slice(0, 80))}`);
    return `${this.#base()}sha256/${sha256.slice(0, 2)}/${sha256}`;
  }

  #copySource(key: string): string {
    return `${this.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  async #tempPath(): Promise<string> {
    await (this.#tmpMade ??= mkdir(this.#tmpDir, { recursive: true }).catch((e: unknown) => {
      this.#tmpMade = undefined;
      throw e;
    }));
    return join(this.#tmpDir, `s3-${process.pid}-${randomBytes(8).toString('hex')}`);
  }

  /** The object's HEAD, or undefined when it is absent (the bucket checked once, since a bare 404 could be either). */
  async #head(key: string, sha256: string): Promise<HeadObjectCommandOutput | undefined> {
    try {
      return await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (e) {
      if (isBare404(e)) {
        await (this.#bucketSeen ??= this.check().catch((err: unknown) => {
          this.#bucketSeen = undefined;
          throw err;
        }));
        return undefined;
      }
      throw await this.#unavailable(e, `looking up blob ${sha256}`);
    }
  }

  /** What `run` sends, its failure made REPRISE_ERR_ARTIFACTS_UNAVAILABLE saying what was being done. */
  async #guard<T>(doing: string, run: (client: S3Client) => Promise<T>): Promise<T> {
    try {
      return await run(this.#client);
    } catch (e) {
      throw await this.#unavailable(e, doing);
    }
  }

  /** Where requests go, for messages: the endpoint named, else AWS's for the region. */
  async #where(): Promise<string> {
    if (this.#endpoint) return this.#endpoint;
    try {
      return `https://s3.${await this.#client.config.region()}.amazonaws.com`;
    } catch {
      return 'AWS S3';
    }
  }

  async #unavailable(e: unknown, doing: string, bucketMissing = false): Promise<RepriseError> {
    if (e instanceof RepriseError) return e;
    const err = (e ?? {}) as SdkError;
    const where = await this.#where();
    const detail = err.message && err.message !== 'UnknownError' ? err.message : `HTTP ${statusOf(e) ?? '?'}`;
    let reason: string;
    let hint: string | undefined;
    if (bucketMissing || err.name === 'NoSuchBucket') {
      reason = `bucket ${JSON.stringify(this.bucket)} does not exist`;
      hint = 'create the bucket, or name an existing one in the artifact store URL';
    } else if (DENIED.has(err.name ?? '') || statusOf(e) === 403) {
      reason = `access denied (${err.name}: ${detail})`;
      hint = 'check the credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE) and what they may do on the bucket';
    } else if (err.name === 'CredentialsProviderError') {
      reason = `no credentials were found (${detail})`;
      hint = 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE';
    } else if (NETWORK_CODES.has(err.code ?? '') || err.name === 'TimeoutError' || err.name === 'AbortError') {
      reason = err.name === 'AbortError' ? `no answer within ${CHECK_TOTAL_MS / 1000} s` : `cannot connect (${err.code ?? err.name}: ${detail})`;
      hint = this.#endpoint ? `is the server at ${this.#endpoint} running? (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL names it)` : undefined;
    } else {
      reason = `${err.name ?? 'error'}: ${detail}`;
    }
    return new RepriseError('REPRISE_ERR_ARTIFACTS_UNAVAILABLE', `artifact store s3://${this.bucket}${this.prefix ? `/${this.prefix}` : ''} at ${where}: ${doing} failed: ${reason}`, {
      cause: e,
      ...(hint ? { hint } : {}),
      details: { endpoint: where, bucket: this.bucket },
    });
  }
}

/** The metadata of a write: the writer's clock, in ms. */
function stamp(): Record<string, string> {
  return { [WRITTEN_AT]: String(Date.now()) };
}

/**
 * Whether the object was written or touched at or after `guard` (UTC ms): by its stamp,
 * else by Last-Modified, which has whole seconds: an object of the guard's own second may
 * be later than it, so it counts as written since.
 */
function writtenSince(head: HeadObjectCommandOutput, guard: number): boolean {
  const stamped = Number(head.Metadata?.[WRITTEN_AT] ?? NaN);
  if (Number.isFinite(stamped)) return stamped >= guard;
  const modified = head.LastModified?.getTime();
  return modified === undefined || modified >= Math.floor(guard / 1000) * 1000;
}

/** The bytes as they pass, checked against the hash they were named by; an error before their end otherwise. */
function verifying(expected: BlobRef): Transform {
  const hash = createHash('sha256');
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      const sha256 = hash.digest('hex');
      done(sha256 === expected.sha256 && size === expected.size ? null : new ChangedWhileRead(`read ${size} bytes hashing to ${sha256}, expected ${expected.sha256}`));
    },
  });
}

/** The region of the profile in `~/.aws/config`, as the SDK finds it, else us-east-1. */
function regionFromConfig(profile: string | undefined): () => Promise<string> {
  let found: Promise<string> | undefined;
  return () =>
    (found ??= (async () => {
      // A client made only to ask the SDK's own lookup (environment, then the profile's files).
      const probe = new S3Client(profile ? { profile } : {});
      try {
        return (await probe.config.region()) || 'us-east-1';
      } catch {
        return 'us-east-1';
      } finally {
        probe.destroy();
      }
    })());
}

function checkedEndpoint(variable: string, value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new RepriseError('REPRISE_ERR_ARTIFACTS_URL_INVALID', `${variable}=${JSON.stringify(value)} is not an http:// or https:// URL`, {
      hint: `name the S3-compatible server, e.g. ${variable}=http://127.0.0.1:9000`,
      details: { variable },
    });
  }
  return value.replace(/\/+$/, '');
}

function checkedSeconds(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_PRESIGN_SECONDS) {
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', `a presigned URL lasts 1 to ${MAX_PRESIGN_SECONDS} seconds, not ${seconds}`);
  }
  return seconds;
}

function notFound(sha256: string, cause?: unknown): RepriseError {
  return new RepriseError('REPRISE_ERR_BLOB_NOT_FOUND', `blob ${sha256} is not in the store`, { cause });
}
