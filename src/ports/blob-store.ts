/**
 * @module ports/blob-store
 * Content-addressed storage: a blob's name is the sha256 of its bytes, so identical
 * files across runs are stored once and a stored blob never changes. Adapters: a local
 * folder (embedded default), an S3-compatible bucket, a server's API. Every adapter
 * passes `blob-store.contract.ts`.
 */
import type { Readable } from 'node:stream';
import type { BlobRef } from '../core/run-manifest.js';

export interface BlobStoreCapabilities {
  /** Whether clients can be handed URLs to move bytes without the server. */
  readonly presignedUrls: boolean;
  /**
   * Whether `list` and `delete` work: true where the blobs are kept; false for a client
   * of a server, whose blobs are listed and collected on the server only.
   */
  readonly enumerable: boolean;
}

export interface BlobStore {
  readonly capabilities: BlobStoreCapabilities;

  /**
   * Stores a file's bytes; idempotent. The file may change after the call returns.
   * Storing bytes already stored refreshes the blob's write time (see `touch`).
   */
  putFile(path: string): Promise<BlobRef>;

  /**
   * Stores the bytes of a stream as they arrive (an upload), hashed on the way; idempotent
   * like putFile. The stream is read to its end.
   */
  putStream(source: Readable): Promise<BlobRef>;

  /** Stores bytes held in memory; idempotent, refreshing the write time like putFile. */
  putBytes(data: Buffer | string): Promise<BlobRef>;

  /**
   * Marks a stored blob as written now and gives its size; undefined when absent. A writer
   * that finds its bytes already stored touches them, so a gc running at that moment
   * (`delete` with `unlessWrittenSince`) leaves them alone.
   */
  touch(sha256: string): Promise<{ size: number } | undefined>;

  /** The blob's bytes; REPRISE_ERR_BLOB_NOT_FOUND when absent. */
  read(sha256: string): Promise<Buffer>;

  /** The blob as a stream; REPRISE_ERR_BLOB_NOT_FOUND when absent. */
  stream(sha256: string): Promise<Readable>;

  /** Copies the blob to `dest` (created or replaced atomically). */
  copyTo(sha256: string, dest: string, mode?: number): Promise<void>;

  /** Size in bytes, or undefined when absent. */
  stat(sha256: string): Promise<{ size: number } | undefined>;

  /**
   * Removes a blob and says whether it did; absent is not an error. With
   * `unlessWrittenSince` (UTC ms), a blob written or touched at or after that time stays,
   * even when the write races the delete. Only where `capabilities.enumerable`.
   */
  delete(sha256: string, unlessWrittenSince?: number): Promise<boolean>;

  /** Every stored sha256. Only where `capabilities.enumerable`. */
  list(): AsyncIterable<string>;

  /**
   * A URL that reads the blob with a plain GET, valid for `seconds`, so its bytes need
   * not pass through this process. Only where `capabilities.presignedUrls`.
   */
  presignedGet?(sha256: string, seconds: number): Promise<string>;

  /**
   * A URL that stores the blob with a plain PUT of exactly `size` bytes, valid for
   * `seconds`, with the headers the PUT must send. The store refuses bytes that do not
   * hash to `sha256`, so a client cannot store wrong bytes under a name. Only where
   * `capabilities.presignedUrls`.
   */
  presignedPut?(sha256: string, size: number, seconds: number): Promise<{ url: string; headers: Record<string, string> }>;
}
