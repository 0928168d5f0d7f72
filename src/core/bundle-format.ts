/**
 * @module core/bundle-format
 * The run bundle (`reprise export` / `reprise import`): one gzip-compressed tar holding
 * an index, each run's record, metric series, histogram points and notes, the checks
 * between its runs, and every blob they reference, named by its sha256. This module
 * holds what a bundle must look like: the layout of entry paths, the schemas of its JSON
 * files, and which blobs a run needs. Pure: reading and writing the tar is the service's.
 */
import { z } from 'zod';
import { RepriseError } from './errors.js';
import { runRecordSchema } from './run.js';
import { artifactSchema, type Artifact, type RunManifest } from './run-manifest.js';
import { verificationSchema } from './verification.js';

export const BUNDLE_FORMAT = 'reprise-bundle';
/** The newest version this reads and writes: 2 added runs' histograms.json and notes.json. */
export const BUNDLE_VERSION = 2;
/**
 * The version of a bundle whose runs have no histograms and no notes: such a bundle is
 * a version 1 bundle, and is written as one so that Reprise before version 2 reads it too.
 */
export const BUNDLE_VERSION_PLAIN = 1;
/** The index: every other file with its sha256 and size. */
export const INDEX_PATH = 'reprise-bundle.json';
/** The checks (`reprise verify`) whose two runs are both in the bundle. */
export const VERIFICATIONS_PATH = 'verifications.json';
/** Every bundled run has run.json and metrics.json; histograms.json and notes.json only a run that recorded some. */
export const RUN_FILES = ['run.json', 'metrics.json', 'histograms.json', 'notes.json'] as const;
export type RunFile = (typeof RUN_FILES)[number];

const RUN_ID = /^[0-9a-hjkmnp-tv-z]{26}$/;
const SHA256 = /^[0-9a-f]{64}$/;

export const runFilePath = (runId: string, file: RunFile): string => `runs/${runId}/${file}`;
export const blobFilePath = (sha256: string): string => `blobs/${sha256}`;

/** What an entry path is, once it passed the layout rules. */
export type BundleEntry =
  | { readonly kind: 'index' }
  | { readonly kind: 'verifications' }
  | { readonly kind: 'run-file'; readonly runId: string; readonly file: RunFile }
  | { readonly kind: 'blob'; readonly sha256: string }
  | { readonly kind: 'folder' };

export function bundleInvalid(entry: string | null, problem: string): RepriseError {
  return new RepriseError('REPRISE_ERR_BUNDLE_INVALID', entry === null ? problem : `${entry}: ${problem}`, {
    hint: 'nothing of the bundle was imported; export it again from its source',
    details: entry === null ? {} : { entry },
  });
}

/**
 * The entry `raw` of the tar, checked: no NUL, no backslash, not absolute, no empty, `.`
 * or `..` component (a leading `./`, as `tar -C dir .` writes, is allowed), and only the
 * bundle's layout. Returns the path without `./` or a trailing slash. Anything else is
 * REPRISE_ERR_BUNDLE_INVALID naming the entry.
 */
export function checkEntryPath(raw: string, type: 'file' | 'directory'): { path: string; entry: BundleEntry } {
  const name = JSON.stringify(raw);
  if (raw.includes('\0')) throw bundleInvalid(`entry ${name}`, 'a path with a NUL character is refused');
  if (raw.includes('\\')) throw bundleInvalid(`entry ${name}`, 'a path with a backslash is refused');
  if (raw.startsWith('/')) throw bundleInvalid(`entry ${name}`, 'an absolute path is refused');
  let path = raw.startsWith('./') ? raw.slice(2) : raw;
  if (type === 'directory' && path.endsWith('/')) path = path.slice(0, -1);
  if (type === 'directory' && (path === '' || path === '.')) return { path: '', entry: { kind: 'folder' } };
  const parts = path.split('/');
  if (parts.includes('..')) throw bundleInvalid(`entry ${name}`, 'a path with a ".." component is refused');
  if (parts.some((p) => p === '' || p === '.')) throw bundleInvalid(`entry ${name}`, 'a path with an empty or "." component is refused');
  const entry = layoutOf(parts, type);
  if (!entry) {
    throw bundleInvalid(`entry ${name}`, `not part of a bundle's layout (${INDEX_PATH}, ${VERIFICATIONS_PATH}, ${RUN_FILES.map((f) => `runs/<run id>/${f}`).join(', ')}, blobs/<sha256>)`);
  }
  return { path, entry };
}

