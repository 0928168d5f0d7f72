/**
 * A real store for the browser tests, filled the way users fill theirs: a `reprise server`
 * process, runs of examples/iris made by the real CLI through that server (some succeed,
 * one fails, one is a dev run, one carries uncommitted changes), and one run reported
 * through the API with an artifact of every kind the run page previews.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll } from 'vitest';
import { createRun, finishedRun } from '../api/fixtures.js';
import { launchBrowser, screenshotFailures, type TestBrowser } from './browser.js';
import { git, REPO_ROOT, reprise, sandbox, startReprise, type CliResult, type Sandbox } from './cli.js';
import { api, started, startServer, type Api, type RunningServer } from './server.js';

/** The project examples/iris reports its runs under (its reprise.yaml's name). */
export const PROJECT = 'iris';
/** The project of the run made through the API, so it leaves iris's figures alone. */
export const PREVIEW_PROJECT = 'previews';
/** The line the patched run's uncommitted change adds to train.py. */
export const PATCH_LINE = '# tuned by hand: a smaller batch helps the smallest class';

export interface SeededRun {
  readonly id: string;
  readonly name: string;
}

/** The seeded runs by what they are for. */
export interface SeededRuns {
  /** optim.lr = 0.003; succeeded. */
  readonly low: SeededRun;
  /** optim.lr = 0.03; succeeded. */
  readonly mid: SeededRun;
  /** optim.lr = 0.3 with an uncommitted change to train.py (PATCH_LINE); succeeded. */
  readonly patched: SeededRun;
  /** epochs = 0: train.py exits 1, so the run fails at its train stage. */
  readonly failed: SeededRun;
  /** A dev run (`--dev`), optim.lr = 1; succeeded. */
  readonly dev: SeededRun;
  /** Reported through the API in PREVIEW_PROJECT, with PREVIEW_ARTIFACTS. */
  readonly previews: SeededRun;
}

/** The optim.lr each CLI run was given. */
export const SEEDED_LR = { low: 0.003, mid: 0.03, patched: 0.3, failed: 0.3, dev: 1 } as const;

/** A copy of examples/iris in its own git repository, run by the real CLI against one server. */
export interface IrisProject {
  /** The repository's folder. */
  readonly dir: string;
  /** `reprise run <args> --system-env --json` there; waits for it to end. */
  run(args: readonly string[]): Promise<CliResult>;
  /** `reprise run <args> --system-env` there, not waited for. */
  start(args: readonly string[]): ChildProcess;
}

/** A running server over an empty store, and a client sandbox beside it. */
export interface UiStore {
  readonly server: RunningServer;
  readonly url: string;
  readonly client: Api;
  readonly sandbox: Sandbox;
  /** A copy of examples/iris whose runs go to this server; `edit` changes its files before the first commit. */
  iris(name?: string, edit?: (dir: string) => void): IrisProject;
  /** Stops the server and removes every folder made for it. */
  stop(): Promise<void>;
}

export interface SeededStore extends UiStore {
  readonly runs: SeededRuns;
}

/** Starts a real `reprise server` over a new empty home. */
export async function startUiStore(): Promise<UiStore> {
  const server = await startServer();
  const sb = await sandbox().catch(async (e: unknown) => {
    await server.stop();
    throw e;
  });
  const toServer = { REPRISE_SERVER: server.url };
  return {
    server,
    url: server.url,
    client: api(server.url),
    sandbox: sb,
    iris(name = 'iris', edit) {
      const dir = copyIris(sb, name, edit);
      // The interpreter on PATH serves: iris needs only the standard library, and a built
      // environment would cost every test file seconds.
      return {
        dir,
        run: (args) => reprise(sb, dir, ['run', '--system-env', ...args, '--json'], toServer),
        start: (args) => startReprise(sb, dir, ['run', '--system-env', ...args], toServer),
      };
    },
    async stop() {
      await sb.cleanup();
      await server.stop();
    },
  };
}

/** A server whose store holds the runs SeededRuns describes. */
export async function seedStore(): Promise<SeededStore> {
  const store = await startUiStore();
  try {
    const iris = store.iris();
    // The patched run changes the working tree, so it goes alone; the others then start together, as a sweep would.
    const patched = await patchedRun(iris);
    const [low, mid, failed, dev, previews] = await Promise.all([
      cliRun(iris, ['-p', `optim.lr=${SEEDED_LR.low}`], 0),
      cliRun(iris, ['-p', `optim.lr=${SEEDED_LR.mid}`], 0),
      cliRun(iris, ['-p', 'epochs=0'], 1),
      cliRun(iris, ['--dev', '-p', `optim.lr=${SEEDED_LR.dev}`], 0),
      previewRun(store.client),
    ]);
    const runs: SeededRuns = { low, mid, patched, failed, dev, previews };
    return { ...store, runs };
  } catch (e) {
    await store.stop();
    throw e;
  }
}

function copyIris(sb: Sandbox, name: string, edit?: (dir: string) => void): string {
  const dir = join(sb.root, name);
  // What earlier runs of the example left in the source tree is not part of it.
  cpSync(join(REPO_ROOT, 'examples', 'iris'), dir, { recursive: true, filter: (src) => !/(__pycache__|\/work|\/outputs|\/model)$/.test(src) });
  edit?.(dir);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'iris');
  return dir;
}

