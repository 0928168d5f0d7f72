/**
 * @module services/model-serving
 * Promoted models answering predictions (`reprise serve`, `reprise server --serve`). Each
 * served `NAME@ALIAS` follows its alias: when the alias moves, the new version is
 * prepared and started beside the old one, takes the traffic only once it has answered
 * its health request, and the old one then drains (its requests in flight are answered)
 * and stops; a new version that fails to start leaves the old one serving, says why,
 * and raises an alert. `NAME@N` serves that version alone. Every request is counted and
 * may be sampled (prediction-recorder).
 */
import { randomUUID } from 'node:crypto';
import { isRepriseError, RepriseError } from '../core/errors.js';
import type { ServedAlias } from '../core/model-monitoring.js';
import { checkAlias, checkModelName, promotionRefusal, type ModelVersion } from '../core/model-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { ModelInstance, ModelRuntime, ModelSpec } from '../ports/model-runtime.js';
import type { ModelService } from './model-service.js';
import type { PredictionRecorder } from './prediction-recorder.js';
import { refused, type PreparedVersion, type VersionPreparer } from './served-version.js';

/** How often a followed alias is read. */
const DEFAULT_POLL_MS = 2_000;
/** How long an old version may take to answer what it holds before it is stopped. */
const DEFAULT_DRAIN_MS = 30_000;
/** Rows one request may carry. */
export const MAX_ROWS_PER_REQUEST = 10_000;

export interface ServingDeps {
  readonly store: MetadataStore;
  readonly models: ModelService;
  readonly preparer: VersionPreparer;
  readonly runtimes: { readonly jsonLines: ModelRuntime; readonly onnx: ModelRuntime };
  readonly recorder: PredictionRecorder;
  /** Told of a version that failed to take over its alias (an alert), and of each version that starts serving (its reference profile). */
  readonly onFailedSwitch?: (model: string, alias: string, version: number, error: string) => void;
  readonly onServing?: (version: ModelVersion) => void;
  readonly say?: (message: string) => void;
  /** JSON-lines workers per version, overriding `serve.workers`. */
  readonly workers?: number;
  readonly pollMs?: number;
  readonly drainMs?: number;
}

export interface PredictAnswer {
  readonly id: string;
  readonly model: string;
  readonly alias: string;
  readonly version: number;
  readonly outputs: unknown[];
}

interface Slot {
  readonly version: ModelVersion;
  readonly prepared: PreparedVersion;
  readonly instance: ModelInstance;
  readonly since: number;
  inFlight: number;
}

interface Served {
  readonly model: string;
  /** An alias, or the version number as text for a fixed version. */
  readonly alias: string;
  readonly follows: boolean;
  active: Slot;
  pending: { version: number; error: string | null } | null;
  /** A version that failed to start: not tried again until the alias moves elsewhere. */
  failed: number | null;
}

/** `NAME@ALIAS` or `NAME@N`, each part checked. */
export function parseServeTarget(text: string): { model: string; alias: string | null; version: number | null } {
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) {
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', `${JSON.stringify(text)}: name a model version as NAME@ALIAS (e.g. iris-classifier@production) or NAME@VERSION`, {
      details: { field: 'model' },
    });
  }
  const model = checkModelName(text.slice(0, at), 'model name');
  const ref = text.slice(at + 1);
  if (/^\d+$/.test(ref)) return { model, alias: null, version: Number(ref) };
  return { model, alias: checkAlias(ref), version: null };
}

export class ModelServing {
  readonly #served = new Map<string, Served>();
  readonly #watch: NodeJS.Timeout;
  #closed = false;

  constructor(private readonly d: ServingDeps) {
    this.#watch = setInterval(() => void this.#followAliases(), d.pollMs ?? DEFAULT_POLL_MS);
    this.#watch.unref();
  }

