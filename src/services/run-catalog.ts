/**
 * @module services/run-catalog
 * Reading runs back: finding one by id, id prefix or name; search and listings with
 * final metrics and tags; a run's logs (live while it runs, from blobs after); its
 * metric history, downsampled on request. Every read first settles runs whose process
 * is gone, so none shows `running` forever.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DownsampleMethod } from '../core/downsample.js';
import { RepriseError } from '../core/errors.js';
import type { MetricColumns } from '../core/metric-series.js';
import type { ParamValue } from '../core/params.js';
import { retentionOf, type Retention } from '../core/retention.js';
import type { RunRecord } from '../core/run.js';
import { parseRunFilter, parseRunOrder, type FilterExpr } from '../core/run-filter.js';
import { isActive, type Artifact, type MetricSummary, type RunStatus } from '../core/run-manifest.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { RunModelVersion } from '../core/model-store.js';
import type { MetadataStore, RunQuery } from '../ports/metadata-store.js';
import type { LogFile, RunLogStore } from '../ports/run-log-store.js';
import { reconcileLostRuns } from './liveness.js';

export interface RunListing {
  readonly run: RunRecord;
  readonly metrics: Record<string, MetricSummary>;
  readonly tags: Record<string, string>;
  /** Whether its artifacts stay; null while it runs. */
  readonly retention: Retention | null;
}

export interface RunSearch {
  readonly project?: string;
  readonly statuses?: readonly RunStatus[];
  readonly dev?: boolean;
  /** The filter grammar of core/run-filter, as typed. */
  readonly filter?: string;
  /** One field and a direction, e.g. `metrics.acc desc`. */
  readonly order?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

/** Runs named, or found by project and filter (a command takes one way or the other). */
export interface RunSelection {
  readonly refs?: readonly string[];
  readonly project?: string;
  /** core/run-filter grammar. */
  readonly filter?: string;
}

/** Runs read per page while selecting all of a search. */
const SELECT_PAGE = 500;

export interface RunListingPage {
  readonly runs: RunListing[];
  readonly nextCursor: string | null;
}

export interface HistoryRequest {
  /** Downsample to at most this many points; absent: the whole series. */
  readonly maxPoints?: number;
  readonly method?: DownsampleMethod;
}

export interface MetricHistory {
  readonly key: string;
  /** Points in the stored series. */
  readonly total: number;
  readonly downsampled: boolean;
  readonly points: MetricColumns;
}

/** Waits for something to happen to a run (an event from the server), or a while. */
export type ActivityWaiter = (runId: string, maxMs: number) => Promise<void>;

export type LogStream = LogFile;

export interface LogChunk {
  readonly stage: string;
  readonly text: string;
}

export class RunCatalog {
  readonly #store: MetadataStore;
  readonly #blobs: BlobStore;
  readonly #logs: RunLogStore;
  readonly #waitForActivity: ActivityWaiter;

  constructor(deps: { store: MetadataStore; blobs: BlobStore; logs: RunLogStore; waitForActivity?: ActivityWaiter }) {
    this.#store = deps.store;
    this.#blobs = deps.blobs;
    this.#logs = deps.logs;
    this.#waitForActivity = deps.waitForActivity ?? ((_runId, ms) => sleep(ms));
  }