/** Runs the pipeline and gives the run it recorded; throws unless it exited with `expectedCode`. */
async function cliRun(iris: IrisProject, args: readonly string[], expectedCode: number): Promise<SeededRun> {
  const res = await iris.run(args);
  if (res.code !== expectedCode) throw new Error(`reprise run ${args.join(' ')} exited ${res.code}, expected ${expectedCode}\n${res.stderr}\n${res.stdout}`);
  const run = JSON.parse(res.stdout) as { id: string; name: string };
  return { id: run.id, name: run.name };
}

/** A run of a working tree with an uncommitted line in train.py (its code records a patch); the change is undone after. */
async function patchedRun(iris: IrisProject): Promise<SeededRun> {
  const train = join(iris.dir, 'train.py');
  const committed = readFileSync(train);
  appendFileSync(train, `\n${PATCH_LINE}\n`);
  try {
    return await cliRun(iris, ['-p', `optim.lr=${SEEDED_LR.patched}`], 0);
  } finally {
    writeFileSync(train, committed);
  }
}

// ---- a PNG, by hand ---------------------------------------------------------------------

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** An RGB PNG of a matrix as a heat map: each cell `cell` pixels square, darker blue for larger counts. */
export function confusionPng(matrix: readonly (readonly number[])[], cell: number): Buffer {
  const rows = matrix.length;
  const cols = matrix[0]!.length;
  const width = cols * cell;
  const height = rows * cell;
  const peak = Math.max(...matrix.flat());
  // Each scanline starts with its filter type (0: none), then RGB triples.
  const raw = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const line = y * (1 + width * 3);
    for (let x = 0; x < width; x++) {
      const share = matrix[Math.floor(y / cell)]![Math.floor(x / cell)]! / peak;
      const border = x % cell === 0 || y % cell === 0;
      const at = line + 1 + x * 3;
      raw[at] = border ? 255 : Math.round(235 - 200 * share);
      raw[at + 1] = border ? 255 : Math.round(242 - 150 * share);
      raw[at + 2] = 255;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per channel
  header[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---- the run with an artifact of every previewed kind ----------------------------------

const REPORT_TXT = [
  'Iris classifier: validation report',
  '',
  'accuracy on 30 held-out flowers: 0.9333',
  'misclassified: 2 versicolor taken for virginica',
  '',
].join('\n');

const METRICS_JSON = `${JSON.stringify({ val_accuracy: 0.9333, val_loss: 0.3012, per_class: { setosa: 1, versicolor: 0.8, virginica: 1 } }, null, 2)}\n`;

export const CSV_HEADER = ['id', 'sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'actual', 'predicted'] as const;

const PREDICTIONS_CSV = [
  CSV_HEADER.join(','),
  '1,5.1,3.5,1.4,0.2,setosa,setosa',
  '2,7.0,3.2,4.7,1.4,versicolor,versicolor',
  '3,6.3,3.3,6.0,2.5,virginica,virginica',
  '4,5.9,3.2,4.8,1.8,versicolor,virginica',
  '',
].join('\n');

/** The confusion matrix the PNG draws: rows are actual classes, columns predicted ones. */
const CONFUSION = [
  [10, 0, 0],
  [0, 8, 2],
  [0, 0, 10],
];

/** Path → bytes of each artifact of the preview run: text, JSON, CSV and a PNG image. */
export const PREVIEW_ARTIFACTS: Readonly<Record<string, Buffer>> = {
  'outputs/report.txt': Buffer.from(REPORT_TXT),
  'outputs/metrics.json': Buffer.from(METRICS_JSON),
  'outputs/predictions.csv': Buffer.from(PREDICTIONS_CSV),
  'outputs/confusion.png': confusionPng(CONFUSION, 24),
};

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** A finished run in PREVIEW_PROJECT whose artifacts are PREVIEW_ARTIFACTS, uploaded as a runner does: blobs first, then the list. */
async function previewRun(client: Api): Promise<SeededRun> {
  const run = await createRun(client, finishedRun({ project: PREVIEW_PROJECT, name: 'report-previews' }));
  const listed = [];
  for (const [path, bytes] of Object.entries(PREVIEW_ARTIFACTS)) {
    const hash = sha256(bytes);
    const res = await client.put(`/blobs/${hash}`, bytes, { headers: { 'content-type': 'application/octet-stream' } });
    if (res.status >= 300) throw new Error(`PUT /blobs/${hash} answered ${res.status}: ${res.text}`);
    listed.push({ path, size: bytes.length, sha256: hash });
  }
  const res = await client.put(`/runs/${run.id}/artifacts`, { artifacts: listed });
  if (res.status !== 200) throw new Error(`PUT /runs/${run.id}/artifacts answered ${res.status}: ${res.text}`);
  return { id: run.id, name: run.name };
}

/** A test file's seeded store and browser, both started before its tests and stopped after. */
export interface SeededUi {
  readonly store: SeededStore;
  readonly browser: TestBrowser;
}

/** Registers the hooks that give a test file a seeded store and a browser (and screenshots of failures). */
export function seededUi(): SeededUi {
  let store: SeededStore | undefined;
  let browser: TestBrowser | undefined;
  screenshotFailures(() => browser);
  beforeAll(async () => {
    [store, browser] = await Promise.all([seedStore(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await store?.stop();
  });
  return {
    get store() {
      return started(store, 'seeded store');
    },
    get browser() {
      return started(browser, 'browser');
    },
  };
}
