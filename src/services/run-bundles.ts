/**
 * @module services/run-bundles
 * `reprise export` and `reprise import`: finished runs with everything they recorded and
 * every blob they reference, as one gzip-compressed tar (layout: core/bundle-format,
 * docs/bundles.md), and back into another store through the ports only, so a bundle
 * loads the same into an embedded store or through a server.
 *
 * Export writes to a temporary name beside the output and renames it at the end, so a
 * failed export leaves nothing. Import reads the whole bundle into a staging folder
 * while hashing it, checks every entry, hash, schema and reference, and only then writes
 * to the stores: a bad bundle imports nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import tar from 'tar-stream';
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  BUNDLE_VERSION_PLAIN,
  INDEX_PATH,
  VERIFICATIONS_PATH,
  blobFilePath,
  blobsOfRun,
  bundleIndexSchema,
  bundleInvalid,
  bundledRunSchema,
  bundledVerificationsSchema,
  checkEntryPath,
  describeIssue,
  runFilePath,
  snapshotBlobs,
  snapshotSchema,
  type BlobUse,
  type BundleIndex,
  type BundledRun,
  type RunFile,
} from '../core/bundle-format.js';
import { RepriseError, bug } from '../core/errors.js';
import { decodeHistogramsBody, histogramToJson, type HistogramBatch, type HistogramPoint } from '../core/histogram.js';
import { batchesToJson, decodeMetricsBody } from '../core/metric-wire.js';
import type { MetricBatch } from '../core/metric-series.js';
import { decodeNotesBody, type RunNote } from '../core/run-note.js';
import { failedGraceMs, retentionOf } from '../core/retention.js';
import type { RunRecord } from '../core/run.js';
import { isActive } from '../core/run-manifest.js';
import type { Verification } from '../core/verification.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { CodeSource } from '../ports/code-source.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { fsyncFile } from '../platform/fsync-file.js';
import { hashFile } from '../platform/hash-file.js';
import type { RunCatalog } from './run-catalog.js';

/** How a run is named in summaries. */
export interface RunHead {
  readonly id: string;
  readonly name: string;
  readonly project: string;
}

export interface ExportRequest {
  /** Runs by id, id prefix or name; when empty, every run matching `project` and `filter`. */
  readonly refs?: readonly string[];
  readonly project?: string;
  /** The run-search grammar (docs/search.md). */
  readonly filter?: string;
  /** The bundle to write (replaced if it exists). */
  readonly output: string;
  /** Where the command runs: the repository around it is where commits are archived from. */
  readonly cwd: string;
  /** Something the bundle will lack, said before it is written. */
  readonly onWarning?: (message: string) => void;
  /** After each run's entries are written. */
  readonly onProgress?: (p: ExportProgress) => void;
}

export interface ExportProgress {
  readonly run: RunHead;
  /** Runs written so far, this one included, of `total`. */
  readonly done: number;
  readonly total: number;
  /** Bytes of the bundle's contents so far, before compression. */
  readonly bytes: number;
}

export interface ExportSummary {
  readonly file: string;
  readonly runs: RunHead[];
  readonly blobs: number;
  readonly verifications: number;
  /** The contents, before compression. */
  readonly contentBytes: number;
  /** The bundle file. */
  readonly bytes: number;
}

export type ImportProgress =
  | { readonly phase: 'read'; readonly files: number; readonly bytes: number }
  | { readonly phase: 'checked'; readonly runs: number; readonly blobs: number }
  | { readonly phase: 'run'; readonly run: RunHead; readonly imported: boolean };

export interface ImportSummary {
  readonly file: string;
  readonly imported: RunHead[];
  /** Runs already in this store, left as they were. */
  readonly skipped: RunHead[];
  readonly blobs: number;
  readonly verifications: number;
}

/** Blobs looked up at once. */
const PARALLEL = 8;

export class RunBundles {
  readonly #store: MetadataStore;
  readonly #blobs: BlobStore;
  readonly #catalog: RunCatalog;
  readonly #tmpDir: string;
  readonly #repriseVersion: string;
  readonly #code: CodeSource;

