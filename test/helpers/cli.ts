/**
 * Helpers for end-to-end tests: temporary git projects and the real `reprise` command,
 * run as a separate process against a private REPRISE_HOME.
 *
 * The CLI suite runs in two modes (see vitest.config.ts), chosen by REPRISE_TEST_MODE:
 * - `embedded` (the default): the database and blobs are under the sandbox's home.
 * - `server`: each sandbox also starts its own `reprise server` on a free port, with its
 *   own home (`<root>/server-home`), and every command of the test gets REPRISE_SERVER.
 *   The client's home still holds this machine's environments, run folders and caches;
 *   the database and blobs are under the server's home (`sb.storeHome`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const REPRISE_BIN = join(REPO_ROOT, 'bin', 'reprise.js');

export type TestMode = 'embedded' | 'server';

/** The mode this test process runs the CLI in: the vitest project sets REPRISE_TEST_MODE. */
export const TEST_MODE: TestMode = process.env.REPRISE_TEST_MODE === 'server' ? 'server' : 'embedded';
export const SERVER_MODE = TEST_MODE === 'server';

const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: 'Reprise Tests',
  GIT_AUTHOR_EMAIL: 'tests@reprise.invalid',
  GIT_COMMITTER_NAME: 'Reprise Tests',
  GIT_COMMITTER_EMAIL: 'tests@reprise.invalid',
};

/** How long a server may take to say where it listens. */
const SERVER_START_TIMEOUT_MS = 30_000;
/** How long a server may take to stop on SIGTERM before it is killed. */
const SERVER_STOP_GRACE_MS = 5_000;

/** A `reprise server` process started by a test. */
export interface RepriseServer {
  /** `http://127.0.0.1:<port>`, as the server printed it. */
  readonly url: string;
  readonly port: number;
  /** The server's REPRISE_HOME: its database and blobs. */
  readonly home: string;
  readonly process: ChildProcess;
  /** What it wrote to stderr so far (the last 64 KiB). */
  stderr(): string;
  /** Whether the process has exited. */
  readonly exited: boolean;
  /** Resolves when the process has exited. */
  readonly closed: Promise<void>;
  /** Ends it on purpose (its exit is then not a failure): `signal`, then SIGKILL after a grace period. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface Sandbox {
  /** Scratch folder holding the project(s), REPRISE_HOME and, in server mode, the server's home. */
  readonly root: string;
  /** The client's REPRISE_HOME: envs/, runs/<id>, cache/ (and outbox/ in server mode). */
  readonly home: string;
  readonly mode: TestMode;
  /** Where reprise.db and blobs/ live: the server's home in server mode, `home` otherwise. */
  readonly storeHome: string;
  /** The environment every command of this sandbox gets (REPRISE_SERVER included in server mode). */
  readonly env: NodeJS.ProcessEnv;
  /** The sandbox's server in server mode (the replacement, after `restartServer`); null when embedded. */
  readonly server: RepriseServer | null;
  /** Stops the server, if any, and removes the scratch folder. */
  cleanup(): Promise<void>;
}

/** What the helpers know of a server they started. */
interface ServerState extends RepriseServer {
  /** Whether it was asked to end (its exit is then expected). */
  readonly stopping: boolean;
}

interface SandboxState extends Sandbox {
  server: ServerState | null;
  /** Set when the server exited without being asked to: every command then fails with this. */
  serverDied: Error | null;
  /** `reprise` processes started through this sandbox that are still running. */
  readonly children: Set<ChildProcess>;
}

/** This test file's sandboxes not cleaned up yet: `waitFor` stops early when one's server died. */
const liveSandboxes = new Set<SandboxState>();

/**
 * A scratch folder with a private REPRISE_HOME; in server mode, also a running server
 * of its own (`sb.server`) that every command goes through.
 */
