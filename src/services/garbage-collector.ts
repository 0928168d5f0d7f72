/**
 * @module services/garbage-collector
 * `reprise gc`: deletes the artifacts of runs whose flag date has passed, blob by blob.
 * Blobs are shared between runs (content addressing), so a blob goes only when nothing
 * that stays references it: no run that is not being collected (kept, pinned, flagged
 * for later, still going), no model version. A collected run keeps its manifest, logs,
 * metrics, code patch and lock; only its artifacts go.
 *
 * Order makes it safe to interrupt and to run beside writers:
 *  1. the due runs are marked `deleted` first (with no date: under way); from then on
 *     nothing can keep or promote them, and a later gc takes up any still under way, so a
 *     gc killed anywhere is finished by the next one; the date is set once none of their
 *     blobs is left but those something that stays uses, and later gcs pass them by;
 *  2. only then are the references of every other run read;
 *  3. a blob is deleted only if no write or touch reached it since the oldest run then in
 *     flight started, nor within a grace period before the gc (the blob store checks this
 *     atomically), so outputs a running run stored, or found already stored, before
 *     recording them are never taken.
 */
import { blobsOfRun } from '../core/bundle-format.js';
import { isRepriseError } from '../core/errors.js';
import { isDue, retentionOf, type RetentionMark } from '../core/retention.js';
import type { RunRecord } from '../core/run.js';
import { isActive, type Artifact } from '../core/run-manifest.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';

/** Default of `graceMs`. */
export const DEFAULT_GC_GRACE_MS = 60_000;
const PAGE = 1000;

export interface GcOptions {
  readonly dryRun?: boolean;
  /**
   * Blobs written this long before the gc started, or since the oldest run in flight
   * started less this, are kept: room for writers that have stored bytes but not yet
   * recorded them (an import, an upload) and for clocks of other machines. Default 1 minute.
   */
  readonly graceMs?: number;
  readonly onProgress?: (p: GcProgress) => void;
  /** Who asked, for the audit log. */
  readonly by?: string;
}

export interface GcProgress {
  readonly phase: 'scanning' | 'deleting';
  readonly done: number;
  readonly total: number;
}

export interface GcReport {
  readonly dryRun: boolean;
  readonly runsChecked: number;
  /** Runs whose artifacts this gc deleted (or would delete), with those an earlier gc left under way. */
  readonly runsCollected: { id: string; name: string; project: string }[];
  readonly blobsFreed: number;
  readonly bytesFreed: number;
  /** Blobs of collected runs kept because a run or model version that stays uses them too. */
  readonly blobsShared: number;
  /** Blobs kept because they were written within the grace period or by a run in flight. */
  readonly blobsInUse: number;
  readonly ms: number;
}

interface Scan {
  readonly runs: number;
  /** Runs to collect: due now, or marked by an earlier gc that did not finish. */
  readonly collected: RunRecord[];
  /** Those an earlier gc marked and did not finish. */
  readonly deletedBefore: Set<string>;
  readonly oldestActive: number | null;
}

export class GarbageCollector {
  constructor(private readonly d: { readonly store: MetadataStore; readonly blobs: BlobStore }) {}

