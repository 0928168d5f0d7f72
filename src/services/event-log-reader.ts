/**
 * @module services/event-log-reader
 * Reads the TensorBoard event files under a log folder as they grow: each file from where
 * the last read stopped, whole records only, damaged ones skipped and counted. Every
 * directory holding event files is a TensorBoard run with its own decoder (tags' first
 * metadata is per run); the harvest is told which run its values belong to.
 */
import { open } from 'node:fs/promises';
import { posix } from 'node:path';
import { EventDecoder } from '../core/tfevents/event-decoder.js';
import { isEventFileName } from '../core/tfevents/event-encoder.js';
import type { EventHarvest } from '../core/tfevents/event-harvest.js';
import { scanRecords } from '../core/tfevents/record-frame.js';
import { walkFiles } from '../platform/walk-files.js';

/** Read size; a larger record grows the read to fit it. */
const CHUNK = 4 * 1024 * 1024;
const MAX_EXAMPLES = 20;

export interface EventFileProblem {
  /** Relative to the log folder. */
  readonly file: string;
  readonly offset: number;
  readonly problem: string;
}

export interface EventReadReport {
  readonly files: number;
  readonly records: number;
  /** Records skipped: damaged (a checksum fails), torn at the end, or not an event. */
  readonly skipped: number;
  readonly examples: EventFileProblem[];
}

interface FileState {
  offset: number;
}

export class EventLogReader {
  readonly #root: string;
  /** Only files directly in these run directories when given (`.` for the top). */
  readonly #runs: ReadonlySet<string> | null;
  readonly #files = new Map<string, FileState>();
  readonly #decoders = new Map<string, EventDecoder>();
  #records = 0;
  #skipped = 0;
  readonly #examples: EventFileProblem[] = [];

  constructor(root: string, opts: { runs?: readonly string[] } = {}) {
    this.#root = root;
    this.#runs = opts.runs ? new Set(opts.runs) : null;
  }

  /**
   * Reads what was appended since the last call into `harvest`. With `final` (every writer
   * is done) a torn last record is counted and passed over; otherwise it waits.
   */
  async read(harvest: EventHarvest, final: boolean, onProblem?: (p: EventFileProblem) => void): Promise<void> {
    for await (const f of walkFiles(this.#root)) {
      if (!f.stats.isFile() || !isEventFileName(posix.basename(f.rel))) continue;
      const dir = posix.dirname(f.rel);
      if (this.#runs && !this.#runs.has(dir)) continue;
      let state = this.#files.get(f.rel);
      if (!state) this.#files.set(f.rel, (state = { offset: 0 }));
      if (f.stats.size <= state.offset && !final) continue;
      let decoder = this.#decoders.get(dir);
      if (!decoder) this.#decoders.set(dir, (decoder = new EventDecoder()));
      harvest.setRun(dir);
      await this.#readFile(f.abs, f.rel, state, decoder, harvest, final, onProblem);
    }
  }

  async #readFile(abs: string, rel: string, state: FileState, decoder: EventDecoder, harvest: EventHarvest, final: boolean, onProblem?: (p: EventFileProblem) => void): Promise<void> {
    const fh = await open(abs, 'r');
    try {
      let size = CHUNK;
      for (;;) {
        const buf = Buffer.allocUnsafe(size);
        const { bytesRead } = await fh.read(buf, 0, size, state.offset);
        if (bytesRead === 0) break;
        const whole = bytesRead < size;
        // Only at the real end of a finished file is a short record torn.
        const scan = scanRecords(buf.subarray(0, bytesRead), final && whole, (payload) => {
          try {
            decoder.decode(payload, harvest);
            this.#records++;
          } catch (e) {
            this.#problem({ file: rel, offset: state.offset + payload.byteOffset - buf.byteOffset - 12, problem: `a record that is not a TensorBoard event (${(e as Error).message})` }, onProblem);
          }
        });
        for (const d of scan.damaged) this.#problem({ file: rel, offset: state.offset + d.offset, problem: d.problem }, onProblem);
        state.offset += scan.consumed;
        // The end of what is there: the rest of a record still being written waits for the next read.
        if (whole) break;
        // A record larger than a read: read again, large enough to hold it.
        if (scan.consumed === 0) size = Math.max(size * 2, scan.needed);
      }
    } finally {
      await fh.close();
    }
  }

  #problem(p: EventFileProblem, onProblem?: (p: EventFileProblem) => void): void {
    this.#skipped++;
    if (this.#examples.length < MAX_EXAMPLES) this.#examples.push(p);
    onProblem?.(p);
  }

  report(): EventReadReport {
    return { files: this.#files.size, records: this.#records, skipped: this.#skipped, examples: [...this.#examples] };
  }
}
