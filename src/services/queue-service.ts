/**
 * @module services/queue-service
 * The queue as people see it: cancelling queued or running work wherever it runs, the
 * queues with their waiting and running runs, the workers with their slots, GPUs and
 * runs, and sweeps found by id, prefix or name.
 */
import { RepriseError } from '../core/errors.js';
import { WORKERS_LISTED_FOR_MS, workerState, type SweepSummary, type WorkerRecord, type WorkerState } from '../core/queue.js';
import type { RunRecord } from '../core/run.js';
import { ACTIVE_STATUSES, isActive } from '../core/run-manifest.js';
import type { MetadataStore } from '../ports/metadata-store.js';

/** What `reprise cancel` did to one run. */
export type CancelOutcome =
  /** It was still queued: canceled at once, nothing ran. */
  | 'canceled'
  /** It is preparing or running: its driver was asked to stop it. */
  | 'stopping'
  /** It had ended already: nothing to do. */
  | 'finished';

export interface QueueOverview {
  readonly queues: { readonly name: string; readonly queued: number; readonly active: number }[];
  /** Queued, preparing and running runs, queued first in claim order, then the newest active. */
  readonly runs: RunRecord[];
  readonly workers: (WorkerRecord & { readonly state: WorkerState })[];
}

const OVERVIEW_LIMIT = 5_000;

export class QueueService {
  readonly #store: MetadataStore;

  constructor(deps: { store: MetadataStore }) {
    this.#store = deps.store;
  }

  /**
   * Stops a run wherever it is: a queued run is canceled at once (guarded, so a worker
   * claiming it at that instant wins and is asked to stop instead); an active one is
   * asked to stop, and its driver ends it `canceled` within a heartbeat.
   */
  async cancel(run: RunRecord, by: string, now: number = Date.now()): Promise<CancelOutcome> {
    if (run.status === 'queued') {
      const message = `canceled by ${by} before it started`;
      const manifest = {
        ...run.manifest,
        status: 'canceled' as const,
        failure: { stage: null, exitCode: null, message, stderrTail: [] },
        execution: { ...run.manifest.execution, endedAt: now },
      };
      if (await this.#store.updateRun(run.id, { status: 'canceled', endedAt: now, manifest }, ['queued'])) return 'canceled';
    }
    if (await this.#store.requestCancel(run.id, { by, at: now })) return 'stopping';
    return 'finished';
  }

  /** Cancels every run of a sweep that has not ended; how many of each outcome. */
  async cancelSweep(sweep: SweepSummary, by: string): Promise<Record<CancelOutcome, number>> {
    const counts: Record<CancelOutcome, number> = { canceled: 0, stopping: 0, finished: 0 };
    for (const run of await this.sweepRuns(sweep.id, ACTIVE_STATUSES)) counts[await this.cancel(run, by)]++;
    return counts;
  }

  /** A sweep's runs, oldest first. */
  async sweepRuns(sweepId: string, statuses?: readonly (typeof ACTIVE_STATUSES)[number][]): Promise<RunRecord[]> {
    const out: RunRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#store.listRuns({
        filter: { kind: 'cmp', field: { kind: 'attr', name: 'sweep' }, op: '=', value: sweepId },
        order: { field: { kind: 'attr', name: 'created' }, direction: 'asc' },
        ...(statuses ? { statuses } : {}),
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      out.push(...page.runs);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return out;
  }

  /** The sweep named by a full id, a unique id prefix, or a name (the newest of that name). */
  async resolveSweep(ref: string): Promise<SweepSummary> {
    const needle = ref.trim();
    const found = needle === '' ? [] : await this.#store.findSweeps(needle, 20);
    const exact = found.find((s) => s.id === needle.toLowerCase()) ?? found.find((s) => s.name === needle);
    if (exact) return exact;
    if (found.length === 1) return found[0]!;
    if (found.length === 0) {
      throw new RepriseError('REPRISE_ERR_SWEEP_NOT_FOUND', `no sweep has the id, id prefix or name ${JSON.stringify(needle)}`, {
        hint: 'list sweeps with `reprise sweeps`',
        details: { ref: needle },
      });
    }
    throw new RepriseError('REPRISE_ERR_SWEEP_NOT_FOUND', `${JSON.stringify(needle)} could mean ${found.length} sweeps: ${found.slice(0, 5).map((s) => `${s.name} (${s.id})`).join(', ')}`, {
      hint: 'give more of the id',
      details: { ref: needle },
    });
  }

  async sweeps(project?: string, limit = 100): Promise<SweepSummary[]> {
    return this.#store.listSweeps({ ...(project !== undefined ? { project } : {}), limit });
  }

  /** Queues with their counts, the runs waiting or going, and the workers seen lately. */
  async overview(now: number = Date.now()): Promise<QueueOverview> {
    const { runs } = await this.#store.listRuns({ statuses: ACTIVE_STATUSES, limit: OVERVIEW_LIMIT, order: { field: { kind: 'attr', name: 'created' }, direction: 'asc' } });
    const workers = (await this.#store.listWorkers(now - WORKERS_LISTED_FOR_MS)).map((w) => ({ ...w, state: workerState(w, now) }));
    const queues = new Map<string, { queued: number; active: number }>();
    for (const w of workers) {
      if (w.state === 'stopped') continue;
      for (const q of w.queues) if (!queues.has(q)) queues.set(q, { queued: 0, active: 0 });
    }
    for (const r of runs) {
      const q = r.manifest.submission?.queue;
      if (!q) continue;
      const c = queues.get(q) ?? { queued: 0, active: 0 };
      if (r.status === 'queued') c.queued++;
      else c.active++;
      queues.set(q, c);
    }
    const queued = runs
      .filter((r) => r.status === 'queued')
      .sort((a, b) => (b.manifest.submission?.priority ?? 0) - (a.manifest.submission?.priority ?? 0) || (a.id < b.id ? -1 : 1));
    const going = runs.filter((r) => r.status !== 'queued' && isActive(r.status)).reverse();
    return {
      queues: [...queues].map(([name, c]) => ({ name, ...c })).sort((a, b) => a.name.localeCompare(b.name)),
      runs: [...queued, ...going],
      workers,
    };
  }
}
