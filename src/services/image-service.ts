/**
 * @module services/image-service
 * Container images of a project: the build context (Dockerfile, the environment files,
 * the Reprise runner, the code at a commit), its Dockerfile, and building it with docker
 * or podman. The same requirements file serves a laptop's venv and the cluster's image:
 * the environment key is computed the same way, and recorded on the image.
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { renderDockerfile } from '../core/dockerfile.js';
import { environmentHash, pipOptionsFrom } from '../core/environment-key.js';
import { RepriseError } from '../core/errors.js';
import { CONFIG_FILE, parseProjectConfig } from '../core/project-config.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { CommitExporter } from '../ports/code-source.js';
import type { ContainerEngine } from '../ports/container-engine.js';
import type { HostProbe } from '../ports/host-probe.js';
import type { ImageRecord, MetadataStore } from '../ports/metadata-store.js';
import { pathExists } from '../platform/path-exists.js';
import { readRequirementFiles } from './environment-plan.js';
import { sanitizeName } from './project-loader.js';
import { recordedCodeOf, recordedEnvironmentOf } from './recorded-code.js';
import type { RunCatalog } from './run-catalog.js';

/** What of Reprise's own installation the image needs to run stages: the bundled CLI (with the chunks it loads) and the SDK. */
const RUNNER_FILES = ['package.json', 'bin/reprise.js', 'dist/cli.js', 'dist/chunks', 'sdk/python/reprise'];
/** The one native dependency the bundle leaves out, with what it loads at run time. */
const RUNNER_MODULES = [
  'node_modules/better-sqlite3/package.json',
  'node_modules/better-sqlite3/lib',
  'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
  'node_modules/bindings',
  'node_modules/file-uri-to-path',
];

export interface ImageRequest {
  /** Where the command was run: the project is the git repository around it. */
  readonly cwd: string;
  /** The commit to put in the image (default HEAD). */
  readonly commit?: string;
  /** Install this lock instead of the requirements. */
  readonly lockFile?: string;
  /** Take commit, lock and Python version from this run. */
  readonly run?: string;
  /** The image reference (default reprise/<project>:<hash of environment key and commit>). */
  readonly tag?: string;
  /** The files of a commit already laid out (a pushed commit), copied instead of exported from the checkout around `cwd`. */
  readonly laidOut?: { readonly dir: string; readonly subdir: string; readonly commit: string };
  /** Where to push it: the image is tagged `<registry>/<project>:<commit>` and pushed there. */
  readonly registry?: string;
}

export interface PreparedContext {
  readonly dir: string;
  readonly dockerfile: string;
  readonly tag: string;
  readonly project: string;
  readonly commit: string;
  readonly envHash: string | null;
  /** The working tree had uncommitted changes, which the image does not hold. */
  readonly dirty: boolean;
}

export interface ImageServiceDeps {
  readonly code: CommitExporter;
  readonly host: HostProbe;
  readonly blobs: BlobStore;
  readonly store: MetadataStore;
  readonly catalog: RunCatalog;
  /** Tried in order; the first that works builds. */
  readonly engines: readonly ContainerEngine[];
  /** Reprise's own installation, copied into images as the runner. */
  readonly installDir: string;
}

export class ImageService {
  readonly #d: ImageServiceDeps;

  constructor(deps: ImageServiceDeps) {
    this.#d = deps;
  }

