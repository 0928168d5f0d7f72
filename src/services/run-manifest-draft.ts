/**
 * @module services/run-manifest-draft
 * The manifest of a run about to be recorded, from what was resolved for it: its
 * execution and outputs start empty. Shared by a new run and a reproduction.
 */
import { parseDuration } from '../core/duration.js';
import type { ProjectConfig } from '../core/project-config.js';
import { DEFAULT_FAILED_RETENTION } from '../core/retention.js';
import { MANIFEST_SCHEMA_VERSION, type EnvironmentFacts, type RunManifest } from '../core/run-manifest.js';
import type { Trigger } from '../core/trigger.js';
import type { MetadataStore } from '../ports/metadata-store.js';

/**
 * What reprise.yaml says about judging a run, recorded in its manifest so the run is
 * judged by its own code's rules later: how a reproduction compares, its gates, how long
 * its artifacts stay if it fails.
 */
export function pipelineRules(config: Pick<ProjectConfig, 'reproduce' | 'gates' | 'retention' | 'serve'>): Pick<RunManifest['pipeline'], 'reproduce' | 'gates' | 'retention' | 'serve'> {
  const failed = config.retention?.failed ?? DEFAULT_FAILED_RETENTION;
  return {
    serve: serveRules(config.serve),
    ...(config.reproduce
      ? { reproduce: { tolerance: { ...(config.reproduce.tolerance ?? {}) }, ignore: [...(config.reproduce.ignore ?? [])] } }
      : {}),
    gates: (config.gates ?? []).map((g) => ({ ...g })),
    retention: { failed, failedMs: parseDuration(failed, 'retention.failed') },
  };
}

/** How a promoted version of the run will be served, as the manifest keeps it (the defaults filled in). */
export function serveRules(serve: ProjectConfig['serve']): NonNullable<RunManifest['pipeline']['serve']> | null {
  if (!serve) return null;
  return {
    cmd: serve.cmd,
    workers: serve.workers ?? 1,
    timeoutMs: serve.timeout ? parseDuration(serve.timeout, 'serve.timeout') : DEFAULT_SERVE_TIMEOUT_MS,
    startTimeoutMs: serve.start_timeout ? parseDuration(serve.start_timeout, 'serve.start_timeout') : DEFAULT_SERVE_START_TIMEOUT_MS,
    data: serve.data ?? null,
    target: serve.target ?? null,
  };
}

/** How long one prediction may take, and a model's first (health) answer, unless `serve:` says. */
export const DEFAULT_SERVE_TIMEOUT_MS = 30_000;
export const DEFAULT_SERVE_START_TIMEOUT_MS = 120_000;

export function freshManifest(resolved: Pick<RunManifest, 'run' | 'code' | 'params' | 'environment' | 'pipeline'> & { readonly trigger: Trigger }): RunManifest {
  return {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    ...resolved,
    execution: {
      startedAt: null,
      endedAt: null,
      stages: resolved.pipeline.stages.map((s) => ({
        name: s.name, cmd: s.cmd, status: 'pending', startedAt: null, endedAt: null, exitCode: null, signal: null, logs: null,
      })),
    },
    outputs: {
      metrics: {},
      metricsFile: null,
      metricProblems: { count: 0, examples: [] },
      artifacts: [],
      model: null,
    },
    status: 'preparing',
    failure: null,
  };
}

/**
 * The image this process runs in, if any. The image names itself (its Dockerfile sets
 * REPRISE_IMAGE); its digest comes from whoever started the container
 * (REPRISE_IMAGE_DIGEST), or from the record `reprise image build` made here.
 */
export async function imageOf(d: { readonly env?: NodeJS.ProcessEnv; readonly store: MetadataStore }): Promise<EnvironmentFacts['image']> {
  const env = d.env ?? process.env;
  const ref = env.REPRISE_IMAGE;
  if (!ref) return null;
  const digest = env.REPRISE_IMAGE_DIGEST || (await d.store.listImages()).find((i) => i.ref === ref)?.digest || null;
  return { ref, digest };
}
