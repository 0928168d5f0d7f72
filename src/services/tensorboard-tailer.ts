/**
 * @module services/tensorboard-tailer
 * Ingests the TensorBoard event files a run's stages write under REPRISE_TB_DIR while they
 * write them: scalars become metrics, histograms histogram series, text notes, hparams
 * params. Polled like the metrics file, one read at a time; nothing in the files can fail
 * the run (damaged records are skipped and counted).
 */
import { RepriseError } from '../core/errors.js';
import { EventHarvest, type Harvest } from '../core/tfevents/event-harvest.js';
import type { ParamValue } from '../core/params.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { EventLogReader, type EventFileProblem, type EventReadReport } from './event-log-reader.js';

/** Event writers flush every few seconds at most; a second between reads is live enough. */
export const TENSORBOARD_POLL_MS = 1000;

/** Hparams whose name a param of the run already holds with another value are kept as tags under this prefix. */
export const HPARAM_TAG_PREFIX = 'tensorboard.hparam.';

/** Stores a harvest in a run: metrics, histograms, notes, then hparams as params. */
export async function storeHarvest(store: MetadataStore, runId: string, h: Harvest): Promise<void> {
  if (h.metrics.length > 0) await store.appendMetrics(runId, h.metrics);
  if (h.histograms.length > 0) await store.appendHistograms(runId, h.histograms);
  if (h.notes.length > 0) await store.appendNotes(runId, h.notes);
  if (Object.keys(h.params).length > 0) await logHparams(store, runId, h.params);
}

/** Params are immutable: an hparam that disagrees with the run's own param is kept as a tag, not lost. */
async function logHparams(store: MetadataStore, runId: string, params: Record<string, ParamValue>): Promise<void> {
  try {
    await store.logParams(runId, params);
    return;
  } catch (e) {
    if (!(e instanceof RepriseError) || e.code !== 'REPRISE_ERR_PARAM_IMMUTABLE') throw e;
  }
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    try {
      await store.logParams(runId, { [k]: v });
    } catch (e) {
      if (!(e instanceof RepriseError) || e.code !== 'REPRISE_ERR_PARAM_IMMUTABLE') throw e;
      tags[HPARAM_TAG_PREFIX + k] = String(v);
    }
  }
  await store.setTags(runId, tags);
}

export class TensorboardTailer {
  readonly #reader: EventLogReader;
  readonly #harvest = new EventHarvest();
  readonly #store: MetadataStore;
  readonly #runId: string;
  readonly #onProblem: (p: EventFileProblem) => void;
  #timer: NodeJS.Timeout | undefined;
  #reading: Promise<void> = Promise.resolve();
  #error: unknown;

  constructor(opts: { dir: string; store: MetadataStore; runId: string; onProblem: (p: EventFileProblem) => void }) {
    this.#reader = new EventLogReader(opts.dir);
    this.#store = opts.store;
    this.#runId = opts.runId;
    this.#onProblem = opts.onProblem;
  }

  start(): void {
    this.#timer = setInterval(() => this.#schedule(false), TENSORBOARD_POLL_MS);
  }

  /** Reads to the end of every file, stores the rest, and stops. Throws if storing ever failed. */
  async stop(): Promise<EventReadReport> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#schedule(true);
    await this.#reading;
    if (this.#error) throw this.#error;
    return this.#reader.report();
  }

  #schedule(final: boolean): void {
    this.#reading = this.#reading
      .then(async () => {
        await this.#reader.read(this.#harvest, final, this.#onProblem);
        if (this.#harvest.pending) await storeHarvest(this.#store, this.#runId, this.#harvest.take());
      })
      .catch((e: unknown) => {
        this.#error ??= e;
      });
  }
}