  async collect(options: GcOptions = {}): Promise<GcReport> {
    const started = Date.now();
    const dryRun = options.dryRun ?? false;
    const progress = options.onProgress ?? (() => undefined);

    const first = await this.#scan(started, progress);
    const collected: RunRecord[] = [];
    for (const run of first.collected) {
      if (dryRun || first.deletedBefore.has(run.id)) {
        collected.push(run);
        continue;
      }
      const mark: RetentionMark = { state: 'deleted', until: null, reason: 'artifacts being deleted by gc', manual: false, by: null, at: Date.now() };
      try {
        await this.d.store.setRetention(run.id, mark);
        collected.push(run);
      } catch (e) {
        // Pinned by a promotion since the scan: it stays.
        if (!isRepriseError(e) || e.code !== 'REPRISE_ERR_RUN_PINNED') throw e;
      }
    }
    const ids = new Set(collected.map((r) => r.id));

    // References read after the marks: a run not collected now keeps all it uses.
    const keep = new Set<string>();
    const candidates = new Map<string, number>();
    /** The artifact blobs of each run being collected. */
    const artifactsOf = new Map<string, string[]>();
    let oldestActive = first.oldestActive;
    let checked = 0;
    await this.#eachRun(async (runs, marks) => {
      const artifacts = await Promise.all(runs.map((r) => this.d.store.listArtifacts(r.id)));
      runs.forEach((run, i) => {
        if (isActive(run.status)) oldestActive = Math.min(oldestActive ?? run.createdAt, run.createdAt);
        // A run collected earlier references artifacts that are gone or that a run which stays keeps.
        const collectedBefore = !ids.has(run.id) && marks.get(run.id)?.state === 'deleted';
        for (const use of blobsOfRun(run.manifest, artifacts[i] as Artifact[])) {
          const artifact = use.what.startsWith('artifact ');
          if (artifact && ids.has(run.id)) {
            candidates.set(use.sha256, use.size);
            artifactsOf.set(run.id, [...(artifactsOf.get(run.id) ?? []), use.sha256]);
          } else if (!(artifact && collectedBefore)) keep.add(use.sha256);
        }
      });
      checked += runs.length;
      progress({ phase: 'scanning', done: checked, total: first.runs });
    });
    for (const m of await this.d.store.listModels()) {
      for (const v of (await this.d.store.modelVersions(m.name))?.versions ?? []) for (const f of v.files) keep.add(f.sha256);
    }

    const doomed = [...candidates].filter(([sha]) => !keep.has(sha));
    const shared = candidates.size - doomed.length;
    const writtenSince = Math.min(started, oldestActive ?? started) - (options.graceMs ?? DEFAULT_GC_GRACE_MS);
    let freed = 0;
    let bytes = 0;
    const inUse = new Set<string>();
    for (const [i, [sha, size]] of doomed.entries()) {
      if (dryRun) {
        if (await this.d.blobs.stat(sha)) {
          freed++;
          bytes += size;
        }
      } else if (await this.d.blobs.delete(sha, writtenSince)) {
        freed++;
        bytes += size;
      } else if (await this.d.blobs.stat(sha)) {
        inUse.add(sha);
      }
      if ((i + 1) % 100 === 0 || i + 1 === doomed.length) progress({ phase: 'deleting', done: i + 1, total: doomed.length });
    }
    if (!dryRun) {
      // A run one of whose blobs the time guard kept stays under way: the next gc tries again.
      for (const run of collected.filter((r) => !(artifactsOf.get(r.id) ?? []).some((sha) => inUse.has(sha)))) {
        const done: RetentionMark = { state: 'deleted', until: Date.now(), reason: 'artifacts deleted by gc', manual: false, by: null, at: Date.now() };
        await this.d.store.setRetention(run.id, done);
      }
    }
    return {
      dryRun,
      runsChecked: checked,
      runsCollected: collected.map((r) => ({ id: r.id, name: r.name, project: r.project })),
      blobsFreed: freed,
      bytesFreed: bytes,
      blobsShared: shared,
      blobsInUse: inUse.size,
      ms: Date.now() - started,
    };
  }

  /** The runs to collect: flagged and due, or marked by a gc that did not finish. */
  async #scan(now: number, progress: (p: GcProgress) => void): Promise<Scan> {
    const collected: RunRecord[] = [];
    const deletedBefore = new Set<string>();
    let runs = 0;
    let oldestActive: number | null = null;
    await this.#eachRun(async (page, marks) => {
      for (const run of page) {
        if (isActive(run.status)) oldestActive = Math.min(oldestActive ?? run.createdAt, run.createdAt);
        const r = retentionOf(run, marks.get(run.id));
        const unfinished = r?.state === 'deleted' && r.until === null;
        if (unfinished) deletedBefore.add(run.id);
        if (unfinished || isDue(r, now)) collected.push(run);
      }
      runs += page.length;
      progress({ phase: 'scanning', done: runs, total: 0 });
    });
    return { runs, collected, deletedBefore, oldestActive };
  }

  async #eachRun(fn: (runs: RunRecord[], marks: Map<string, RetentionMark>) => Promise<void>): Promise<void> {
    let cursor: string | undefined;
    do {
      const page = await this.d.store.listRuns({ limit: PAGE, ...(cursor ? { cursor } : {}) });
      await fn(page.runs, await this.d.store.retentionMarks(page.runs.map((r) => r.id)));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
}