  /** Starts serving `NAME@ALIAS` or `NAME@N`; refused (with the reason) for anything but a version of a promoted run. */
  async add(target: string): Promise<ServedAlias> {
    const t = parseServeTarget(target);
    const key = `${t.model}@${t.alias ?? t.version}`;
    if (this.#served.has(key)) throw new RepriseError('REPRISE_ERR_ARG_INVALID', `${key} is served already`, { details: { field: 'model' } });
    const version = await this.#servable(t.model, t.alias !== null ? { alias: t.alias } : { version: t.version! });
    const slot = await this.#start(version);
    const served: Served = { model: t.model, alias: t.alias ?? String(t.version), follows: t.alias !== null, active: slot, pending: null, failed: null };
    this.#served.set(key, served);
    return viewOf(served);
  }

  status(): ServedAlias[] {
    return [...this.#served.values()].map(viewOf);
  }

  /**
   * Answers one request with the version the alias points at now. A bad input the model
   * refuses is REPRISE_ERR_PREDICTION_INVALID with its words; a model that fails is
   * REPRISE_ERR_MODEL_SERVING_FAILED. Either way the request is counted.
   */
  async predict(model: string, alias: string, inputs: unknown[], requestId?: string): Promise<PredictAnswer> {
    const served = this.#served.get(`${model}@${alias}`);
    if (!served) throw notServed(model, alias, this.status());
    const id = requestId ?? randomUUID();
    // Taken and counted in one step, so a switch that starts meanwhile waits for this request.
    const slot = served.active;
    slot.inFlight++;
    const started = performance.now();
    const at = Date.now();
    let answer: Awaited<ReturnType<ModelInstance['predict']>> | undefined;
    let failure: unknown;
    try {
      answer = await slot.instance.predict(id, inputs);
    } catch (e) {
      failure = e;
    } finally {
      slot.inFlight--;
    }
    const latencyMs = performance.now() - started;
    const error = failure !== undefined ? messageOf(failure) : answer && 'error' in answer ? answer.error : null;
    const outputs = answer && 'outputs' in answer ? answer.outputs : null;
    this.d.recorder.record({ requestId: id, model, alias: served.alias, version: slot.version.version, at, latencyMs, inputs, outputs, error });
    if (failure !== undefined) {
      if (isRepriseError(failure)) throw failure;
      throw new RepriseError('REPRISE_ERR_MODEL_SERVING_FAILED', `${model} version ${slot.version.version} failed: ${messageOf(failure)}`, { details: { model, version: slot.version.version } });
    }
    if (outputs === null) {
      throw new RepriseError('REPRISE_ERR_PREDICTION_INVALID', `${model} version ${slot.version.version} refused the inputs: ${error}`, {
        details: { field: 'inputs', model, version: slot.version.version, id },
      });
    }
    return { id, model, alias: served.alias, version: slot.version.version, outputs };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#watch);
    const all = [...this.#served.values()];
    this.#served.clear();
    await Promise.all(all.map((s) => this.#retire(s.active)));
  }

  /** The version, if it may be served: one of a promoted run that is still there. */
  async #servable(model: string, ref: { alias: string } | { version: number }): Promise<ModelVersion> {
    const version = await this.d.models.resolve(model, ref);
    const run = await this.d.store.getRun(version.runId);
    if (!run || run.deletedAt) {
      throw refused(version, `its run ${version.runId} was deleted`, 'restore the run (reprise restore) or serve another version');
    }
    return version;
  }

  async #start(version: ModelVersion): Promise<Slot> {
    const prepared = await this.d.preparer.prepare(version, {
      ...(this.d.workers !== undefined ? { workers: this.d.workers } : {}),
      onNotice: (m) => this.d.say?.(`${version.model} v${version.version}: ${m}`),
      onLog: (w, line) => this.d.say?.(`${version.model} v${version.version} [${w}] ${line}`),
    });
    let instance: ModelInstance;
    try {
      instance = await this.#runtime(prepared.spec).start(prepared.spec);
    } catch (e) {
      await prepared.cleanup();
      throw e;
    }
    this.d.onServing?.(version);
    return { version, prepared, instance, since: Date.now(), inFlight: 0 };
  }

  #runtime(spec: ModelSpec): ModelRuntime {
    return spec.kind === 'onnx' ? this.d.runtimes.onnx : this.d.runtimes.jsonLines;
  }

  /** Reads each followed alias; a move starts the switch (one at a time per alias). */
  async #followAliases(): Promise<void> {
    for (const s of this.#served.values()) {
      if (!s.follows || this.#closed || (s.pending && s.pending.error === null)) continue;
      let now: ModelVersion | undefined;
      try {
        now = await this.d.store.getModelVersion(s.model, { alias: s.alias });
      } catch {
        continue;
      }
      if (!now || now.version === s.active.version.version) {
        if (now && s.pending?.error) s.pending = null;
        s.failed = null;
        continue;
      }
      if (now.version === s.failed) continue;
      void this.#switch(s, now);
    }
  }

  async #switch(s: Served, to: ModelVersion): Promise<void> {
    s.pending = { version: to.version, error: null };
    this.d.say?.(`${s.model}@${s.alias} moved to version ${to.version}: starting it beside version ${s.active.version.version}`);
    let slot: Slot;
    try {
      const version = await this.#servable(s.model, { version: to.version });
      slot = await this.#start(version);
    } catch (e) {
      const error = messageOf(e);
      s.pending = { version: to.version, error };
      s.failed = to.version;
      this.d.say?.(`${s.model}@${s.alias}: version ${to.version} did not start, version ${s.active.version.version} keeps serving: ${error}`);
      this.d.onFailedSwitch?.(s.model, s.alias, to.version, error);
      return;
    }
    if (this.#closed) {
      await this.#retire(slot);
      return;
    }
    const old = s.active;
    s.active = slot;
    s.pending = null;
    s.failed = null;
    this.d.say?.(`${s.model}@${s.alias}: version ${to.version} serves; version ${old.version.version} drains`);
    await this.#retire(old);
  }

  /** Waits for the requests a slot holds, then stops it and removes its folder. */
  async #retire(slot: Slot): Promise<void> {
    const until = Date.now() + (this.d.drainMs ?? DEFAULT_DRAIN_MS);
    while (slot.inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    await slot.instance.stop(Math.max(0, until - Date.now())).catch(() => undefined);
    await slot.prepared.cleanup().catch(() => undefined);
  }
}

function viewOf(s: Served): ServedAlias {
  return { model: s.model, alias: s.alias, version: s.active.version.version, since: s.active.since, runtime: s.active.instance.describe, pending: s.pending ? { ...s.pending } : null };
}

export function notServed(model: string, alias: string, served: ServedAlias[]): RepriseError {
  const here = served.map((s) => `${s.model}@${s.alias}`);
  return new RepriseError('REPRISE_ERR_MODEL_NOT_SERVED', `${model}@${alias} is not served here${here.length ? ` (served: ${here.join(', ')})` : ''}`, {
    hint: `serve it: reprise serve ${model}@${alias}, or start the server with --serve ${model}@${alias}`,
    details: { model, alias },
  });
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Why a run that is no version cannot be served: it was never promoted, and whether it could be. */
export function notPromoted(run: Parameters<typeof promotionRefusal>[0]): RepriseError {
  const could = promotionRefusal(run, null, {});
  return new RepriseError('REPRISE_ERR_SERVE_REFUSED', `run ${run.name} (${run.id}) is not promoted, so it cannot serve predictions${could ? `: ${could.message}` : ''}`, {
    hint: could ? 'only a promoted run (succeeded, passed its gates, promoted) may serve' : `promote it first: reprise promote ${run.id}`,
    details: { run: run.id },
  });
}
