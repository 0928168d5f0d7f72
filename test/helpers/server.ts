/**
 * Helpers for API tests: the real `reprise server` as a separate process over a real
 * SQLite file under a private REPRISE_HOME, and small HTTP clients for it (one on
 * Node's fetch, one on node:http for requests whose path must travel exactly as written).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const REPRISE_BIN = join(REPO_ROOT, 'bin', 'reprise.js');

const LISTENING = /^reprise server \S+ listening on (http:\/\/\S+) \(store (.*)\)$/m;

export interface ServerOptions {
  /** REPRISE_HOME; default a new temporary folder, removed when the server is stopped. */
  readonly home?: string;
  /** Default 0: any free port. */
  readonly port?: number;
  readonly host?: string;
  /** More arguments for `reprise server`, e.g. ['--body-limit', '2048']. */
  readonly args?: readonly string[];
  /** Added to the environment (REPRISE_* variables of the test process are not passed on). */
  readonly env?: NodeJS.ProcessEnv;
  /** How long the server may take to say where it listens. */
  readonly startTimeoutMs?: number;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  readonly home: string;
  readonly process: ChildProcess;
  /** Stops the process (SIGTERM unless told) and waits for it to exit; gives its exit code or signal. Removes a home this helper made, unless told to keep it. */
  stop(signal?: NodeJS.Signals, opts?: { keepHome?: boolean }): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  stdout(): string;
}

/** A new empty folder to use as REPRISE_HOME; the caller removes it (`removeHome`). */
export function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'reprise-api-'));
}

export function removeHome(home: string): void {
  rmSync(home, { recursive: true, force: true });
}

/** The environment a server gets: the test process's, without any REPRISE_* setting. */
function serverEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('REPRISE_')) delete env[k];
  return { ...env, REPRISE_HOME: home, ...extra };
}

function assertBuilt(): void {
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli.js'))) {
    throw new Error(`the CLI is not built (no dist/cli.js under ${REPO_ROOT}); run \`npm run build\` first`);
  }
}

function serverArgs(opts: ServerOptions): string[] {
  return ['server', '--host', opts.host ?? '127.0.0.1', '--port', String(opts.port ?? 0), ...(opts.args ?? [])];
}

/** Starts `reprise server` and resolves once it says where it listens; rejects with its output if it exits or stays silent. */
export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  assertBuilt();
  const ownHome = opts.home === undefined;
  const home = opts.home ?? tempHome();
  const child = spawn(process.execPath, [REPRISE_BIN, ...serverArgs(opts)], {
    cwd: home,
    env: serverEnv(home, opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });

  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`reprise server did not say where it listens within ${timeoutMs} ms\nstdout: ${out}\nstderr: ${err}`));
      }, timeoutMs);
      const onData = (): void => {
        const m = LISTENING.exec(out);
        if (m) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          resolve(m[1]!);
        }
      };
      child.stdout!.on('data', onData);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`reprise server exited early (code ${code}, signal ${signal})\nstdout: ${out}\nstderr: ${err}`));
      });
    });
  } catch (e) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    if (ownHome) removeHome(home);
    throw e;
  }

  let stopped: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  return {
    url,
    port: Number(new URL(url).port),
    home,
    process: child,
    stop(signal: NodeJS.Signals = 'SIGTERM', stopOpts: { keepHome?: boolean } = {}) {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill(signal);
          // A server that does not stop on the signal within 15 s is killed outright.
          const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
          const res = await exited;
          clearTimeout(t);
          if (ownHome && !stopOpts.keepHome) removeHome(home);
          return res;
        }
        const res = await exited;
        if (ownHome && !stopOpts.keepHome) removeHome(home);
        return res;
      })();
      return stopped;
    },
    stderr: () => err,
    stdout: () => out,
  };
}

export interface CommandResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `reprise server <args>` expected to end on its own (a refused start). If it starts
 * listening instead, it is stopped and the result says so (stdout holds the line).
 */
export async function runServerCommand(args: readonly string[], opts: { home?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CommandResult> {
  assertBuilt();
  const ownHome = opts.home === undefined;
  const home = opts.home ?? tempHome();
  try {
    return await new Promise<CommandResult>((resolve, reject) => {
      const child = spawn(process.execPath, [REPRISE_BIN, 'server', ...args], { cwd: home, env: serverEnv(home, opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString('utf8');
        if (LISTENING.test(out)) child.kill('SIGTERM');
      });
      child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
      child.once('error', reject);
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout: out, stderr: err });
      });
    });
  } finally {
    if (ownHome) removeHome(home);
  }
}

