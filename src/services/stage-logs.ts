/**
 * @module services/stage-logs
 * A stage's output, kept three ways while it runs: stdout and stderr byte for byte, and
 * a combined log of whole lines in the order they arrived. The files are readable while
 * the stage runs (`reprise logs --follow`) and become blobs when it ends.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { finished } from 'node:stream/promises';
import { logFileName, type LogFile } from '../ports/run-log-store.js';

export type StreamName = 'stdout' | 'stderr';

/** How many of the last stderr lines a failure report quotes. */
export const STDERR_TAIL_LINES = 20;

export function stageLogPaths(dir: string, stage: string): Record<LogFile, string> {
  return {
    stdout: join(dir, logFileName(stage, 'stdout')),
    stderr: join(dir, logFileName(stage, 'stderr')),
    combined: join(dir, logFileName(stage, 'combined')),
  };
}

/** Where a copy of each piece goes as it is written (the server, for a remote run): file, byte offset, bytes. */
export type LogMirror = (file: LogFile, offset: number, data: Buffer) => void;

export class StageLogs {
  readonly paths: Record<StreamName | 'combined', string>;
  readonly #files: Record<StreamName | 'combined', WriteStream>;
  readonly #partial: Record<StreamName, string> = { stdout: '', stderr: '' };
  readonly #stderrTail: string[] = [];
  readonly #onLine: (stream: StreamName, line: string) => void;
  readonly #mirror: LogMirror | undefined;
  readonly #written: Record<LogFile, number> = { stdout: 0, stderr: 0, combined: 0 };
  readonly #pending: Promise<void>[] = [];

  constructor(opts: { dir: string; stage: string; onLine: (stream: StreamName, line: string) => void; mirror?: LogMirror }) {
    this.paths = stageLogPaths(opts.dir, opts.stage);
    this.#files = {
      stdout: createWriteStream(this.paths.stdout),
      stderr: createWriteStream(this.paths.stderr),
      combined: createWriteStream(this.paths.combined),
    };
    this.#onLine = opts.onLine;
    this.#mirror = opts.mirror;
  }

  #write(file: LogFile, data: Buffer): void {
    this.#files[file].write(data);
    this.#mirror?.(file, this.#written[file], data);
    this.#written[file] += data.length;
  }

  attach(source: Readable, stream: StreamName): void {
    const decoder = new StringDecoder('utf8');
    source.on('data', (chunk: Buffer) => {
      this.#write(stream, chunk);
      this.#lines(stream, decoder.write(chunk));
    });
    this.#pending.push(
      finished(source).then(
        () => this.#lines(stream, decoder.end(), true),
        () => this.#lines(stream, decoder.end(), true),
      ),
    );
  }

  #lines(stream: StreamName, text: string, end = false): void {
    const parts = (this.#partial[stream] + text).split('\n');
    this.#partial[stream] = end ? '' : (parts.pop() ?? '');
    for (const raw of parts) {
      if (end && raw === '' && parts[parts.length - 1] === raw) continue;
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      this.#write('combined', Buffer.from(`${line}\n`));
      if (stream === 'stderr') {
        this.#stderrTail.push(line);
        if (this.#stderrTail.length > STDERR_TAIL_LINES) this.#stderrTail.shift();
      }
      this.#onLine(stream, line);
    }
  }

  get stderrTail(): string[] {
    return [...this.#stderrTail];
  }

  /** Waits for the sources to end and the files to be written. */
  async close(): Promise<void> {
    await Promise.all(this.#pending);
    await Promise.all(
      Object.values(this.#files).map(
        (f) => new Promise<void>((resolve, reject) => f.end((err?: Error | null) => (err ? reject(err) : resolve()))),
      ),
    );
  }
}
