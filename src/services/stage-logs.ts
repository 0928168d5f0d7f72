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

export type StreamName = 'stdout' | 'stderr';

/** How many of the last stderr lines a failure report quotes. */
export const STDERR_TAIL_LINES = 20;

export function stageLogPaths(dir: string, stage: string): Record<StreamName | 'combined', string> {
  return {
    stdout: join(dir, `${stage}.stdout`),
    stderr: join(dir, `${stage}.stderr`),
    combined: join(dir, `${stage}.log`),
  };
}

export class StageLogs {
  readonly paths: Record<StreamName | 'combined', string>;
  readonly #files: Record<StreamName | 'combined', WriteStream>;
  readonly #partial: Record<StreamName, string> = { stdout: '', stderr: '' };
  readonly #stderrTail: string[] = [];
  readonly #onLine: (stream: StreamName, line: string) => void;
  readonly #pending: Promise<void>[] = [];

  constructor(dir: string, stage: string, onLine: (stream: StreamName, line: string) => void) {
    this.paths = stageLogPaths(dir, stage);
    this.#files = {
      stdout: createWriteStream(this.paths.stdout),
      stderr: createWriteStream(this.paths.stderr),
      combined: createWriteStream(this.paths.combined),
    };
    this.#onLine = onLine;
  }

  attach(source: Readable, stream: StreamName): void {
    const decoder = new StringDecoder('utf8');
    source.on('data', (chunk: Buffer) => {
      this.#files[stream].write(chunk);
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
      this.#files.combined.write(`${line}\n`);
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
