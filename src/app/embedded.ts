/**
 * @module app/embedded
 * The composition root of the embedded mode: services over SQLite and a blob folder
 * under REPRISE_HOME (default ~/.reprise), stages as local processes. The only place
 * that picks adapters; interfaces get what they need from here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalBlobStore } from '../adapters/blob-store/local/local-blob-store.js';
import { CliContainerEngine } from '../adapters/container-engine/cli/cli-container-engine.js';
import { FolderCodeSource } from '../adapters/code-source/folder/folder-code-source.js';
import { GitCodeSource } from '../adapters/code-source/git/git-code-source.js';
import { LocalProcessExecutor } from '../adapters/executor/local-process/local-process-executor.js';
import { VenvEnvironmentProvider } from '../adapters/environment/venv/venv-environment-provider.js';
import { LocalHostProbe } from '../adapters/host/local-host-probe.js';
import { SqliteMetadataStore } from '../adapters/metadata-store/sqlite/sqlite-metadata-store.js';
import { bug } from '../core/errors.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { EnvironmentService } from '../services/environment-service.js';
import { ImageService } from '../services/image-service.js';
import { RunCatalog } from '../services/run-catalog.js';
import { RunService } from '../services/run-service.js';

/**
 * The folder holding package.json, sdk/ and the rest of the installation. Found by
 * looking upward, so it holds whether this module runs from src/, dist/ or a bundle.
 */
const INSTALL_DIR = findInstallDir(dirname(fileURLToPath(import.meta.url)));

function findInstallDir(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'reprise') return dir;
    if (dirname(dir) === dir) throw bug(`no package.json of reprise above ${from}`);
  }
}

export const REPRISE_VERSION: string = (JSON.parse(readFileSync(join(INSTALL_DIR, 'package.json'), 'utf8')) as { version: string }).version;

export function repriseHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.REPRISE_HOME || join(homedir(), '.reprise'));
}

export interface EmbeddedApp {
  readonly home: string;
  readonly store: MetadataStore;
  readonly blobs: BlobStore;
  readonly environments: EnvironmentService;
  readonly images: ImageService;
  readonly runs: RunService;
  readonly catalog: RunCatalog;
  close(): Promise<void>;
}

export async function openEmbedded(options: { home?: string; env?: NodeJS.ProcessEnv } = {}): Promise<EmbeddedApp> {
  const env = options.env ?? process.env;
  const home = options.home ?? repriseHome(env);
  const store = new SqliteMetadataStore({ path: join(home, 'reprise.db') });
  await store.init();
  const blobs = new LocalBlobStore({ root: join(home, 'blobs') });
  const runsDir = join(home, 'runs');
  const envProvider = new VenvEnvironmentProvider({ root: join(home, 'envs') });
  const git = new GitCodeSource();
  const host = new LocalHostProbe({ env, cacheFile: join(home, 'cache', 'python-interpreters.json') });
  const runs = new RunService({
    store,
    blobs,
    executor: new LocalProcessExecutor(),
    host,
    environments: envProvider,
    codeSources: { git, folder: new FolderCodeSource() },
    runsDir,
    repriseVersion: REPRISE_VERSION,
    sdkPythonPath: join(INSTALL_DIR, 'sdk', 'python'),
    env,
  });
  const catalog = new RunCatalog({ store, blobs, runsDir });
  const environments = new EnvironmentService({ store, environments: envProvider });
  const images = new ImageService({
    code: git,
    host,
    blobs,
    store,
    catalog,
    engines: [new CliContainerEngine('docker', env), new CliContainerEngine('podman', env)],
    installDir: INSTALL_DIR,
  });
  return { home, store, blobs, environments, images, runs, catalog, close: () => store.close() };
}
