/**
 * @module services/project-overview
 * What the projects page and a project's dashboard show: run counts by status, the best
 * value of the project's headline metrics, runs per week, the success rate, and how the
 * best value of each headline metric moved week by week. Dev runs (quick local tries) are
 * counted apart and never enter the dashboard's figures.
 */
import { RepriseError } from '../core/errors.js';
import { headlineMetrics, isBetter, metricGoal, type MetricGoal } from '../core/metric-goal.js';
import type { RunStatus } from '../core/run-manifest.js';
import type { MetadataStore, ProjectSummary, TimelineEntry } from '../ports/metadata-store.js';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** Metric summaries are read for this many runs at a time. */
const SUMMARY_BATCH = 2_000;

export interface BestValue {
  readonly key: string;
  readonly goal: MetricGoal;
  readonly value: number;
  readonly runId: string;
  readonly runName: string;
  readonly at: number;
}

export interface ProjectView extends ProjectSummary {
  /** The best final value of the headline metric among succeeded runs (dev runs aside), if any has one. */
  readonly best: BestValue | null;
}

export interface WeekFigures {
  /** Monday 00:00 UTC of the week. */
  readonly weekStart: number;
  readonly runs: number;
  readonly succeeded: number;
  /** failed or lost */
  readonly failed: number;
  readonly canceled: number;
  readonly active: number;
}

export interface MetricProgress {
  readonly key: string;
  readonly goal: MetricGoal;
  /** Per week with a succeeded run reporting the metric: that week's best, and the best so far. */
  readonly weeks: { weekStart: number; best: number; bestSoFar: number; runName: string; runId: string }[];
  readonly best: BestValue | null;
}

export interface ProjectDashboard {
  readonly project: string;
  readonly generatedAt: number;
  readonly totals: { runs: number; devRuns: number; succeeded: number; failed: number; canceled: number; active: number; successRate: number | null };
  readonly lastRun: { id: string; name: string; status: RunStatus; createdAt: number } | null;
  readonly weeks: WeekFigures[];
  readonly metrics: MetricProgress[];
  /** Metrics the project's runs record, for choosing others than the headline ones. */
  readonly availableMetrics: string[];
  /** Model versions promoted from the project's runs, newest first (at most 20). */
  readonly promotions: { model: string; version: number; aliases: string[]; runId: string; runName: string; createdAt: number; createdBy: string }[];
}

/** Monday 00:00 UTC of the week holding `t`. */
export function weekStart(t: number): number {
  const day = Math.floor(t / DAY_MS);
  // 1970-01-01 was a Thursday: day 0 is weekday 3 counting from Monday.
  const fromMonday = (day + 3) % 7;
  return (day - fromMonday) * DAY_MS;
}

export class ProjectOverview {
  readonly #store: MetadataStore;

  constructor(deps: { store: MetadataStore }) {
    this.#store = deps.store;
  }

