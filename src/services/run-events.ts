/**
 * @module services/run-events
 * What changes on runs, as it happens, for live views (the web UI, `reprise logs
 * --follow` through the server): a run's status or record, new metric points, new
 * histogram points and notes, new log bytes. In-process publish and subscribe; the
 * server streams it as server-sent events.
 * A subscriber that falls behind loses nothing it cannot read back: every event names
 * what changed, and the data itself is in the store.
 */
import type { RunStatus } from '../core/run-manifest.js';
import type { LogFile } from '../ports/run-log-store.js';

export type RunEvent =
  | { readonly type: 'run'; readonly runId: string; readonly project: string; readonly status: RunStatus }
  | {
      readonly type: 'metrics';
      readonly runId: string;
      /** Per key: how many points arrived and the newest of them. */
      readonly keys: Readonly<Record<string, { count: number; step: number; value: number }>>;
    }
  /** New histogram points or notes: which keys got some (read them from the store). */
  | { readonly type: 'histograms'; readonly runId: string; readonly keys: readonly string[] }
  | { readonly type: 'notes'; readonly runId: string; readonly keys: readonly string[] }
  | { readonly type: 'log'; readonly runId: string; readonly stage: string; readonly file: LogFile; readonly offset: number; readonly text: string };

export type RunEventListener = (event: RunEvent) => void;

export class RunEventBus {
  readonly #all = new Set<RunEventListener>();
  readonly #byRun = new Map<string, Set<RunEventListener>>();

  /** Listens to one run's events, or every run's without `runId`; returns the unsubscribe. */
  subscribe(listener: RunEventListener, runId?: string): () => void {
    if (runId === undefined) {
      this.#all.add(listener);
      return () => this.#all.delete(listener);
    }
    const set = this.#byRun.get(runId) ?? new Set();
    set.add(listener);
    this.#byRun.set(runId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#byRun.delete(runId);
    };
  }

  publish(event: RunEvent): void {
    for (const l of this.#all) l(event);
    const set = this.#byRun.get(event.runId);
    if (set) for (const l of set) l(event);
  }

  get listeners(): number {
    let n = this.#all.size;
    for (const s of this.#byRun.values()) n += s.size;
    return n;
  }
}
