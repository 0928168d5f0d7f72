/**
 * The snapshots of a lake table that runs read, worked out from the runs' reads: one per
 * time read as of and content hash, with the runs that read those same rows. Reads not
 * materialized yet have no hash: those of one time make a pending snapshot of their own.
 */
import type { DataRead } from './api.js';

export interface Snapshot {
  /** Tells snapshots apart (a React key, a test id). */
  key: string;
  /** UTC ms: the rows committed at or before it. */
  asOf: number;
  /** Null for reads not materialized yet. */
  contentHash: string | null;
  /** Null while pending. */
  rows: number | null;
  /** The reads of these rows, newest run first. */
  reads: DataRead[];
}

/**
 * Groups reads by (as-of time, content hash), newest time first; at one time, the
 * materialized snapshots (by hash) before the pending one. Queries that differ give
 * different hashes, so a time read by two queries makes two snapshots.
 */
export function groupSnapshots(reads: readonly DataRead[]): Snapshot[] {
  const groups = new Map<string, Snapshot>();
  for (const read of reads) {
    const key = `${read.asOf}:${read.contentHash ?? 'pending'}`;
    let group = groups.get(key);
    if (!group) {
      group = { key, asOf: read.asOf, contentHash: read.contentHash, rows: null, reads: [] };
      groups.set(key, group);
    }
    group.rows ??= read.rows;
    group.reads.push(read);
  }
  const snapshots = [...groups.values()];
  for (const s of snapshots) s.reads.sort((a, b) => b.createdAt - a.createdAt || compareText(a.runId, b.runId) || compareText(a.name, b.name));
  return snapshots.sort(
    (a, b) => b.asOf - a.asOf || Number(a.contentHash === null) - Number(b.contentHash === null) || compareText(a.contentHash ?? '', b.contentHash ?? ''),
  );
}

/** How many different runs read a snapshot (a run reading the same rows under two names counts once). */
export function runCount(snapshot: Snapshot): number {
  return new Set(snapshot.reads.map((r) => r.runId)).size;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
