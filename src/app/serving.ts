/**
 * @module app/serving
 * Serving put together over the embedded app: the model runtimes (JSON-lines processes,
 * ONNX in this process), the recorder of traffic and samples, the served aliases, and the
 * monitor that scores their closed windows and raises alerts. Used by `reprise serve`
 * and by `reprise server --serve`.
 */
import { hostname } from 'node:os';
import { JsonLinesRuntime } from '../adapters/model-runtime/json-lines/json-lines-runtime.js';
import { OnnxRuntime } from '../adapters/model-runtime/onnx/onnx-runtime.js';
import { DriftMonitor } from '../services/drift-monitor.js';
import { ModelServing } from '../services/model-serving.js';
import { PredictionRecorder } from '../services/prediction-recorder.js';
import type { EmbeddedApp } from './embedded.js';

export interface ServingOptions {
  /** `NAME@ALIAS` or `NAME@VERSION`, each started before this returns (a refusal stops them all). */
  readonly targets: readonly string[];
  /** JSON-lines workers per version, overriding `serve.workers`. */
  readonly workers?: number;
  readonly say?: (message: string) => void;
}

export interface RunningServing {
  readonly serving: ModelServing;
  readonly monitor: DriftMonitor;
  close(): Promise<void>;
}

/** How often followed aliases are read, and closed windows looked for (milliseconds; tests shorten them). */
function intervalFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const v = Number(env[name]);
  return Number.isFinite(v) && v >= 50 ? v : fallback;
}

export async function startServing(app: EmbeddedApp, o: ServingOptions, env: NodeJS.ProcessEnv = process.env): Promise<RunningServing> {
  const p = app.production;
  const say = o.say;
  const recorder = new PredictionRecorder({ monitoring: p.store, settings: p.settings, node: `${hostname()}:${process.pid}`, ...(say ? { onError: say } : {}) });
  recorder.start();
  const serving = new ModelServing({
    store: app.store,
    models: app.models,
    preparer: p.preparer,
    runtimes: { jsonLines: new JsonLinesRuntime(), onnx: new OnnxRuntime() },
    recorder,
    onFailedSwitch: (model, alias, version, error) =>
      void p.alerts
        .raise({ model, version, kind: 'serving', subject: alias, message: `version ${version} did not take over ${model}@${alias}; the version before keeps serving: ${error}`, value: null, threshold: null, windowStart: null, raisedAt: Date.now() })
        .catch(() => undefined),
    onServing: (v) => void p.profiles.ensure(v).catch(() => undefined),
    ...(say ? { say } : {}),
    ...(o.workers !== undefined ? { workers: o.workers } : {}),
    pollMs: intervalFrom(env, 'REPRISE_SERVE_POLL_MS', 2_000),
  });
  const since = Date.now();
  try {
    for (const t of o.targets) await serving.add(t);
  } catch (e) {
    await serving.close();
    await recorder.close();
    throw e;
  }
  // Read before the first request, so it is sampled at the model's rate rather than the default's.
  await Promise.all([...new Set(serving.status().map((s) => s.model))].map((m) => p.settings.get(m).catch(() => undefined)));
  p.servedHere = () => serving.status();
  const monitor = new DriftMonitor({ monitoring: p.store, settings: p.settings, profiles: p.profiles, alerts: p.alerts, ...(say ? { say } : {}) });
  monitor.start(() => [...new Set(serving.status().map((s) => s.model))], since, intervalFrom(env, 'REPRISE_MONITOR_TICK_MS', 5_000));
  return {
    serving,
    monitor,
    close: async () => {
      await monitor.stop();
      await serving.close();
      await recorder.close();
      p.servedHere = () => [];
    },
  };
}
