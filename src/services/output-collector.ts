/**
 * @module services/output-collector
 * Stores what a run produced: every file under the output and model folders, and the
 * workspace paths the project declares as outputs, as content-addressed blobs. Symbolic
 * links are not followed (they could point anywhere on the machine); they are reported.
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Artifact } from '../core/run-manifest.js';
import type { BlobStore } from '../ports/blob-store.js';
import { walkFiles } from '../platform/walk-files.js';

export interface OutputSource {
  /** A file or folder on this machine. */
  readonly path: string;
  /** Where its files appear among the run's artifacts, e.g. `outputs` or `model`. */
  readonly as: string;
}

export interface CollectedOutputs {
  readonly artifacts: Artifact[];
  /** Paths passed over, with why. */
  readonly skipped: string[];
}

export async function collectOutputs(sources: readonly OutputSource[], blobs: BlobStore): Promise<CollectedOutputs> {
  const byPath = new Map<string, Artifact>();
  const skipped: string[] = [];
  for (const src of sources) {
    let st;
    try {
      st = await lstat(src.path);
    } catch {
      continue;
    }
    const entries = st.isDirectory()
      ? walkFiles(src.path)
      : (async function* () {
          yield { rel: '', abs: src.path, stats: st };
        })();
    for await (const e of entries) {
      const path = e.rel ? `${src.as}/${e.rel}` : src.as;
      if (!e.stats.isFile()) {
        skipped.push(`${path} (${e.stats.isSymbolicLink() ? 'symbolic link' : 'not a regular file'})`);
        continue;
      }
      if (byPath.has(path)) continue;
      const ref = await blobs.putFile(e.abs);
      byPath.set(path, { path, size: ref.size, sha256: ref.sha256 });
    }
  }
  const artifacts = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { artifacts, skipped };
}

export function outputSourcesFor(opts: { outputDir: string; modelDir: string; projectWorkspace: string; declared: readonly string[] }): OutputSource[] {
  return [
    { path: opts.outputDir, as: 'outputs' },
    { path: opts.modelDir, as: 'model' },
    ...opts.declared.map((rel) => ({ path: join(opts.projectWorkspace, rel), as: rel.replace(/\/+$/, '') })),
  ];
}