// ---- HTTP -------------------------------------------------------------------------------

export interface ApiResponse<T = any> {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed body when it is JSON, else undefined. */
  readonly json: T;
  readonly text: string;
}

export interface RequestOptions {
  /** A value sent as JSON; a string or bytes sent as they are (set content-type in headers). */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
}

export interface Api {
  request<T = any>(method: string, path: string, opts?: RequestOptions): Promise<ApiResponse<T>>;
  get<T = any>(path: string, opts?: RequestOptions): Promise<ApiResponse<T>>;
  head(path: string, opts?: RequestOptions): Promise<ApiResponse<undefined>>;
  post<T = any>(path: string, body?: unknown, opts?: RequestOptions): Promise<ApiResponse<T>>;
  put<T = any>(path: string, body?: unknown, opts?: RequestOptions): Promise<ApiResponse<T>>;
  patch<T = any>(path: string, body?: unknown, opts?: RequestOptions): Promise<ApiResponse<T>>;
  delete<T = any>(path: string, opts?: RequestOptions): Promise<ApiResponse<T>>;
}

function isBytes(v: unknown): v is string | Uint8Array {
  return typeof v === 'string' || v instanceof Uint8Array;
}

/** A fetch wrapper for one server: paths are relative to `/api/v1` unless they start with `/api/`. */
/** `token`: sent as `Authorization: Bearer` with every request (a server with --auth). */
export function api(url: string, defaults: { token?: string } = {}): Api {
  const base = url.replace(/\/$/, '');
  const request = async <T>(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> => {
    const full = base + (path.startsWith('/api/') ? path : `/api/v1${path}`);
    const headers: Record<string, string> = { ...(defaults.token ? { authorization: `Bearer ${defaults.token}` } : {}), ...(opts.headers ?? {}) };
    let body: string | Uint8Array | undefined;
    if (opts.body !== undefined) {
      if (isBytes(opts.body)) {
        body = opts.body;
      } else {
        body = JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
    }
    const res = await fetch(full, { method, headers, ...(body !== undefined ? { body } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
    const text = method === 'HEAD' ? '' : await res.text();
    let json: any;
    if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') json = JSON.parse(text);
    return { status: res.status, headers: res.headers, json: json as T, text };
  };
  return {
    request,
    get: (path, opts) => request('GET', path, opts),
    head: (path, opts) => request('HEAD', path, opts),
    post: (path, body, opts) => request('POST', path, { ...opts, body }),
    put: (path, body, opts) => request('PUT', path, { ...opts, body }),
    patch: (path, body, opts) => request('PATCH', path, { ...opts, body }),
    delete: (path, opts) => request('DELETE', path, opts),
  };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly json: any;
}

/**
 * One request through node:http, the path sent byte for byte as given (fetch and URL
 * would resolve `..` and `%2e%2e` before sending).
 */
export function rawRequest(url: string, method: string, path: string, opts: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, method, path, headers: opts.headers ?? {} }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(parts);
        let json: any;
        if ((res.headers['content-type'] ?? '').includes('json') && body.length > 0) json = JSON.parse(body.toString('utf8'));
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Polls until `probe` gives something other than undefined or false. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A test file's server and a client for it, started before its tests and stopped after. */
export interface FileServer {
  readonly server: RunningServer;
  readonly client: Api;
}

/** Registers the hooks that give a test file one real server (hooks registered later run after it starts). */
export function useServer(opts: ServerOptions = {}): FileServer {
  let server: RunningServer | undefined;
  let client: Api | undefined;
  beforeAll(async () => {
    server = await startServer(opts);
    client = api(server.url);
  });
  afterAll(async () => {
    await server?.stop();
  });
  return {
    get server() {
      return started(server, 'server');
    },
    get client() {
      return started(client, 'server');
    },
  };
}

/** What a beforeAll hook made, read by a test; an error if read before the hook ran. */
export function started<T>(what: T | undefined, name: string): T {
  if (what === undefined) throw new Error(`the ${name} is not started: use it inside a hook or a test`);
  return what;
}
