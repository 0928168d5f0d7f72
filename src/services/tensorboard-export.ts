/**
 * @module services/tensorboard-export
 * `reprise tensorboard`: writes runs as TensorBoard log directories, one subdirectory per
 * run (`<name>-<id>`), holding its scalars, histograms and notes, and an hparams session
 * (its params, its status) so TensorBoard's HParams dashboard lists the runs with their
 * params and final metrics. No experiment record is written: TensorBoard infers the table
 * from all sessions, so writing more runs into the same directory later keeps one table.
 */
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { RunRecord } from '../core/run.js';
import { isActive, type RunStatus } from '../core/run-manifest.js';
import type { SessionStatus } from '../core/tfevents/event-decoder.js';
import {
  eventFileName,
  fileVersionRecord,
  histogramRecord,
  scalarRecord,
  sessionEndRecord,
  sessionStartRecord,
  textRecord,
} from '../core/tfevents/event-encoder.js';
import type { MetadataStore } from '../ports/metadata-store.js';

/** The suffix of the files Reprise writes, so a later export replaces them and nothing else. */
export const WRITTEN_SUFFIX = '.reprise';
/** Records are gathered and written this many bytes at a time. */
const WRITE_BYTES = 4 * 1024 * 1024;

export interface TbWrittenRun {
  readonly id: string;
  readonly name: string;
  /** Relative to the log directory. */
  readonly dir: string;
  readonly scalars: number;
  readonly histograms: number;
  readonly notes: number;
  readonly params: number;
}

function sessionStatus(s: RunStatus): SessionStatus {
  if (s === 'succeeded') return 'success';
  if (s === 'failed' || s === 'lost' || s === 'canceled') return 'failure';
  return isActive(s) ? 'running' : 'unknown';
}

/** A name as one safe path segment: anything but letters, digits, `_`, `.` and `-` becomes `_`. */
export function pathSafeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** A run's directory name: its name (made safe for a path) and id. */
export function runDirName(run: Pick<RunRecord, 'id' | 'name'>): string {
  return `${pathSafeName(run.name)}-${run.id}`;
}

/** Appends records to one file, a few MiB per write. */
class RecordWriter {
  #parts: Buffer[] = [];
  #bytes = 0;
  constructor(private readonly fh: Awaited<ReturnType<typeof open>>) {}

  async add(record: Buffer): Promise<void> {
    this.#parts.push(record);
    this.#bytes += record.length;
    if (this.#bytes >= WRITE_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#parts.length === 0) return;
    await this.fh.write(Buffer.concat(this.#parts, this.#bytes));
    this.#parts = [];
    this.#bytes = 0;
  }
}

export class TensorboardExport {
  constructor(private readonly d: { readonly store: MetadataStore }) {}

  /** Writes each run into `logdir/<name>-<id>/`, replacing what an earlier export wrote there. */
  async write(runs: readonly RunRecord[], logdir: string, onRun?: (r: TbWrittenRun) => void): Promise<TbWrittenRun[]> {
    await mkdir(logdir, { recursive: true });
    const out: TbWrittenRun[] = [];
    for (const run of runs) {
      const r = await this.#writeRun(run, logdir);
      out.push(r);
      onRun?.(r);
    }
    return out;
  }

  async #writeRun(run: RunRecord, logdir: string): Promise<TbWrittenRun> {
    const dir = runDirName(run);
    const abs = join(logdir, dir);
    await mkdir(abs, { recursive: true });
    for (const name of await readdir(abs)) if (name.endsWith(WRITTEN_SUFFIX)) await rm(join(abs, name), { force: true });
    const store = this.d.store;
    const [summaries, histogramKeys, notes, params] = await Promise.all([
      store.metricSummaries([run.id]),
      store.histogramKeys(run.id),
      store.runNotes(run.id),
      store.runParams(run.id),
    ]);
    const start = run.startedAt ?? run.createdAt;
    const fh = await open(join(abs, eventFileName(Date.now(), hostname(), process.pid, 0, WRITTEN_SUFFIX)), 'wx');
    let scalars = 0;
    let histograms = 0;
    try {
      const w = new RecordWriter(fh);
      await w.add(fileVersionRecord(start));
      await w.add(sessionStartRecord(params, run.id, start));
      for (const key of Object.keys(summaries.get(run.id) ?? {}).sort()) {
        const c = await store.metricSeries(run.id, key);
        for (let i = 0; i < c.steps.length; i++) await w.add(scalarRecord(key, c.steps[i]!, c.ts[i]!, c.values[i]!));
        scalars += c.steps.length;
      }
      for (const h of histogramKeys) {
        const { points } = await store.histogramSeries(run.id, h.key);
        for (const p of points) await w.add(histogramRecord(h.key, p));
        histograms += points.length;
      }
      for (const n of notes) await w.add(textRecord(n.key, n.step, n.ts, n.text));
      await w.add(sessionEndRecord(sessionStatus(run.status), run.endedAt ?? Date.now()));
      await w.flush();
      await fh.sync();
    } finally {
      await fh.close();
    }
    return { id: run.id, name: run.name, dir, scalars, histograms, notes: notes.length, params: Object.keys(params).length };
  }
}