  async projects(): Promise<ProjectView[]> {
    const summaries = await this.#store.listProjects();
    return Promise.all(
      summaries.map(async (p) => {
        const [key] = headlineMetrics((await this.#store.runKeys(p.name)).metrics, 1);
        return { ...p, best: key === undefined ? null : await this.#bestOf(p.name, key) };
      }),
    );
  }

  async #bestOf(project: string, key: string): Promise<BestValue | null> {
    const goal = metricGoal(key);
    // The order index walks runs best first; NaN (stored as null) comes last and is skipped.
    const best = await this.#store.listRuns({
      project,
      statuses: ['succeeded'],
      dev: false,
      order: { field: { kind: 'metric', key, agg: 'last' }, direction: goal === 'max' ? 'desc' : 'asc' },
      limit: 1,
    });
    const run = best.runs[0];
    if (!run) return null;
    const value = (await this.#store.metricSummaries([run.id])).get(run.id)?.[key]?.last;
    if (value === undefined || Number.isNaN(value)) return null;
    return { key, goal, value, runId: run.id, runName: run.name, at: run.createdAt };
  }

  async dashboard(project: string, opts: { metrics?: readonly string[]; now?: number } = {}): Promise<ProjectDashboard> {
    const timeline = await this.#store.runTimeline(project);
    if (timeline.length === 0) {
      throw new RepriseError('REPRISE_ERR_PROJECT_NOT_FOUND', `no project ${JSON.stringify(project)} has runs`, {
        hint: 'start one with `reprise run` in the project folder',
        details: { project },
      });
    }
    const available = (await this.#store.runKeys(project)).metrics;
    const unknown = (opts.metrics ?? []).filter((k) => !available.includes(k));
    if (unknown.length > 0) {
      throw new RepriseError('REPRISE_ERR_REQUEST_INVALID', `metrics: no run of ${project} records ${unknown.map((k) => JSON.stringify(k)).join(', ')}`, {
        details: { field: 'metrics', unknown, available },
      });
    }
    const keys = opts.metrics && opts.metrics.length > 0 ? [...opts.metrics] : headlineMetrics(available);
    const real = timeline.filter((r) => !r.dev);
    const succeeded = real.filter((r) => r.status === 'succeeded');
    return {
      project,
      generatedAt: opts.now ?? Date.now(),
      totals: totalsOf(timeline),
      lastRun: lastRunOf(real.length > 0 ? real : timeline),
      weeks: weeksOf(real),
      metrics: await this.#progress(keys, succeeded),
      availableMetrics: available,
      promotions: (await this.#store.allModelVersions())
        .filter((v) => v.project === project)
        .sort((a, b) => b.createdAt - a.createdAt)
        .slice(0, 20)
        .map((v) => ({ model: v.model, version: v.version, aliases: [...v.aliases], runId: v.runId, runName: v.runName, createdAt: v.createdAt, createdBy: v.createdBy })),
    };
  }

  async #progress(keys: readonly string[], runs: readonly TimelineEntry[]): Promise<MetricProgress[]> {
    const out = keys.map((key) => ({ key, goal: metricGoal(key), byWeek: new Map<number, { value: number; run: TimelineEntry }>(), best: null as BestValue | null }));
    for (let i = 0; i < runs.length; i += SUMMARY_BATCH) {
      const batch = runs.slice(i, i + SUMMARY_BATCH);
      const summaries = await this.#store.metricSummaries(batch.map((r) => r.id));
      for (const run of batch) {
        const m = summaries.get(run.id);
        if (!m) continue;
        for (const p of out) {
          const v = m[p.key]?.last;
          if (v === undefined || Number.isNaN(v)) continue;
          const week = weekStart(run.createdAt);
          const cur = p.byWeek.get(week);
          if (isBetter(p.goal, v, cur?.value)) p.byWeek.set(week, { value: v, run });
          if (isBetter(p.goal, v, p.best?.value)) p.best = { key: p.key, goal: p.goal, value: v, runId: run.id, runName: run.name, at: run.createdAt };
        }
      }
    }
    return out.map((p) => {
      let soFar: number | undefined;
      const weeks = [...p.byWeek.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([weekStart, { value, run }]) => {
          if (isBetter(p.goal, value, soFar)) soFar = value;
          return { weekStart, best: value, bestSoFar: soFar!, runName: run.name, runId: run.id };
        });
      return { key: p.key, goal: p.goal, weeks, best: p.best };
    });
  }
}

function totalsOf(all: readonly TimelineEntry[]): ProjectDashboard['totals'] {
  const real = all.filter((r) => !r.dev);
  const count = (pred: (s: RunStatus) => boolean) => real.filter((r) => pred(r.status)).length;
  const succeeded = count((s) => s === 'succeeded');
  const failed = count((s) => s === 'failed' || s === 'lost');
  return {
    runs: real.length,
    devRuns: all.length - real.length,
    succeeded,
    failed,
    canceled: count((s) => s === 'canceled'),
    active: count((s) => s === 'queued' || s === 'preparing' || s === 'running'),
    // Canceled runs were stopped by someone, not failures of the work.
    successRate: succeeded + failed === 0 ? null : succeeded / (succeeded + failed),
  };
}

function lastRunOf(runs: readonly TimelineEntry[]): ProjectDashboard['lastRun'] {
  const r = runs[runs.length - 1];
  return r ? { id: r.id, name: r.name, status: r.status, createdAt: r.createdAt } : null;
}

/** Every week from the first run's to the last run's, empty weeks included. */
function weeksOf(runs: readonly TimelineEntry[]): WeekFigures[] {
  if (runs.length === 0) return [];
  const first = weekStart(runs[0]!.createdAt);
  const last = weekStart(runs[runs.length - 1]!.createdAt);
  const weeks = new Map<number, { weekStart: number; runs: number; succeeded: number; failed: number; canceled: number; active: number }>();
  for (let w = first; w <= last; w += WEEK_MS) weeks.set(w, { weekStart: w, runs: 0, succeeded: 0, failed: 0, canceled: 0, active: 0 });
  for (const r of runs) {
    const w = weeks.get(weekStart(r.createdAt))!;
    w.runs++;
    if (r.status === 'succeeded') w.succeeded++;
    else if (r.status === 'failed' || r.status === 'lost') w.failed++;
    else if (r.status === 'canceled') w.canceled++;
    else w.active++;
  }
  return [...weeks.values()];
}