  /** Settles runs whose driver is gone; `listeningSince`: see liveness.isRunOrphaned (a server passes its start). */
  async reconcile(listeningSince = 0): Promise<void> {
    await reconcileLostRuns(this.#store, Date.now(), listeningSince);
  }

  /** The run named by a full id, a unique id prefix, or a name. */
  async resolve(ref: string): Promise<RunRecord> {
    await this.reconcile();
    const needle = ref.trim();
    if (needle === '') throw new RepriseError('REPRISE_ERR_ARG_INVALID', 'a run must be named by its id, an id prefix or its name');
    const found = await this.#store.findRuns(needle, 20);
    const exactId = found.find((r) => r.id === needle.toLowerCase());
    if (exactId) return exactId;
    const byName = found.filter((r) => r.name === needle);
    if (byName.length === 1) return byName[0]!;
    const candidates = byName.length > 1 ? byName : found;
    if (candidates.length === 1) return candidates[0]!;
    if (candidates.length === 0) {
      throw new RepriseError('REPRISE_ERR_RUN_NOT_FOUND', `no run has the id, id prefix or name ${JSON.stringify(needle)}`, {
        hint: 'list runs with `reprise ls`',
        details: { ref: needle },
      });
    }
    const list = candidates.slice(0, 10).map((r) => `${r.id} (${r.name})`).join(', ');
    throw new RepriseError('REPRISE_ERR_RUN_AMBIGUOUS', `${JSON.stringify(needle)} matches ${candidates.length >= 20 ? '20 or more' : candidates.length} runs: ${list}`, {
      hint: 'give more characters of the id',
      details: { ref: needle, matches: candidates.map((r) => r.id) },
    });
  }

  /** A page of runs: filtered, ordered, with their final metrics and tags. Bad filters are refused with the token at fault. */
  async list(query: RunSearch): Promise<RunListingPage> {
    // A bad filter or order is refused before lost runs are settled.
    const parsed = parseSearch(query);
    await this.reconcile();
    return this.#page(query, parsed);
  }

  /** The same without settling lost runs first: for the server, which settles them on a timer. */
  async search(query: RunSearch): Promise<RunListingPage> {
    return this.#page(query, parseSearch(query));
  }

  /**
   * The runs a command works on: the ones named (by id, id prefix or name), or every run of
   * the search (all pages, oldest first), each once. `verb` completes "nothing to …" in the
   * refusals: naming runs and searching at once, neither, or a search that finds none.
   */
  async select(req: RunSelection, verb: string): Promise<RunRecord[]> {
    const refs = req.refs ?? [];
    if (refs.length > 0) {
      if (req.project !== undefined || req.filter !== undefined) {
        throw new RepriseError('REPRISE_ERR_ARG_INVALID', 'name runs or select them with --project/--filter, not both');
      }
      const byId = new Map<string, RunRecord>();
      for (const ref of refs) {
        const run = await this.resolve(ref);
        byId.set(run.id, run);
      }
      return [...byId.values()];
    }
    if (req.project === undefined && req.filter === undefined) {
      throw new RepriseError('REPRISE_ERR_ARG_INVALID', `nothing to ${verb}: name runs, or select them with --project and/or --filter`);
    }
    const out = new Map<string, RunRecord>();
    let cursor: string | undefined;
    do {
      const page = await this.list({
        ...(req.project !== undefined ? { project: req.project } : {}),
        ...(req.filter !== undefined ? { filter: req.filter } : {}),
        order: 'created asc',
        limit: SELECT_PAGE,
        ...(cursor ? { cursor } : {}),
      });
      for (const l of page.runs) out.set(l.run.id, l.run);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    if (out.size === 0) {
      const what = [req.project !== undefined ? `of project ${JSON.stringify(req.project)}` : '', req.filter !== undefined ? `matching ${JSON.stringify(req.filter)}` : ''].filter(Boolean).join(' ');
      throw new RepriseError('REPRISE_ERR_RUN_NOT_FOUND', `no run ${what}: nothing to ${verb}`, { hint: 'list runs with `reprise ls`' });
    }
    return [...out.values()];
  }

  /** How many runs a search matches. */
  async count(query: RunSearch): Promise<number> {
    return this.#store.countRuns(conditionsOf(query, parseSearch({ ...query, order: undefined }).filter));
  }

  async #page(query: RunSearch, { filter, order }: ReturnType<typeof parseSearch>): Promise<RunListingPage> {
    const page = await this.#store.listRuns({
      ...conditionsOf(query, filter),
      ...(order ? { order } : {}),
      ...(query.limit !== undefined ? { limit: query.limit } : {}),
      ...(query.cursor ? { cursor: query.cursor } : {}),
    });
    const ids = page.runs.map((r) => r.id);
    const [metrics, tags, marks] = await Promise.all([this.#store.metricSummaries(ids), this.#store.tagsOf(ids), this.#store.retentionMarks(ids)]);
    return {
      runs: page.runs.map((run) => ({ run, metrics: metrics.get(run.id) ?? {}, tags: tags.get(run.id) ?? {}, retention: retentionOf(run, marks.get(run.id)) })),
      nextCursor: page.nextCursor,
    };
  }

  async details(ref: string): Promise<RunDetails> {
    return this.detailsOf(await this.resolve(ref));
  }

  async detailsOf(run: RunRecord): Promise<RunDetails> {
    const [metrics, artifacts, tags, params, marks, models] = await Promise.all([
      this.#store.metricSummaries([run.id]),
      this.#store.listArtifacts(run.id),
      this.#store.tagsOf([run.id]),
      this.#store.runParams(run.id),
      this.#store.retentionMarks([run.id]),
      this.#store.modelVersionsOfRuns([run.id]),
    ]);
    return {
      run,
      metrics: metrics.get(run.id) ?? {},
      artifacts,
      tags: tags.get(run.id) ?? {},
      params,
      retention: retentionOf(run, marks.get(run.id)),
      models: models.get(run.id) ?? [],
    };
  }

  /** One key's history, whole or downsampled (extremes kept); unknown keys are an error naming the known ones. */
  async metricHistory(run: RunRecord, key: string, req: HistoryRequest = {}): Promise<MetricHistory> {
    const read =
      req.maxPoints === undefined
        ? await this.#store.metricSeries(run.id, key).then((points) => ({ total: points.steps.length, points }))
        : await this.#store.metricHistory(run.id, key, { maxPoints: req.maxPoints, ...(req.method ? { method: req.method } : {}) });
    if (read.total === 0) {
      const known = Object.keys((await this.#store.metricSummaries([run.id])).get(run.id) ?? {});
      throw new RepriseError('REPRISE_ERR_METRIC_NOT_FOUND', `run ${run.name} has no metric ${JSON.stringify(key)}${known.length ? `; it has: ${known.join(', ')}` : '; it has no metrics'}`, {
        details: { run: run.id, key, known },
      });
    }
    return { key, total: read.total, downsampled: read.points.steps.length < read.total, points: read.points };
  }

  /** The stages whose logs are asked for; an unknown stage is an error naming the real ones. */
  stagesOf(run: RunRecord, stage?: string): string[] {
    const names = run.manifest.pipeline.stages.map((s) => s.name);
    if (stage === undefined) return names;
    if (!names.includes(stage)) {
      throw new RepriseError('REPRISE_ERR_STAGE_NOT_FOUND', `run ${run.name} has no stage ${JSON.stringify(stage)}; its stages are: ${names.join(', ')}`, {
        details: { run: run.id, stage, stages: names },
      });
    }
    return [stage];
  }

  /**
   * A stage's log from byte `offset` on, and whether it is complete (the stage ended and
   * its log was stored). While the stage runs, the log is read from the run's folder.
   */
  async readLog(run: RunRecord, stage: string, stream: LogStream, offset: number): Promise<{ data: Buffer; complete: boolean }> {
    const rec = run.manifest.execution.stages.find((s) => s.name === stage);
    if (rec?.logs) {
      const all = await this.#blobs.read(rec.logs[stream].sha256);
      return { data: all.subarray(offset), complete: true };
    }
    const data = await this.#logs.read(run.id, stage, stream, offset);
    const ended = !isActive(run.status);
    return { data, complete: ended && rec?.status !== 'running' };
  }

  /** The live copy of a running stage's log, from `offset` on. */
  readLiveLog(run: RunRecord, stage: string, file: LogFile, offset: number): Promise<Buffer> {
    return this.#logs.read(run.id, stage, file, offset);
  }

  async refresh(run: RunRecord): Promise<RunRecord> {
    await this.reconcile();
    return (await this.#store.getRun(run.id)) ?? run;
  }

  /** Returns when the run has news (through the server) or after `maxMs` (embedded: polling). */
  waitForActivity(run: RunRecord, maxMs: number): Promise<void> {
    return this.#waitForActivity(run.id, maxMs);
  }
}

/** The store's conditions for a search: project, statuses, dev, the parsed filter. */
function conditionsOf(query: RunSearch, filter: FilterExpr | undefined): RunQuery {
  return {
    ...(query.project !== undefined ? { project: query.project } : {}),
    ...(query.statuses ? { statuses: query.statuses } : {}),
    ...(query.dev !== undefined ? { dev: query.dev } : {}),
    ...(filter ? { filter } : {}),
  };
}

function parseSearch(query: RunSearch) {
  return {
    filter: query.filter === undefined ? undefined : parseRunFilter(query.filter),
    order: query.order === undefined || query.order.trim() === '' ? undefined : parseRunOrder(query.order),
  };
}

export interface RunDetails {
  readonly run: RunRecord;
  readonly metrics: Record<string, MetricSummary>;
  readonly artifacts: Artifact[];
  readonly tags: Record<string, string>;
  /** Every param under its dotted key. */
  readonly params: Record<string, ParamValue>;
  readonly retention: Retention | null;
  /** The model versions made from it. */
  readonly models: RunModelVersion[];
}