export async function sandbox(): Promise<Sandbox> {
  const root = mkdtempSync(join(tmpdir(), 'reprise-e2e-'));
  const home = join(root, 'home');
  const env: NodeJS.ProcessEnv = { ...process.env, ...GIT_IDENTITY, REPRISE_HOME: home };
  for (const k of Object.keys(env)) if (k.startsWith('REPRISE_') && k !== 'REPRISE_HOME') delete env[k];
  const storeHome = SERVER_MODE ? join(root, 'server-home') : home;
  const sb: SandboxState = {
    root,
    home,
    mode: TEST_MODE,
    storeHome,
    env,
    server: null,
    serverDied: null,
    children: new Set(),
    cleanup: async () => {
      liveSandboxes.delete(sb);
      await sb.server?.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
  liveSandboxes.add(sb);
  if (SERVER_MODE) {
    try {
      await attachServer(sb, 0);
    } catch (e) {
      liveSandboxes.delete(sb);
      rmSync(root, { recursive: true, force: true });
      throw e;
    }
  }
  return sb;
}

/** `blobs/sha256/<2 hex>/<sha256>` under the store's home (the server's, in server mode). */
export function blobPath(sb: Sandbox, sha256: string): string {
  return join(sb.storeHome, 'blobs', 'sha256', sha256.slice(0, 2), sha256);
}

/** A stored blob's contents as UTF-8 text. */
export function readBlob(sb: Sandbox, sha256: string): string {
  return readFileSync(blobPath(sb, sha256), 'utf8');
}

/**
 * Starts `reprise server` on `home` and `port` (0: any free one), with `env` minus
 * REPRISE_SERVER; resolves once it printed where it listens.
 */
function launchServer(env: NodeJS.ProcessEnv, home: string, port: number): Promise<ServerState> {
  const serverEnv: NodeJS.ProcessEnv = { ...env, REPRISE_HOME: home };
  delete serverEnv.REPRISE_SERVER;
  const child = spawn(process.execPath, [REPRISE_BIN, 'server', '--port', String(port)], { cwd: REPO_ROOT, env: serverEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let exited = false;
  let stopping = false;
  const closed = new Promise<void>((r) => child.once('close', () => r()));
  child.once('exit', () => (exited = true));
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-65_536);
  });
  return new Promise<ServerState>((resolvePromise, reject) => {
    const fail = (why: string): void => {
      clearTimeout(timer);
      if (!exited) child.kill('SIGKILL');
      reject(new Error(`reprise server (home ${home}, port ${port}) ${why}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    };
    const timer = setTimeout(() => fail(`did not say where it listens within ${SERVER_START_TIMEOUT_MS / 1000} s`), SERVER_START_TIMEOUT_MS);
    const onStdout = (c: Buffer): void => {
      stdout += c.toString('utf8');
      const m = /^reprise server \S+ listening on (http:\/\/[^\s]+) \(store (.+)\)$/m.exec(stdout);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', onStdout);
      child.stdout!.resume();
      child.off('close', onEarlyClose);
      const url = m[1]!;
      const server: ServerState = {
        url,
        port: Number(new URL(url).port),
        home,
        process: child,
        stderr: () => stderr,
        get exited() {
          return exited;
        },
        get stopping() {
          return stopping;
        },
        closed,
        stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
          stopping = true;
          if (exited) return;
          child.kill(signal);
          const timeout = setTimeout(() => child.kill('SIGKILL'), SERVER_STOP_GRACE_MS);
          await closed;
          clearTimeout(timeout);
        },
      };
      resolvePromise(server);
    };
    const onEarlyClose = (code: number | null, signal: NodeJS.Signals | null): void => fail(`exited (${signal ?? `code ${code}`}) before listening`);
    child.stdout!.on('data', onStdout);
    child.once('close', onEarlyClose);
    child.once('error', (e) => fail(`could not be started: ${e.message}`));
  });
}

/** Starts the sandbox's server and makes every command go through it. */
async function attachServer(sb: SandboxState, port: number): Promise<void> {
  const server = await launchServer(sb.env, sb.storeHome, port);
  sb.server = server;
  sb.serverDied = null;
  sb.env.REPRISE_SERVER = server.url;
  server.process.once('close', (code, signal) => {
    if (server.stopping || sb.server !== server) return;
    // It died by itself: what depends on it fails now, with the server's own words, instead of waiting for it.
    sb.serverDied = new Error(`the sandbox's reprise server (${server.url}) exited unexpectedly (${signal ?? `code ${code}`})\nserver stderr:\n${server.stderr()}`);
    // Asked to stop (a run then ends its stages), then killed: they would otherwise wait for the server.
    for (const c of sb.children) {
      c.kill('SIGTERM');
      setTimeout(() => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL'), 3_000).unref();
    }
  });
}

/**
 * Server mode: ends the sandbox's server with `signal` (default SIGKILL, as a crash
 * would), waits for `whileDown` if given, and starts a replacement on the same port with
 * the same home. Commands already running are left alone: they are expected to wait for
 * the replacement.
 */
export async function restartServer(sb: Sandbox, opts: { signal?: NodeJS.Signals; whileDown?: () => Promise<void> } = {}): Promise<RepriseServer> {
  const state = sb as SandboxState;
  const old = state.server;
  if (!old) throw new Error('restartServer: this sandbox has no server (embedded mode)');
  await old.stop(opts.signal ?? 'SIGKILL');
  await opts.whileDown?.();
  await attachServer(state, old.port);
  return state.server!;
}

export function writeFiles(dir: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
}

export function git(dir: string, ...args: string[]): string {
  const res = spawnSync('git', args, { cwd: dir, env: { ...process.env, ...GIT_IDENTITY }, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${res.stderr}`);
  return res.stdout;
}

/** A new git repository holding `files`, committed. */
export function gitProject(sb: Sandbox, files: Record<string, string | Buffer>, name = 'proj'): string {
  const dir = join(sb.root, name);
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  writeFiles(dir, files);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'initial');
  return dir;
}

/** A copy of one of the shipped examples (`examples/<name>`) as a user's own repository, committed. */
export function exampleProject(sb: Sandbox, name: string): string {
  const dir = join(sb.root, name);
  cpSync(join(REPO_ROOT, 'examples', name), dir, { recursive: true, filter: (src) => !/(__pycache__|\/work|\/outputs|\/model)$/.test(src) });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', name);
  return dir;
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `stdin`: piped in (a password for --password-stdin); else the command reads nothing. */
export function reprise(sb: Sandbox, cwd: string, args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}, stdin?: string): Promise<CliResult> {
  return collect(startReprise(sb, cwd, args, extraEnv, stdin), args, () => (sb as SandboxState).serverDied);
}

/** A started command's output and exit; `failure` may say the command cannot be trusted (its server died). */
function collect(child: ChildProcess, args: readonly string[], failure: () => Error | null | undefined = () => undefined): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => {
      const died = failure();
      if (died) reject(new Error(`reprise ${args.join(' ')}: ${died.message}\nits own stderr:\n${stderr}`));
      else resolvePromise({ code, stdout, stderr });
    });
  });
}

/**
 * `reprise <args>` embedded on a store's home outside any sandbox (a server's, seeded before
 * it starts), none of the test process's REPRISE_* settings passed on; `stdin` piped in.
 */
export function repriseOnHome(home: string, args: readonly string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('REPRISE_')) delete env[k];
  const child = spawn(process.execPath, [REPRISE_BIN, ...args], { cwd: home, env: { ...env, REPRISE_HOME: home, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin!.end(opts.stdin ?? '');
  return collect(child, args);
}

/**
 * Starts `reprise <args>` without waiting for it. In server mode, if the sandbox's
 * server dies by itself, the process is killed (it would otherwise wait for the server)
 * and the next command of the sandbox fails with the server's stderr.
 */
export function startReprise(sb: Sandbox, cwd: string, args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}, stdin?: string): ChildProcess {
  const state = sb as SandboxState;
  if (state.serverDied) throw state.serverDied;
  const child = spawn(process.execPath, [REPRISE_BIN, ...args], { cwd, env: { ...sb.env, ...extraEnv }, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  if (stdin !== undefined) child.stdin!.end(stdin);
  state.children.add(child);
  child.once('close', () => state.children.delete(child));
  return child;
}

/** `reprise <args> --json`, parsed; fails the test with the output when the command fails. */
export async function repriseJson<T = any>(sb: Sandbox, cwd: string, args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<T> {
  const res = await reprise(sb, cwd, [...args, '--json'], extraEnv);
  if (res.code !== 0) throw new Error(`reprise ${args.join(' ')} exited ${res.code}\n${res.stderr}\n${res.stdout}`);
  return JSON.parse(res.stdout) as T;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    for (const sb of liveSandboxes) if (sb.serverDied) throw new Error(`while waiting for ${what}: ${sb.serverDied.message}`);
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function yamlFor(stages: { name: string; cmd: string }[], extra = ''): string {
  return `name: proj\nparams: input.json\nseed: 7\n${extra}stages:\n${stages.map((s) => `  - name: ${s.name}\n    cmd: ${JSON.stringify(s.cmd)}\n`).join('')}`;
}
