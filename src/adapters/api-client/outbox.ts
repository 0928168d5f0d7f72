/**
 * @module adapters/api-client/outbox
 * Writes a runner reports (status, metrics, log pieces, artifacts), kept on disk and
 * delivered to the server in order. Enqueueing returns at once, so a run never waits on
 * the network; while the server is away, entries pile up in the file, not in memory, and
 * go out when it is back. Each entry is safe to send twice: metric appends carry their
 * writer and seq, log pieces their offset, the rest replace a value.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isRepriseError } from '../../core/errors.js';
import type { ApiClient, ApiRequest } from './api-client.js';

/** A live log piece: `/runs/<id>/logs/<stage>/<file>?offset=<n>`. */
const LOG_PIECE = /^(\/runs\/[^/]+\/logs\/[^/]+\/[^/?]+)\?offset=(\d+)$/;
const MAX_COALESCED = 1024 * 1024;

interface Entry {
  readonly method: ApiRequest['method'];
  readonly path: string;
  readonly json?: unknown;
  /** Bytes as base64. */
  readonly b64?: string;
}

export class Outbox {
  readonly #client: ApiClient;
  readonly #dir: string;
  readonly #onDropped: (message: string) => void;
  #file: string | undefined;
  #fd: number | undefined;
  #end = 0;
  /** Where each pending entry lies in the file; the entries themselves stay on disk. */
  readonly #pending: { offset: number; length: number }[] = [];
  #sending: Promise<void> | undefined;
  #idle: (() => void)[] = [];

  constructor(opts: { client: ApiClient; dir: string; onDropped: (message: string) => void }) {
    this.#client = opts.client;
    this.#dir = opts.dir;
    this.#onDropped = opts.onDropped;
  }

  /**
   * Takes over what processes that ended before delivering left in the folder (a runner
   * killed while the server was away), ahead of this process's own entries.
   */
  adoptLeftovers(): number {
    let names: string[];
    try {
      names = readdirSync(this.#dir).filter((n) => n.endsWith('.jsonl')).sort();
    } catch {
      return 0;
    }
    let adopted = 0;
    for (const name of names) {
      const pid = Number(name.split('-')[1]);
      if (Number.isSafeInteger(pid) && isAlive(pid)) continue;
      const path = join(this.#dir, name);
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        try {
          const e = JSON.parse(line) as Entry;
          this.enqueue({ method: e.method, path: e.path, ...(e.json !== undefined ? { json: e.json } : {}), ...(e.b64 !== undefined ? { bytes: Buffer.from(e.b64, 'base64') } : {}) });
          adopted++;
        } catch {
          // A line cut short by the crash: it was never acknowledged to anyone.
        }
      }
      rmSync(path, { force: true });
    }
    return adopted;
  }

  /** Keeps the request on disk and starts delivering; returns before it is delivered. */
  enqueue(req: { method: ApiRequest['method']; path: string; json?: unknown; bytes?: Buffer }): void {
    if (this.#fd === undefined) {
      mkdirSync(this.#dir, { recursive: true });
      this.#file = join(this.#dir, `${Date.now()}-${process.pid}-${randomBytes(4).toString('hex')}.jsonl`);
      this.#fd = openSync(this.#file, 'w+');
    }
    const entry: Entry = { method: req.method, path: req.path, ...(req.json !== undefined ? { json: req.json } : {}), ...(req.bytes ? { b64: req.bytes.toString('base64') } : {}) };
    const line = Buffer.from(`${JSON.stringify(entry)}\n`);
    writeSync(this.#fd, line, 0, line.length, this.#end);
    this.#pending.push({ offset: this.#end, length: line.length });
    this.#end += line.length;
    this.#sending ??= this.#deliver().finally(() => {
      this.#sending = undefined;
    });
  }

  get pending(): number {
    return this.#pending.length;
  }

  #read(at: { offset: number; length: number }): Entry {
    const buf = Buffer.alloc(at.length);
    readSync(this.#fd!, buf, 0, at.length, at.offset);
    return JSON.parse(buf.toString('utf8')) as Entry;
  }

  async #deliver(): Promise<void> {
    while (this.#pending.length > 0) {
      const e = this.#read(this.#pending[0]!);
      let taken = 1;
      let bytes = e.b64 !== undefined ? Buffer.from(e.b64, 'base64') : undefined;
      // A chatty stage makes many small log pieces: contiguous ones go as one request.
      const piece = e.method === 'PUT' && bytes ? LOG_PIECE.exec(e.path) : null;
      if (piece && bytes) {
        const parts = [bytes];
        let end = Number(piece[2]) + bytes.length;
        let size = bytes.length;
        while (taken < this.#pending.length && size < MAX_COALESCED) {
          const next = this.#read(this.#pending[taken]!);
          const m = next.method === 'PUT' && next.b64 !== undefined ? LOG_PIECE.exec(next.path) : null;
          if (!m || m[1] !== piece[1] || Number(m[2]) !== end) break;
          const b = Buffer.from(next.b64!, 'base64');
          parts.push(b);
          end += b.length;
          size += b.length;
          taken++;
        }
        bytes = Buffer.concat(parts);
      }
      try {
        await this.#client.request({
          method: e.method,
          path: e.path,
          ...(e.json !== undefined ? { json: e.json } : {}),
          ...(bytes !== undefined ? { bytes } : {}),
        });
      } catch (err) {
        // Unreachable past the client's patience, or refused: reported, then the next.
        this.#onDropped(`${e.method} ${e.path} was not delivered: ${isRepriseError(err) ? err.message : String(err)}`);
      }
      this.#pending.splice(0, taken);
    }
    const waiters = this.#idle;
    this.#idle = [];
    for (const w of waiters) w();
  }

  /** Resolves once everything enqueued so far is delivered (or given up on). */
  async flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  /** Delivers what is left, then removes the file. */
  async close(): Promise<void> {
    await this.flush();
    if (this.#fd !== undefined) {
      closeSync(this.#fd);
      rmSync(this.#file!, { force: true });
      this.#fd = undefined;
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
