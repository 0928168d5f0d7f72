/**
 * @module services/run-manifest-draft
 * The manifest of a run about to be recorded, from what was resolved for it: its
 * execution and outputs start empty. Shared by a new run and a reproduction.
 */
import { MANIFEST_SCHEMA_VERSION, type RunManifest } from '../core/run-manifest.js';
import type { MetadataStore } from '../ports/metadata-store.js';

export function freshManifest(resolved: Pick<RunManifest, 'run' | 'code' | 'params' | 'environment' | 'pipeline'>): RunManifest {
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
export async function imageOf(d: { readonly env?: NodeJS.ProcessEnv; readonly store: MetadataStore }): Promise<RunManifest['environment']['image']> {
  const env = d.env ?? process.env;
  const ref = env.REPRISE_IMAGE;
  if (!ref) return null;
  const digest = env.REPRISE_IMAGE_DIGEST || (await d.store.listImages()).find((i) => i.ref === ref)?.digest || null;
  return { ref, digest };
}