  constructor(deps: { store: MetadataStore; blobs: BlobStore; catalog: RunCatalog; code: CodeSource; tmpDir: string; repriseVersion: string }) {
    this.#code = deps.code;
    this.#store = deps.store;
    this.#blobs = deps.blobs;
    this.#catalog = deps.catalog;
    this.#tmpDir = deps.tmpDir;
    this.#repriseVersion = deps.repriseVersion;
  }

  async export(req: ExportRequest): Promise<ExportSummary> {
    const folder = dirname(req.output);
    if (!(await isFolder(folder))) throw new RepriseError('REPRISE_ERR_ARG_INVALID', `-o ${req.output}: the folder ${folder} does not exist`);
    const runs = await this.#catalog.select(req, 'export');
    for (const run of runs) {
      if (isActive(run.status)) {
        throw new RepriseError('REPRISE_ERR_RUN_NOT_FINISHED', `run ${run.name} (${run.id}) is ${run.status}: only finished runs can be exported`, {
          hint: 'wait for it to end, or leave it out',
          details: { run: run.id, status: run.status },
        });
      }
    }
    // Everything is read and every blob looked up before the file is started.
    await mkdir(this.#tmpDir, { recursive: true });
    const scratch = await mkdtemp(join(this.#tmpDir, 'export-'));
    try {
      return await this.#write(req, runs, scratch);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  async #write(req: ExportRequest, runs: RunRecord[], scratch: string): Promise<ExportSummary> {
    const planned: PlannedRun[] = [];
    /** Commit archives made for this export (`scratch/<commit>.tar`) by sha256: read from there, not from the store. */
    const archives = new Map<string, string>();
    for (const run of runs) planned.push(await this.#plan(await this.#withArchive(run, req, scratch, archives), archives));
    const ids = new Set(runs.map((r) => r.id));
    const verifications = await this.#verificationsWithin(ids);

    const tmp = join(dirname(req.output), `.${basename(req.output)}.${randomBytes(6).toString('hex')}.part`);
    const files: Record<string, { sha256: string; size: number }> = {};
    const written = new Set<string>();
    let contentBytes = 0;
    let blobCount = 0;
    const pack = tar.pack();
    let fileBytes = 0;
    const output = pipeline(
      async function* () {
        for await (const chunk of pack) yield chunk as Buffer;
      },
      createGzip(),
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          fileBytes += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(tmp, { flags: 'wx' }),
    );
    // A failed write stops every wait on the pack, which would otherwise never drain.
    const outputFailed = new Promise<never>((_, reject) => output.catch(reject));
    outputFailed.catch(() => undefined);
    const guard = <T>(p: Promise<T>): Promise<T> => Promise.race([p, outputFailed]);
    const mtime = new Date();
    const addBytes = async (path: string, data: Buffer): Promise<void> => {
      files[path] = { sha256: sha256Of(data), size: data.length };
      contentBytes += data.length;
      await guard(entry(pack, { name: path, size: data.length, mode: 0o644, mtime, type: 'file' }, data));
    };
    let carriesHistogramsOrNotes = false;
    try {
      let done = 0;
      for (const p of planned) {
        const { run } = p;
        const bundled: BundledRun = { run: recordOnly(run), params: p.params, tags: p.tags, artifacts: p.artifacts };
        await addBytes(runFilePath(run.id, 'run.json'), Buffer.from(JSON.stringify(bundled, null, 1)));
        const series: MetricBatch[] = [];
        for (const key of p.metricKeys) series.push({ key, ...(await this.#store.metricSeries(run.id, key)) });
        await addBytes(runFilePath(run.id, 'metrics.json'), Buffer.from(JSON.stringify(batchesToJson(series))));
        // Only a run that recorded some gets these files: a bundle without any stays version 1.
        if (p.histogramKeys.length > 0) {
          const parts: Buffer[] = [];
          for (const key of p.histogramKeys) parts.push(...histogramsJsonParts(key, (await this.#store.histogramSeries(run.id, key)).points));
          await addBytes(runFilePath(run.id, 'histograms.json'), joinJsonList('histograms', parts));
          carriesHistogramsOrNotes = true;
        }
        const notes = await this.#store.runNotes(run.id);
        if (notes.length > 0) {
          await addBytes(runFilePath(run.id, 'notes.json'), Buffer.from(JSON.stringify({ notes } satisfies { notes: RunNote[] })));
          carriesHistogramsOrNotes = true;
        }
        for (const use of p.blobs) {
          if (written.has(use.sha256)) continue;
          written.add(use.sha256);
          const path = blobFilePath(use.sha256);
          const hash = createHash('sha256');
          const local = archives.get(use.sha256);
          const source = local ? createReadStream(local) : await this.#blobs.stream(use.sha256);
          await guard(entryFromStream(pack, { name: path, size: use.size, mode: 0o644, mtime, type: 'file' }, source, (c) => hash.update(c)));
          const actual = hash.digest('hex');
          if (actual !== use.sha256) {
            throw new RepriseError('REPRISE_ERR_BLOB_NOT_FOUND', `run ${run.name} (${run.id}): ${use.what} (blob ${use.sha256}) is damaged in the store: its bytes hash to ${actual}`, {
              details: { run: run.id, blob: use.sha256, what: use.what },
            });
          }
          files[path] = { sha256: use.sha256, size: use.size };
          contentBytes += use.size;
          blobCount++;
        }
        req.onProgress?.({ run: headOf(run), done: ++done, total: planned.length, bytes: contentBytes });
      }
      await addBytes(VERIFICATIONS_PATH, Buffer.from(JSON.stringify(verifications, null, 1)));
      // Last: only now are every file's hash and size known.
      const index: BundleIndex = {
        format: BUNDLE_FORMAT,
        version: carriesHistogramsOrNotes ? BUNDLE_VERSION : BUNDLE_VERSION_PLAIN,
        createdAt: Date.now(),
        repriseVersion: this.#repriseVersion,
        runs: runs.map(headOf),
        files,
      };
      await addBytes(INDEX_PATH, Buffer.from(JSON.stringify(index, null, 1)));
      pack.finalize();
      await output;
      await fsyncFile(tmp);
      await rename(tmp, req.output);
    } catch (e) {
      pack.destroy(e instanceof Error ? e : new Error(String(e)));
      await output.catch(() => undefined);
      await rm(tmp, { force: true });
      throw e;
    }
    return { file: req.output, runs: runs.map(headOf), blobs: blobCount, verifications: verifications.length, contentBytes, bytes: fileBytes };
  }

  /**
   * The run as the bundle records it: a git run also carries a tar of its commit's files
   * (`code.archive`), so that it reproduces where no repository has the commit. Where this
   * machine cannot find the commit either, the run goes without it, and the user is told.
   */
  async #withArchive(run: RunRecord, req: ExportRequest, scratch: string, archives: Map<string, string>): Promise<RunRecord> {
    const code = run.manifest.code;
    // A run without recorded code (logged through the MLflow client) goes as it is.
    if (code?.kind !== 'git' || code.archive) return run;
    const file = join(scratch, `${code.commit}.tar`);
    let ref = [...archives].find(([, f]) => f === file)?.[0];
    if (ref === undefined && (await this.#code.archive(code, { near: req.cwd, blobs: this.#blobs }, file))) {
      ref = (await hashFile(file)).sha256;
      archives.set(ref, file);
    }
    if (!ref) {
      req.onWarning?.(`run ${run.name}: commit ${code.commit.slice(0, 12)} is not in the repository around ${req.cwd} nor at its recorded remote, so the bundle will not hold its files; reproducing the run will need a repository that has the commit`);
      return run;
    }
    return { ...run, manifest: { ...run.manifest, code: { ...code, archive: { sha256: ref, size: (await stat(file)).size } } } };
  }

  /** What a run's entries will hold; every blob it references is looked up now. */
  async #plan(run: RunRecord, archives: ReadonlyMap<string, string>): Promise<PlannedRun> {
    const [params, tags, artifacts, summaries, histograms] = await Promise.all([
      this.#store.runParams(run.id),
      this.#store.tagsOf([run.id]),
      this.#store.listArtifacts(run.id),
      this.#store.metricSummaries([run.id]),
      this.#store.histogramKeys(run.id),
    ]);
    const uses = blobsOfRun(run.manifest, artifacts);
    const missing = (use: BlobUse): RepriseError =>
      new RepriseError('REPRISE_ERR_BLOB_NOT_FOUND', `run ${run.name} (${run.id}): ${use.what} (blob ${use.sha256}) is missing from the store`, {
        details: { run: run.id, blob: use.sha256, what: use.what },
      });
    const code = run.manifest.code;
    if (code?.kind === 'folder') {
      const use = uses.find((u) => u.sha256 === code.snapshot.sha256)!;
      if (!(await this.#blobs.stat(use.sha256))) throw missing(use);
      const parsed = snapshotSchema.safeParse(JSON.parse((await this.#blobs.read(use.sha256)).toString('utf8')));
      if (!parsed.success) throw bug(`the folder snapshot of run ${run.id} is not a snapshot list (${describeIssue(parsed.error)})`);
      uses.push(...snapshotBlobs(parsed.data));
    }
    const unique = [...new Map(uses.map((u) => [u.sha256, u])).values()];
    const sizes = await mapLimit(unique, PARALLEL, async (u) => (archives.has(u.sha256) ? { size: u.size } : this.#blobs.stat(u.sha256)));
    const blobs = unique.map((u, i) => {
      const st = sizes[i];
      if (!st) throw missing(u);
      return { ...u, size: st.size };
    });
    return {
      run,
      params,
      tags: tags.get(run.id) ?? {},
      artifacts,
      metricKeys: Object.keys(summaries.get(run.id) ?? {}).sort(),
      histogramKeys: histograms.map((h) => h.key),
      blobs,
    };
  }

  /** Every check whose two runs are both exported, each pair once. */
  async #verificationsWithin(ids: ReadonlySet<string>): Promise<Verification[]> {
    const byPair = new Map<string, Verification>();
    for (const list of (await this.#store.verificationsOf([...ids])).values()) {
      for (const v of list) {
        if (ids.has(v.original) && ids.has(v.reproduction)) byPair.set(`${v.original} ${v.reproduction}`, v);
      }
    }
    return [...byPair.values()].sort((a, b) => a.checkedAt - b.checkedAt || a.original.localeCompare(b.original) || a.reproduction.localeCompare(b.reproduction));
  }

  async import(file: string, opts: { onProgress?: (p: ImportProgress) => void } = {}): Promise<ImportSummary> {
    await mkdir(this.#tmpDir, { recursive: true });
    const staging = await mkdtemp(join(this.#tmpDir, 'import-'));
    try {
      const staged = await stageBundle(file, staging);
      opts.onProgress?.({ phase: 'read', files: staged.size, bytes: [...staged.values()].reduce((n, s) => n + s.size, 0) });
      const checked = await checkBundle(staged);
      opts.onProgress?.({ phase: 'checked', runs: checked.runs.length, blobs: checked.blobs.length });

      // Nothing was written before this point.
      for (const sha256 of checked.blobs) {
        const ref = await this.#blobs.putFile(staged.get(blobFilePath(sha256))!.file);
        if (ref.sha256 !== sha256) throw bug(`staged blob ${sha256} was stored as ${ref.sha256}`);
      }
      const imported: RunHead[] = [];
      const skipped: RunHead[] = [];
      for (const r of checked.runs) {
        const metrics = decodeMetricsBody(JSON.parse(await readFile(staged.get(runFilePath(r.run.id, 'metrics.json'))!.file, 'utf8')), Date.now());
        // Bundles written before histograms and notes were kept have neither file.
        const histograms = await readHistograms(staged, r.run.id);
        const notes = await readNotes(staged, r.run.id);
        const done = await this.#store.importRun({ run: r.run, params: r.params, tags: r.tags, artifacts: r.artifacts, metrics, histograms, notes });
        if (done) await this.#graceFromArrival(r.run);
        (done ? imported : skipped).push(headOf(r.run));
        opts.onProgress?.({ phase: 'run', run: headOf(r.run), imported: done });
      }
      for (const v of checked.verifications) await this.#store.saveVerification(v);
      return { file, imported, skipped, blobs: checked.blobs.length, verifications: checked.verifications.length };
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /**
   * A failed run brought in on purpose gets its grace period from now, not from when it
   * ended elsewhere (which could let gc take its artifacts the moment they arrive).
   */
  async #graceFromArrival(run: RunRecord): Promise<void> {
    const r = retentionOf(run, undefined);
    if (r?.state !== 'flagged') return;
    const at = Date.now();
    await this.#store.setRetention(run.id, { state: 'flagged', until: at + failedGraceMs(run), reason: `${r.reason}; imported`, manual: false, by: null, at });
  }
}

interface PlannedRun {
  readonly run: RunRecord;
  readonly params: BundledRun['params'];
  readonly tags: Record<string, string>;
  readonly artifacts: BundledRun['artifacts'];
  readonly metricKeys: string[];
  readonly histogramKeys: string[];
  /** Unique by sha256, sizes as the store has them. */
  readonly blobs: BlobUse[];
}

function headOf(run: RunRecord): RunHead {
  return { id: run.id, name: run.name, project: run.project };
}

/** The record's own fields, whatever else an adapter's object carries. */
function recordOnly(r: RunRecord): RunRecord {
  const { id, name, project, status, dev, createdAt, startedAt, endedAt, host, pid, pidStart, heartbeatAt, envHash, manifest } = r;
  return { id, name, project, status, dev, createdAt, startedAt, endedAt, host, pid, pidStart, heartbeatAt, envHash, manifest };
}

function sha256Of(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Adds an entry held in memory; resolves once the pack took it. */
function entry(pack: tar.Pack, header: Partial<tar.Header> & { name: string }, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, data, (err) => (err ? reject(err) : resolve()));
  });
}

/** Adds an entry from a stream, with backpressure; the header's size must be the stream's length. */
function entryFromStream(pack: tar.Pack, header: Partial<tar.Header> & { name: string }, source: Readable, onChunk: (c: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let failed = false;
    const fail = (e: unknown): void => {
      if (failed) return;
      failed = true;
      source.destroy();
      reject(e instanceof Error ? e : new Error(String(e)));
    };
    const sink = pack.entry(header, (err) => (err ? fail(err) : resolve()));
    sink.on('drain', () => source.resume());
    source.on('data', (c: Buffer) => {
      onChunk(c);
      if (!sink.write(c)) source.pause();
    });
    source.once('end', () => sink.end(undefined));
    source.once('error', (e) => {
      fail(e);
      sink.destroy(e);
    });
  });
}

type TarEntry = tar.Extract extends AsyncIterable<infer E> ? E : never;

/** One file of a bundle, staged: where it is and what it holds. */
interface Staged {
  readonly file: string;
  readonly sha256: string;
  readonly size: number;
}

/**
 * Reads the bundle entry by entry, refusing unsafe or unknown entries at once, and copies
 * each file into `dir` (under a number, never under its own path) while hashing it.
 */
async function stageBundle(file: string, dir: string): Promise<Map<string, Staged>> {
  let head: Buffer;
  try {
    head = await readHead(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new RepriseError('REPRISE_ERR_ARG_INVALID', `${file}: no such file`);
    throw e;
  }
  if (head.length < 2 || head[0] !== 0x1f || head[1] !== 0x8b) throw bundleInvalid(null, `${file} is not gzip-compressed: a bundle is a .tar.gz written by \`reprise export\``);
  const source = createReadStream(file);
  const gunzip = createGunzip();
  const extract = tar.extract();
  source.once('error', (e) => gunzip.destroy(e));
  gunzip.once('error', (e) => extract.destroy(bundleInvalid(null, `the gzip stream is damaged (${e.message})`)));
  source.pipe(gunzip).pipe(extract);
  const staged = new Map<string, Staged>();
  const iterator = extract[Symbol.asyncIterator]();
  try {
    for (let n = 0; ; n++) {
      let step: IteratorResult<TarEntry>;
      try {
        step = await iterator.next();
      } catch (e) {
        if (e instanceof RepriseError) throw e;
        throw bundleInvalid(null, `not a readable tar archive (${e instanceof Error ? e.message : String(e)})`);
      }
      if (step.done) break;
      const entry = step.value;
      const { name, type } = entry.header;
      if (type !== 'file' && type !== 'directory') {
        const what = type === 'symlink' || type === 'link' ? `a ${type === 'symlink' ? 'symbolic' : 'hard'} link to ${JSON.stringify(entry.header.linkname ?? '')}` : type ? `a ${type}` : 'an entry of unknown type';
        throw bundleInvalid(`entry ${JSON.stringify(name)}`, `${what}: only plain files and folders are allowed`);
      }
      const { path } = checkEntryPath(name, type);
      if (type === 'directory') {
        entry.resume();
        continue;
      }
      if (staged.has(path)) throw bundleInvalid(path, 'appears twice in the bundle');
      const target = join(dir, String(n));
      const hash = createHash('sha256');
      let size = 0;
      await pipeline(
        (async function* () {
          try {
            for await (const data of entry) {
              const chunk = data as Buffer;
              hash.update(chunk);
              size += chunk.length;
              yield chunk;
            }
          } catch (e) {
            throw bundleInvalid(path, `its data could not be read (${e instanceof Error ? e.message : String(e)})`);
          }
        })(),
        createWriteStream(target, { flags: 'wx' }),
      );
      staged.set(path, { file: target, sha256: hash.digest('hex'), size });
    }
  } finally {
    await iterator.return?.().catch(() => undefined);
    source.destroy();
    gunzip.destroy();
  }
  return staged;
}

async function readHead(file: string): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

interface CheckedRun {
  readonly run: RunRecord;
  readonly params: BundledRun['params'];
  readonly tags: BundledRun['tags'];
  readonly artifacts: BundledRun['artifacts'];
}

interface CheckedBundle {
  /** Oldest first. */
  readonly runs: CheckedRun[];
  readonly blobs: string[];
  readonly verifications: Verification[];
}

async function readJson(staged: Map<string, Staged>, path: string): Promise<unknown> {
  const s = staged.get(path);
  if (!s) throw bundleInvalid(path, 'missing from the bundle');
  try {
    return JSON.parse(await readFile(s.file, 'utf8'));
  } catch (e) {
    throw bundleInvalid(path, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** Every check of a staged bundle; throws REPRISE_ERR_BUNDLE_INVALID naming the entry at fault. */
async function checkBundle(staged: Map<string, Staged>): Promise<CheckedBundle> {
  if (!staged.has(INDEX_PATH)) throw bundleInvalid(null, `no ${INDEX_PATH}: not a Reprise bundle`);
  const rawIndex = await readJson(staged, INDEX_PATH);
  const head = rawIndex as { format?: unknown; version?: unknown };
  if (typeof rawIndex !== 'object' || rawIndex === null || head.format !== BUNDLE_FORMAT) {
    throw bundleInvalid(INDEX_PATH, `format is not ${JSON.stringify(BUNDLE_FORMAT)}: not a Reprise bundle`);
  }
  if (typeof head.version === 'number' && head.version > BUNDLE_VERSION) {
    throw bundleInvalid(INDEX_PATH, `format version ${head.version} is newer than this Reprise reads (${BUNDLE_VERSION}); upgrade Reprise`);
  }
  const parsedIndex = bundleIndexSchema.safeParse(rawIndex);
  if (!parsedIndex.success) throw bundleInvalid(INDEX_PATH, describeIssue(parsedIndex.error));
  const index = parsedIndex.data;

  // The index and the entries: each listed file present with its hash and size, nothing else.
  for (const [path, want] of Object.entries(index.files)) {
    let entry;
    try {
      entry = checkEntryPath(path, 'file').entry;
    } catch (e) {
      throw bundleInvalid(INDEX_PATH, `lists ${JSON.stringify(path)}, ${e instanceof RepriseError ? e.message.replace(/^entry "[^"]*": /, '') : 'an unsafe path'}`);
    }
    if (entry.kind === 'index') throw bundleInvalid(INDEX_PATH, 'lists itself');
    const got = staged.get(path);
    if (!got) throw bundleInvalid(path, `listed in ${INDEX_PATH} but missing from the bundle`);
    if (got.size !== want.size) throw bundleInvalid(path, `${got.size} bytes, but ${INDEX_PATH} says ${want.size}`);
    if (got.sha256 !== want.sha256) throw bundleInvalid(path, `its contents hash to ${got.sha256}, but ${INDEX_PATH} says ${want.sha256}`);
  }
  const blobs = new Set<string>();
  const runDirs = new Set<string>();
  for (const [path, s] of staged) {
    if (path === INDEX_PATH) continue;
    if (!Object.hasOwn(index.files, path)) throw bundleInvalid(path, `not listed in ${INDEX_PATH}`);
    const { entry } = checkEntryPath(path, 'file');
    if (entry.kind === 'blob') {
      if (s.sha256 !== entry.sha256) throw bundleInvalid(path, `its contents hash to ${s.sha256}, not to its name`);
      blobs.add(entry.sha256);
    }
    if (entry.kind === 'run-file') runDirs.add(entry.runId);
  }

  // The runs: listed in the index, each with both files, valid, finished, every blob here.
  const listed = new Set<string>();
  for (const r of index.runs) {
    if (listed.has(r.id)) throw bundleInvalid(INDEX_PATH, `lists run ${r.id} twice`);
    listed.add(r.id);
  }
  for (const id of runDirs) if (!listed.has(id)) throw bundleInvalid(`runs/${id}/`, `run ${id} is not listed in ${INDEX_PATH}`);
  const used = new Set<string>();
  const runs: CheckedRun[] = [];
  for (const id of listed) {
    const runPath = runFilePath(id, 'run.json');
    const parsed = bundledRunSchema.safeParse(await readJson(staged, runPath));
    if (!parsed.success) throw bundleInvalid(runPath, describeIssue(parsed.error));
    const { run, params, tags, artifacts } = parsed.data as BundledRun & { run: RunRecord };
    if (run.id !== id) throw bundleInvalid(runPath, `holds run ${run.id}, not ${id}`);
    if (isActive(run.status)) throw bundleInvalid(runPath, `run ${run.name} is ${run.status}: only finished runs can be imported`);
    await checkMetrics(staged, id);
    await readHistograms(staged, id);
    await readNotes(staged, id);
    const uses = blobsOfRun(run.manifest, artifacts);
    const need = (use: BlobUse): Staged => {
      const got = blobs.has(use.sha256) ? staged.get(blobFilePath(use.sha256)) : undefined;
      if (!got) throw bundleInvalid(runPath, `${use.what} (blob ${use.sha256}) is not in the bundle`);
      if (got.size !== use.size) throw bundleInvalid(blobFilePath(use.sha256), `${got.size} bytes, but run ${run.name} records ${use.what} as ${use.size}`);
      used.add(use.sha256);
      return got;
    };
    for (const use of uses) need(use);
    const code = run.manifest.code;
    if (code?.kind === 'folder') {
      const snap = need({ ...code.snapshot, what: 'the folder snapshot' });
      let list;
      try {
        list = snapshotSchema.parse(JSON.parse(await readFile(snap.file, 'utf8')));
      } catch (e) {
        throw bundleInvalid(blobFilePath(code.snapshot.sha256), `the folder snapshot of run ${run.name} is not a snapshot list (${e instanceof Error ? e.message.slice(0, 200) : String(e)})`);
      }
      for (const use of snapshotBlobs(list)) need(use);
    }
    runs.push({ run, params, tags, artifacts });
  }
  for (const sha256 of blobs) if (!used.has(sha256)) throw bundleInvalid(blobFilePath(sha256), 'not used by any run of the bundle');

  let verifications: Verification[] = [];
  if (staged.has(VERIFICATIONS_PATH)) {
    const parsed = bundledVerificationsSchema.safeParse(await readJson(staged, VERIFICATIONS_PATH));
    if (!parsed.success) throw bundleInvalid(VERIFICATIONS_PATH, describeIssue(parsed.error));
    parsed.data.forEach((v, i) => {
      for (const id of [v.original, v.reproduction]) {
        if (!listed.has(id)) throw bundleInvalid(VERIFICATIONS_PATH, `[${i}] names run ${id}, which is not in the bundle`);
      }
    });
    verifications = parsed.data;
  }
  runs.sort((a, b) => a.run.createdAt - b.run.createdAt || (a.run.id < b.run.id ? -1 : 1));
  return { runs, blobs: [...blobs].sort(), verifications };
}

async function checkMetrics(staged: Map<string, Staged>, runId: string): Promise<void> {
  const path = runFilePath(runId, 'metrics.json' satisfies RunFile);
  const body = await readJson(staged, path);
  const series = (body as { series?: unknown } | null)?.series;
  if (!Array.isArray(series)) throw bundleInvalid(path, 'expected {"series": [...]}');
  // Every point keeps its own time: a missing one would be filled with the time of the import.
  series.forEach((s: unknown, i) => {
    if (!Array.isArray((s as { ts?: unknown } | null)?.ts)) throw bundleInvalid(path, `series[${i}].ts: expected a list of times`);
  });
  try {
    decodeMetricsBody({ series }, 0);
  } catch (e) {
    throw bundleInvalid(path, e instanceof Error ? e.message : String(e));
  }
}

/** Points encoded a thousand at a time: a long series of wide histograms never becomes one string. */
const JSON_PIECE_POINTS = 1_000;

/** One key's points as pieces of the list of POST /runs/{id}/histograms (each point with its key and time), comma-separated. */
function histogramsJsonParts(key: string, points: readonly HistogramPoint[]): Buffer[] {
  const parts: Buffer[] = [];
  for (let i = 0; i < points.length; i += JSON_PIECE_POINTS) {
    const items = points.slice(i, i + JSON_PIECE_POINTS).map((p) => JSON.stringify({ key, ...histogramToJson(p) }));
    parts.push(Buffer.from(items.join(',')));
  }
  return parts;
}

/** `{"<name>": [parts...]}` from pieces that each hold whole list items. */
function joinJsonList(name: string, parts: readonly Buffer[]): Buffer {
  const pieces: Buffer[] = [Buffer.from(`{${JSON.stringify(name)}:[`)];
  parts.forEach((p, i) => {
    if (i > 0) pieces.push(Buffer.from(','));
    pieces.push(p);
  });
  pieces.push(Buffer.from(']}'));
  return Buffer.concat(pieces);
}

/** A run's histograms.json decoded, or none when the bundle has no such file. */
function readHistograms(staged: Map<string, Staged>, runId: string): Promise<HistogramBatch[]> {
  return readTimedList(staged, runFilePath(runId, 'histograms.json' satisfies RunFile), 'histograms', decodeHistogramsBody);
}

/** A run's notes.json decoded, or none when the bundle has no such file. */
function readNotes(staged: Map<string, Staged>, runId: string): Promise<RunNote[]> {
  return readTimedList(staged, runFilePath(runId, 'notes.json' satisfies RunFile), 'notes', decodeNotesBody);
}

/**
 * `{"<field>": [...]}` of a run file, decoded as the API's route decodes that body; every
 * item must keep its own time (a missing one would be filled with the time of the import).
 */
async function readTimedList<T>(staged: Map<string, Staged>, path: string, field: string, decode: (body: unknown, now: number) => T[]): Promise<T[]> {
  if (!staged.has(path)) return [];
  const body = await readJson(staged, path);
  const list = (body as Record<string, unknown> | null)?.[field];
  if (!Array.isArray(list)) throw bundleInvalid(path, `expected {"${field}": [...]}`);
  list.forEach((item: unknown, i) => {
    if (typeof (item as { ts?: unknown } | null)?.ts !== 'number') throw bundleInvalid(path, `${field}[${i}].ts: expected a time`);
  });
  try {
    return decode(body, 0);
  } catch (e) {
    throw bundleInvalid(path, e instanceof Error ? e.message : String(e));
  }
}
