/**
 * @module core/run
 * A run as the metadata store keeps it: the columns listings filter and sort on,
 * beside the full manifest.
 */
import type { RunManifest, RunStatus } from './run-manifest.js';

export interface RunRecord {
  readonly id: string;
  readonly name: string;
  readonly project: string;
  readonly status: RunStatus;
  readonly dev: boolean;
  /** UTC ms. */
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly endedAt: number | null;
  /** The process driving the run, so a dead one can be told apart from a slow one. */
  readonly host: string;
  readonly pid: number;
  /** Start time of that process as the OS reports it, to see through pid reuse. */
  readonly pidStart: string;
  readonly heartbeatAt: number;
  /** The environment key the run needs (null: the system interpreter), so it is never pruned under it. */
  readonly envHash: string | null;
  readonly manifest: RunManifest;
}

/** The parts of a run that change after it is created. */
export interface RunPatch {
  readonly status?: RunStatus;
  readonly startedAt?: number | null;
  readonly endedAt?: number | null;
  readonly heartbeatAt?: number;
  readonly manifest?: RunManifest;
}

/** How a run is named on the command line: a full id, a unique id prefix, or a name. */
export type RunRef = string;

export function durationMs(run: Pick<RunRecord, 'startedAt' | 'endedAt' | 'createdAt' | 'status'>, now: number): number | null {
  const start = run.startedAt ?? run.createdAt;
  if (run.endedAt !== null) return run.endedAt - start;
  return ['preparing', 'running'].includes(run.status) ? now - start : null;
}