function layoutOf(parts: readonly string[], type: 'file' | 'directory'): BundleEntry | undefined {
  const [a, b, c] = parts;
  if (type === 'directory') {
    if (parts.length === 1 && (a === 'runs' || a === 'blobs')) return { kind: 'folder' };
    if (parts.length === 2 && a === 'runs' && RUN_ID.test(b!)) return { kind: 'folder' };
    return undefined;
  }
  if (parts.length === 1 && a === INDEX_PATH) return { kind: 'index' };
  if (parts.length === 1 && a === VERIFICATIONS_PATH) return { kind: 'verifications' };
  if (parts.length === 2 && a === 'blobs' && SHA256.test(b!)) return { kind: 'blob', sha256: b! };
  if (parts.length === 3 && a === 'runs' && RUN_ID.test(b!) && (RUN_FILES as readonly string[]).includes(c!)) {
    return { kind: 'run-file', runId: b!, file: c as RunFile };
  }
  return undefined;
}

const fileRef = z.object({ sha256: z.string().regex(SHA256, 'must be a sha256 (64 lowercase hex digits)'), size: z.number().int().nonnegative() });

export const bundleIndexSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  version: z.number().int().min(BUNDLE_VERSION_PLAIN).max(BUNDLE_VERSION),
  createdAt: z.number(),
  repriseVersion: z.string(),
  runs: z.array(z.object({ id: z.string().regex(RUN_ID, 'must be a run id'), name: z.string(), project: z.string() })),
  files: z.record(z.string(), fileRef),
});
export type BundleIndex = z.infer<typeof bundleIndexSchema>;

const paramValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** `runs/<id>/run.json`: the record with its manifest, and what was recorded beside it. */
export const bundledRunSchema = z.object({
  run: runRecordSchema,
  /** Every param under its dotted key (store.runParams). */
  params: z.record(z.string().min(1), paramValue),
  tags: z.record(z.string().min(1), z.string()),
  artifacts: z.array(artifactSchema),
});
export type BundledRun = z.infer<typeof bundledRunSchema>;

export const bundledVerificationsSchema = z.array(verificationSchema);

/** A folder snapshot (code.kind 'folder'): the list the snapshot blob holds. */
export const snapshotSchema = z.array(
  z.union([
    z.object({ path: z.string(), mode: z.number().int(), sha256: z.string().regex(SHA256), size: z.number().int().nonnegative() }),
    z.object({ path: z.string(), link: z.string() }),
  ]),
);
export type Snapshot = z.infer<typeof snapshotSchema>;

/** The first problem zod found, with its path: `run.manifest.code.commit: …`. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'does not match its schema';
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  return `${path || '(top)'}: ${issue.message}`;
}

/** A blob a run references, and what it is to that run (for messages). */
export interface BlobUse {
  readonly sha256: string;
  readonly size: number;
  readonly what: string;
}

/**
 * Every blob a run references through its manifest and its artifact list: the code patch
 * or folder snapshot (not the snapshot's files: see snapshotBlobs), the environment lock
 * and the lock it was built from, each stage's logs, the metrics file, each data query's
 * snapshot, every artifact.
 */
export function blobsOfRun(manifest: RunManifest, artifacts: readonly Artifact[]): BlobUse[] {
  const uses: BlobUse[] = [];
  // A run logged through the MLflow client recorded no code or environment: none of their blobs.
  const code = manifest.code;
  if (code?.kind === 'git' && code.patch) uses.push({ ...code.patch, what: 'the code patch' });
  if (code?.kind === 'git' && code.archive) uses.push({ ...code.archive, what: `the files of commit ${code.commit.slice(0, 12)}` });
  if (code?.kind === 'folder') uses.push({ ...code.snapshot, what: 'the folder snapshot' });
  const env = manifest.environment?.resolved;
  if (env) {
    uses.push({ ...env.lock, what: 'the environment lock' });
    if (env.lockInput) uses.push({ ...env.lockInput, what: 'the lock file the environment was built from' });
  }
  for (const stage of manifest.execution.stages) {
    if (!stage.logs) continue;
    for (const stream of ['stdout', 'stderr', 'combined'] as const) {
      uses.push({ ...stage.logs[stream], what: `the ${stream} log of stage ${JSON.stringify(stage.name)}` });
    }
  }
  if (manifest.outputs.metricsFile) uses.push({ ...manifest.outputs.metricsFile, what: 'the metrics file' });
  for (const d of manifest.data ?? []) {
    if (d.snapshot) uses.push({ ...d.snapshot.blob, what: `the snapshot of data query ${JSON.stringify(d.name)}` });
  }
  const seen = new Set<string>();
  for (const a of [...manifest.outputs.artifacts, ...artifacts]) {
    const key = `${a.path}\0${a.sha256}`;
    if (seen.has(key)) continue;
    seen.add(key);
    uses.push({ sha256: a.sha256, size: a.size, what: `artifact ${JSON.stringify(a.path)}` });
  }
  return uses;
}

/** The files of a folder snapshot, each a blob. */
export function snapshotBlobs(snapshot: Snapshot): BlobUse[] {
  return snapshot.flatMap((e) => ('sha256' in e ? [{ sha256: e.sha256, size: e.size, what: `file ${JSON.stringify(e.path)} of the folder snapshot` }] : []));
}