  /** Lays out the whole build context in `dest` (created; must be empty or absent). */
  async prepareContext(req: ImageRequest, dest: string): Promise<PreparedContext> {
    if (req.run !== undefined && (req.commit !== undefined || req.lockFile !== undefined)) {
      throw new RepriseError('REPRISE_ERR_ARG_INVALID', '--run takes the commit and the lock from the run: give it alone, without --commit or --lock');
    }
    const run = req.run !== undefined ? await this.#d.catalog.resolve(req.run) : undefined;
    // An image from a run takes its commit and its lock.
    const recorded = run ? { code: recordedCodeOf(run, 'built into an image'), env: recordedEnvironmentOf(run, 'built into an image') } : undefined;
    if (run && recorded?.code.kind !== 'git') {
      throw new RepriseError('REPRISE_ERR_ARG_INVALID', `run ${run.name} was made from a folder snapshot (--no-git), and an image is built from a commit`);
    }
    const ref = recorded?.code.kind === 'git' ? recorded.code.commit : (req.commit ?? 'HEAD');
    await mkdir(dest, { recursive: true });
    const exported = req.laidOut
      ? await cp(req.laidOut.dir, join(dest, 'code'), { recursive: true }).then(() => ({ root: req.laidOut!.dir, subdir: req.laidOut!.subdir, commit: req.laidOut!.commit, dirty: false }))
      : await this.#d.code.exportCommit(req.cwd, ref, join(dest, 'code'));
    const projectDir = exported.subdir ? join(dest, 'code', exported.subdir) : join(dest, 'code');
    const configPath = join(projectDir, CONFIG_FILE);
    if (!(await pathExists(configPath))) {
      throw new RepriseError('REPRISE_ERR_CONFIG_NOT_FOUND', `commit ${exported.commit.slice(0, 12)} has no ${exported.subdir ? `${exported.subdir}/` : ''}${CONFIG_FILE}`);
    }
    const config = parseProjectConfig(await readFile(configPath, 'utf8'), configPath);
    const project = config.name ?? sanitizeName(exported.subdir.split('/').pop() || exported.root.split('/').pop() || 'project');

    const pythonVersion = recorded
      ? (recorded.env.resolved?.pythonVersion ?? recorded.env.python?.version)
      : (await this.#d.host.findPython({ projectDir: req.cwd, ...(config.env?.python ? { version: config.env.python } : {}) }))?.version;
    if (!pythonVersion) {
      throw new RepriseError('REPRISE_ERR_INTERPRETER_NOT_FOUND', 'no Python version to base the image on: no python3 on PATH and none recorded');
    }

    const envDir = join(dest, 'env');
    await mkdir(envDir, { recursive: true });
    const pip = pipOptionsFrom(config.env);
    let lock: Buffer | undefined;
    if (recorded) {
      const recordedLock = recorded.env.resolved?.lock;
      if (recordedLock) lock = await this.#d.blobs.read(recordedLock.sha256);
    } else if (req.lockFile !== undefined) {
      lock = await readFile(req.lockFile).catch(() => {
        throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--lock ${req.lockFile}: no such file`, { details: { path: req.lockFile } });
      });
    }
    const reqs = config.env?.requirements;
    const requirements = reqs === undefined ? [] : Array.isArray(reqs) ? reqs : [reqs];
    let env: Parameters<typeof renderDockerfile>[0]['env'];
    let keyFiles: { path: string; text: string }[];
    if (lock) {
      await writeFile(join(envDir, 'lock.txt'), lock);
      env = { kind: 'lock', file: 'lock.txt' };
      keyFiles = [{ path: 'lock', text: lock.toString('utf8') }];
    } else {
      const files = await readRequirementFiles(projectDir, requirements);
      for (const f of files) {
        await mkdir(dirname(join(envDir, f.path)), { recursive: true });
        await writeFile(join(envDir, f.path), f.content);
      }
      keyFiles = files.map((f) => ({ path: f.path, text: f.content.toString('utf8') }));
      env = requirements.length ? { kind: 'requirements', files: requirements.map((r) => normalize(r)) } : { kind: 'none' };
    }
    // A local wheelhouse (find_links) goes into the image's context too.
    for (const link of pip.findLinks) {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(link)) continue;
      const from = join(projectDir, link);
      if (await pathExists(from)) await cp(from, join(envDir, link), { recursive: true });
    }
    const envHash = env.kind === 'none'
      ? null
      : environmentHash({ pythonVersion, platform: `linux-${process.arch}`, source: env.kind, files: keyFiles, pip });

    await this.#copyRunner(join(dest, 'reprise'));
    const tag =
      req.tag ??
      (req.registry
        ? `${req.registry}/${project.toLowerCase()}:${exported.commit.slice(0, 12)}`
        : `reprise/${project.toLowerCase()}:${createHash('sha256').update(`${envHash ?? 'none'}\n${exported.commit}`).digest('hex').slice(0, 12)}`);
    const dockerfile = renderDockerfile({ project, pythonVersion, env, pip, envHash, tag, commit: exported.commit, subdir: exported.subdir });
    await writeFile(join(dest, 'Dockerfile'), dockerfile);
    return { dir: dest, dockerfile, tag, project, commit: exported.commit, envHash, dirty: exported.dirty && !run };
  }

  /** The Dockerfile alone; the context is made aside and removed. */
  async dockerfile(req: ImageRequest): Promise<PreparedContext> {
    const dir = await mkdtemp(join(tmpdir(), 'reprise-image-'));
    try {
      return await this.prepareContext(req, join(dir, 'context'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The first engine that works; REPRISE_ERR_IMAGE_ENGINE_UNAVAILABLE with each one's reason otherwise. */
  async engine(name?: string): Promise<ContainerEngine> {
    const candidates = name ? this.#d.engines.filter((e) => e.name === name) : this.#d.engines;
    if (candidates.length === 0) {
      throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--engine ${JSON.stringify(name)}: expected one of ${this.#d.engines.map((e) => e.name).join(', ')}`);
    }
    const reasons: string[] = [];
    for (const e of candidates) {
      const check = await e.check();
      if (check.ok) return e;
      reasons.push(check.reason);
    }
    throw new RepriseError('REPRISE_ERR_IMAGE_ENGINE_UNAVAILABLE', `no container engine works here, so the image cannot be built: ${reasons.join('; ')}`, {
      hint: 'install and start docker or podman; `reprise image dockerfile --context DIR` writes a build context to build elsewhere',
      details: { reasons },
    });
  }

  async build(req: ImageRequest & { engine?: string }, onLine: (line: string) => void): Promise<ImageRecord & { dirty: boolean }> {
    const engine = await this.engine(req.engine);
    const dir = await mkdtemp(join(tmpdir(), 'reprise-image-'));
    try {
      const ctx = await this.prepareContext(req, join(dir, 'context'));
      const ref = ctx.tag;
      const res = await engine.build(ctx.dir, ref, onLine);
      if (!res.ok) {
        throw new RepriseError('REPRISE_ERR_IMAGE_BUILD_FAILED', `${engine.name} build failed:\n${res.tail.join('\n')}`, { details: { output: res.tail } });
      }
      let digest = await engine.imageId(ref);
      if (req.registry) {
        const pushed = await engine.push(ref, onLine);
        if (!pushed.ok) {
          throw new RepriseError('REPRISE_ERR_IMAGE_BUILD_FAILED', `${engine.name} push ${ref} failed:\n${pushed.tail.join('\n')}`, { details: { output: pushed.tail } });
        }
        digest = pushed.digest;
      }
      const image: ImageRecord = {
        ref,
        digest,
        project: ctx.project,
        commit: ctx.commit,
        envHash: ctx.envHash,
        engine: engine.name,
        createdAt: Date.now(),
      };
      await this.#d.store.saveImage(image);
      return { ...image, dirty: ctx.dirty };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async list(project?: string): Promise<ImageRecord[]> {
    return this.#d.store.listImages(project);
  }

  async #copyRunner(dest: string): Promise<void> {
    for (const rel of [...RUNNER_FILES, ...RUNNER_MODULES]) {
      const from = join(this.#d.installDir, rel);
      if (!(await pathExists(from))) {
        throw new RepriseError('REPRISE_ERR_INTERNAL', `the Reprise installation lacks ${rel} (run \`npm run build\`). This is a bug in Reprise's packaging.`);
      }
      await mkdir(dirname(join(dest, rel)), { recursive: true });
      await cp(from, join(dest, rel), { recursive: true, filter: (src) => !src.includes('__pycache__') && !src.endsWith('.map') });
    }
  }
}
