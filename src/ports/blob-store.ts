/**
 * @module ports/blob-store
 * Content-addressed storage: a blob's name is the sha256 of its bytes, so identical
 * files across runs are stored once and a stored blob never changes. Adapters: a local
 * folder (embedded default). Every adapter passes `blob-store.contract.ts`.
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

  /** Stores a file's bytes; idempotent. The file may change after the call returns. */
  putFile(path: string): Promise<BlobRef>;

  /** Stores bytes held in memory; idempotent. */
  putBytes(data: Buffer | string): Promise<BlobRef>;

  /** The blob's bytes; REPRISE_ERR_BLOB_NOT_FOUND when absent. */
  read(sha256: string): Promise<Buffer>;

  /** The blob as a stream; REPRISE_ERR_BLOB_NOT_FOUND when absent. */
  stream(sha256: string): Promise<Readable>;

  /** Copies the blob to `dest` (created or replaced atomically). */
  copyTo(sha256: string, dest: string, mode?: number): Promise<void>;

  /** Size in bytes, or undefined when absent. */
  stat(sha256: string): Promise<{ size: number } | undefined>;

  /** Removes a blob; absent is not an error. Only where `capabilities.enumerable`. */
  delete(sha256: string): Promise<void>;

  /** Every stored sha256. Only where `capabilities.enumerable`. */
  list(): AsyncIterable<string>;
}
