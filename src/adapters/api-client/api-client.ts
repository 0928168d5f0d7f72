/**
 * @module adapters/api-client/api-client
 * Requests to a Reprise server's native API, shared by the HTTP adapters. An error
 * answer becomes the RepriseError it describes. A server that does not answer is an
 * error at once if it never answered this process (a wrong URL, a server not started);
 * once it has, requests wait for it to come back (a restart, a network blip) for up to
 * `patienceMs`, so a long run outlives a server restart.
 */
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { API_PREFIX } from '../../core/api-version.js';
import { ERROR_CODES, RepriseError, type ErrorCode } from '../../core/errors.js';


export interface ApiRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  /** Under /api/v1, with its query string: `/runs?limit=5`. */
  readonly path: string;
  readonly json?: unknown;
  /** Raw bytes, or a way to open them again for each attempt (a file). */
  readonly bytes?: Buffer | (() => Readable);
  /** Statuses that are answers, not errors (404 for "is it there?"). */
  readonly accept?: readonly number[];
  readonly timeoutMs?: number;
}

/** `?a=1&b=x` of the parameters given (undefined ones left out), or '' when none are. */
export function qs(params: Record<string, string | number | boolean | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

const RETRY_STATUSES = new Set([502, 503, 504]);
const DEFAULT_TIMEOUT_MS = 120_000;

/** Checks REPRISE_SERVER and returns it without a trailing slash. */
export function serverUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    u = new URL('invalid:');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new RepriseError('REPRISE_ERR_SERVER_URL_INVALID', `REPRISE_SERVER=${JSON.stringify(raw)} is not an http:// or https:// URL`, {
      hint: 'e.g. REPRISE_SERVER=http://127.0.0.1:7878 (what `reprise server` prints)',
    });
  }
  return u.toString().replace(/\/+$/, '');
}

export class ApiClient {
  readonly url: string;
  readonly #patienceMs: number;
  readonly #onWaiting: ((message: string) => void) | undefined;
  /** Sent with every request: an agent names itself (x-reprise-worker) so reports on runs it no longer holds are refused. */
  readonly #headers: Readonly<Record<string, string>>;
  #reached = false;

  constructor(opts: { url: string; patienceMs: number; onWaiting?: (message: string) => void; headers?: Readonly<Record<string, string>> }) {
    this.url = serverUrl(opts.url);
    this.#patienceMs = opts.patienceMs;
    this.#onWaiting = opts.onWaiting;
    this.#headers = opts.headers ?? {};
  }

  /** What every request carries (the worker's name, the token), for requests made beside this client (the event stream). */
  get headers(): Readonly<Record<string, string>> {
    return this.#headers;
  }

  /** The answer to a request; error answers are thrown as RepriseErrors. */
  async request(req: ApiRequest): Promise<Response> {
    const started = Date.now();
    let delay = 100;
    let warned = false;
    for (;;) {
      let res: Response | undefined;
      let failure: unknown;
      try {
        res = await fetch(this.url + API_PREFIX + req.path, {
          method: req.method,
          headers: { ...this.#headers, ...(req.json !== undefined ? { 'content-type': 'application/json' } : req.bytes ? { 'content-type': 'application/octet-stream' } : {}) },
          body: req.json !== undefined ? JSON.stringify(req.json) : req.bytes ? (Buffer.isBuffer(req.bytes) ? req.bytes : (req.bytes() as unknown as ReadableStream)) : null,
          signal: AbortSignal.timeout(req.timeoutMs ?? DEFAULT_TIMEOUT_MS),
          ...(req.bytes && !Buffer.isBuffer(req.bytes) ? { duplex: 'half' } : {}),
        } as RequestInit);
      } catch (e) {
        failure = e;
      }
      if (res && !RETRY_STATUSES.has(res.status)) {
        this.#reached = true;
        if (warned) this.#onWaiting?.(`the server at ${this.url} answers again`);
        if (res.ok || req.accept?.includes(res.status)) return res;
        throw await errorFrom(res, req);
      }
      const why = res ? `it answered ${res.status}` : describe(failure);
      if (!this.#reached || Date.now() - started > this.#patienceMs) {
        throw new RepriseError('REPRISE_ERR_SERVER_UNREACHABLE', `the Reprise server at ${this.url} cannot be reached: ${why}`, {
          hint: this.#reached ? 'it stopped answering; start it again with `reprise server`' : 'start it with `reprise server`, or unset REPRISE_SERVER to work without one',
          details: { server: this.url },
        });
      }
      if (!warned) {
        warned = true;
        this.#onWaiting?.(`the server at ${this.url} does not answer (${why}); retrying for up to ${Math.round(this.#patienceMs / 60_000)} min`);
      }
      await res?.body?.cancel().catch(() => undefined);
      await sleep(delay);
      delay = Math.min(delay * 2, 2_000);
    }
  }

  async json<T>(req: ApiRequest): Promise<T> {
    const res = await this.request(req);
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw protocolError(res.status, text, req);
    }
  }

  /** How long a server (or its object store) that answered before is waited for. */
  get patienceMs(): number {
    return this.#patienceMs;
  }

  /** Where waiting is reported. */
  get onWaiting(): ((message: string) => void) | undefined {
    return this.#onWaiting;
  }

  get everReached(): boolean {
    return this.#reached;
  }
}

function describe(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError') return 'no answer in time';
  return err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e);
}

function protocolError(status: number, text: string, req: ApiRequest): RepriseError {
  return new RepriseError('REPRISE_ERR_SERVER_PROTOCOL', `${req.method} ${API_PREFIX}${req.path.split('?')[0]} answered ${status} with something this client cannot read: ${JSON.stringify(text.slice(0, 200))}`, {
    hint: 'is REPRISE_SERVER the address of a Reprise server of the same version?',
  });
}

async function errorFrom(res: Response, req: ApiRequest): Promise<RepriseError> {
  const text = req.method === 'HEAD' ? '' : await res.text();
  let body: { error?: { code?: string; message?: string; hint?: string; details?: Record<string, unknown> } } | undefined;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = undefined;
  }
  const e = body?.error;
  if (e && typeof e.code === 'string' && e.code in ERROR_CODES && typeof e.message === 'string') {
    return new RepriseError(e.code as ErrorCode, e.message, { ...(e.hint ? { hint: e.hint } : {}), ...(e.details ? { details: e.details } : {}) });
  }
  return protocolError(res.status, text, req);
}
