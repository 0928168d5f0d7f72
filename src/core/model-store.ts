/**
 * @module core/model-store
 * The model store's records: registered models, their versions (each the model output
 * of one promoted run, with the lineage that leads back to it), aliases, and the audit
 * log of promotions and alias moves. Also the rules on names, and how `NAME@ALIAS` or
 * `NAME@VERSION` is read.
 */
import { RepriseError } from './errors.js';
import type { GateOutcome } from './gates.js';
import type { Artifact, BlobRef, ManifestMetric, RunManifest } from './run-manifest.js';
import type { RunRecord } from './run.js';

/** Where a run's model files sit among its artifacts. */
export const MODEL_ARTIFACT_PREFIX = 'model/';
export const DEFAULT_ALIAS = 'candidate';

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** An alias starts with a letter, so `NAME@3` can only mean a version. */
const ALIAS = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;

export interface ModelFile {
  /** Relative to the model folder. */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

/** Everything a version leads back to: enough to reproduce the run that made it. */
export interface ModelLineage {
  readonly run: { id: string; name: string; project: string; createdAt: number; endedAt: number | null };
  /** Null for a run logged through the MLflow client outside `reprise run`: no code was recorded. */
  readonly code:
    | { kind: 'git'; commit: string; branch: string | null; remoteUrl: string | null; dirty: boolean; patch: BlobRef | null }
    | { kind: 'folder'; snapshot: BlobRef }
    | null;
  readonly params: Record<string, unknown>;
  readonly paramsHash: string;
  /** The data snapshots the run read (none before the lake). */
  readonly data: unknown[];
  readonly environment: { python: string | null; envHash: string | null; lock: BlobRef | null; image: { ref: string; digest: string | null } | null };
  readonly metrics: Record<string, ManifestMetric>;
  readonly gate: GateOutcome | null;
}

export interface ModelVersion {
  readonly model: string;
  readonly version: number;
  readonly runId: string;
  readonly runName: string;
  readonly project: string;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly note: string | null;
  /** Free text, changed at will (the MLflow API's description). */
  readonly description: string | null;
  readonly tags: Readonly<Record<string, string>>;
  /** The folder among the run's artifacts its files came from (`model` unless registered from another). */
  readonly path: string;
  readonly files: ModelFile[];
  readonly bytes: number;
  /** The aliases pointing at this version now. */
  readonly aliases: string[];
  readonly lineage: ModelLineage;
}

export interface RegisteredModel {
  readonly name: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly description: string | null;
  readonly tags: Readonly<Record<string, string>>;
  readonly versions: number;
  readonly latestVersion: number;
  readonly aliases: Record<string, number>;
}

export interface ModelAuditEntry {
  readonly id: number;
  readonly at: number;
  readonly by: string;
  /** `unalias`: an alias removed; `delete`: a version removed (toVersion) or the whole model (toVersion 0). */
  readonly action: 'promote' | 'alias' | 'unalias' | 'delete';
  readonly model: string;
  readonly alias: string;
  readonly fromVersion: number | null;
  readonly toVersion: number;
  readonly runId: string | null;
  readonly note: string | null;
}

/** A model version named from the run that made it. */
export interface RunModelVersion {
  readonly model: string;
  readonly version: number;
  readonly aliases: string[];
}

/** A version named by number or by alias. */
export type VersionRef = { readonly version: number } | { readonly alias: string };

export function checkModelName(name: string, what = 'model name'): string {
  if (!MODEL_NAME.test(name)) {
    throw new RepriseError('REPRISE_ERR_MODEL_INVALID', `${what} ${JSON.stringify(name)}: 1 to 100 letters, digits, ".", "_" or "-", starting with a letter or digit`, {
      details: { field: what, value: name },
    });
  }
  return name;
}

export function checkAlias(alias: string): string {
  if (!ALIAS.test(alias)) {
    throw new RepriseError('REPRISE_ERR_MODEL_INVALID', `alias ${JSON.stringify(alias)}: 1 to 63 letters, digits, "_" or "-", starting with a letter (so it is never read as a version)`, {
      details: { field: 'alias', value: alias },
    });
  }
  return alias;
}

/** A version's reference as typed after `@` or in a URL: digits are a version, anything else an alias. */
export function parseVersionRef(text: string, what = 'version'): VersionRef {
  if (/^\d+$/.test(text)) {
    const version = Number(text);
    if (!Number.isSafeInteger(version) || version < 1) throw new RepriseError('REPRISE_ERR_MODEL_INVALID', `${what} ${text}: versions count from 1`, { details: { field: what } });
    return { version };
  }
  return { alias: checkAlias(text) };
}

/** `NAME@ALIAS` or `NAME@VERSION`. */
export function parseModelRef(text: string): { name: string; ref: VersionRef } {
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) {
    throw new RepriseError('REPRISE_ERR_MODEL_INVALID', `${JSON.stringify(text)}: expected NAME@ALIAS or NAME@VERSION, e.g. churn@production or churn@3`, {
      details: { value: text },
    });
  }
  return { name: checkModelName(text.slice(0, at)), ref: parseVersionRef(text.slice(at + 1)) };
}

