/**
 * @module core/run
 * A run as the metadata store keeps it: the columns listings filter and sort on,
 * beside the full manifest.
 */
import { z } from 'zod';
import { RUN_STATUSES, runManifestSchema, type RunManifest, type RunStatus } from './run-manifest.js';

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
  /** When the run was deleted (the MLflow API's soft deletion, undone by a restore); absent or null while it is not. */
  readonly deletedAt?: number | null;
  readonly manifest: RunManifest;
}

/** The parts of a run that change after it is created. */
export interface RunPatch {
  readonly status?: RunStatus;
  readonly startedAt?: number | null;
  readonly endedAt?: number | null;
  readonly heartbeatAt?: number;
  /** Set by the worker that runs a queued run, once it knows the environment. */
  readonly envHash?: string | null;
  readonly manifest?: RunManifest;
}

/** How a run is named on the command line: a full id, a unique id prefix, or a name. */
export type RunRef = string;

export function durationMs(run: Pick<RunRecord, 'startedAt' | 'endedAt' | 'createdAt' | 'status'>, now: number): number | null {
  const start = run.startedAt ?? run.createdAt;
  if (run.endedAt !== null) return run.endedAt - start;
  return ['preparing', 'running'].includes(run.status) ? now - start : null;
}

/** A run record as it travels (the API); checked on arrival like a manifest. */
export const runRecordSchema = z.object({
  id: z.string().regex(/^[0-9a-hjkmnp-tv-z]{26}$/, 'must be a run id (26 lowercase ULID characters)'),
  name: z.string().min(1).max(100),
  project: z.string().min(1).max(200),
  status: z.enum(RUN_STATUSES),
  dev: z.boolean(),
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  host: z.string(),
  pid: z.number().int(),
  pidStart: z.string(),
  heartbeatAt: z.number(),
  envHash: z.string().nullable(),
  deletedAt: z.number().nullable().optional(),
  manifest: runManifestSchema,
});

export const runPatchSchema = z.strictObject({
  status: z.enum(RUN_STATUSES).optional(),
  startedAt: z.number().nullable().optional(),
  endedAt: z.number().nullable().optional(),
  heartbeatAt: z.number().optional(),
  envHash: z.string().nullable().optional(),
  manifest: runManifestSchema.optional(),
});