export function describeRef(name: string, ref: VersionRef): string {
  return 'version' in ref ? `${name} v${ref.version}` : `${name}@${ref.alias}`;
}

/** The model files of a run: its artifacts under `model/` (or another folder), relative to that folder. */
export function modelFilesOf(artifacts: readonly Artifact[], folder: string = MODEL_ARTIFACT_PREFIX): ModelFile[] {
  const prefix = folder.endsWith('/') ? folder : `${folder}/`;
  return artifacts.filter((a) => a.path.startsWith(prefix)).map((a) => ({ path: a.path.slice(prefix.length), size: a.size, sha256: a.sha256 }));
}

/**
 * What a version made from `run` records of it. `params` are all the run's params, those
 * a client logged as it went included (the manifest holds the resolved file's alone).
 */
export function lineageOf(run: RunRecord, params?: Readonly<Record<string, unknown>>): ModelLineage {
  const m: RunManifest = run.manifest;
  const code = m.code;
  const env = m.environment;
  return {
    run: { id: run.id, name: run.name, project: run.project, createdAt: run.createdAt, endedAt: run.endedAt },
    code:
      code === null
        ? null
        : code.kind === 'git'
          ? { kind: 'git', commit: code.commit, branch: code.branch, remoteUrl: code.remoteUrl, dirty: code.dirty, patch: code.patch }
          : { kind: 'folder', snapshot: code.snapshot },
    params: { ...(params ?? m.params.values) },
    paramsHash: m.params.hash,
    data: [],
    environment: {
      python: env?.resolved?.pythonVersion ?? env?.python?.version ?? null,
      envHash: run.envHash,
      lock: env?.resolved?.lock ?? null,
      image: env?.image ?? null,
    },
    metrics: { ...m.outputs.metrics },
    gate: m.outputs.gate ?? null,
  };
}

/**
 * Why `run` may not become a model version, or null when it may: it succeeded, its gates
 * passed (or it has none), its artifacts are still there, and it has a model output (in
 * `model.folder` of `model.artifacts`: by default `model/` of the manifest's outputs).
 * Checked by the promotion service for its message and again by the store, atomically.
 */
export function promotionRefusal(
  run: RunRecord,
  deletedAt: number | null,
  model: { readonly folder?: string; readonly artifacts?: readonly Artifact[]; readonly forced?: boolean } = {},
): RepriseError | null {
  const folder = model.folder ?? MODEL_ARTIFACT_PREFIX;
  const who = `run ${run.name} (${run.id})`;
  const refuse = (why: string, details: Record<string, unknown> = {}, hint?: string) =>
    new RepriseError('REPRISE_ERR_PROMOTION_REFUSED', `${who} cannot be promoted: ${why}`, { details: { run: run.id, ...details }, ...(hint ? { hint } : {}) });
  if (run.status !== 'succeeded') return refuse(`it is ${run.status}; only a run that succeeded can be promoted`, { status: run.status });
  const gate = run.manifest.outputs.gate;
  // An admin's forced promotion waives the gates only: the run must still have succeeded and have its files.
  if (!model.forced) {
    if (!gate) return refuse('its gates were never evaluated', {}, `evaluate them with: reprise gate ${run.name}`);
    if (gate.status === 'failed') {
      const failed = gate.results.filter((r) => !r.passed).map((r) => r.reason ?? r.metric);
      return refuse(`it failed ${failed.length === 1 ? 'a gate' : `${failed.length} gates`}:\n${failed.map((f) => `  - ${f}`).join('\n')}`, { failedGates: failed }, 'an admin may promote it anyway, saying why: reprise promote RUN --force --reason TEXT');
    }
  }
  if (deletedAt !== null) return refuse(`its artifacts were deleted by gc on ${new Date(deletedAt).toISOString()}`, { deletedAt });
  if (modelFilesOf(model.artifacts ?? run.manifest.outputs.artifacts, folder).length === 0) {
    const where = folder.replace(/\/$/, '') === MODEL_ARTIFACT_PREFIX.replace(/\/$/, '') ? 'its model folder (REPRISE_MODEL_DIR, or model.path of reprise.yaml)' : `its artifacts' folder ${folder.replace(/\/$/, '')}/`;
    return new RepriseError('REPRISE_ERR_MODEL_INVALID', `${who} has no model output: nothing was written under ${where}`, {
      details: { run: run.id, field: 'model' },
    });
  }
  return null;
}
