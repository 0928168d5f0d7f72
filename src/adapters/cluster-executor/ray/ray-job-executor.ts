/**
 * @module adapters/cluster-executor/ray/ray-job-executor
 * Runs a queued run as a Ray job, through the job submission API that the head node's
 * dashboard serves (usually on port 8265). The job's entrypoint is the runner's command
 * line quoted for the shell Ray runs it with; the CPUs, GPUs and memory the run asks for
 * are the entrypoint's, so Ray starts it on a node that has them free and holds them
 * while it runs. The job's id is `reprise-<run id>`: Ray refuses a second job of that id,
 * so a run submitted twice finds its first job.
 *
 * The runner's environment (its run-scoped token too) travels as the job's
 * `runtime_env.env_vars`. Ray keeps it with the job and masks it on its dashboard's pages,
 * but its job API shows it to any other client: that API must stay as private as the
 * cluster itself, which runs whatever command it is sent.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { RepriseError, bug } from '../../../core/errors.js';
import { shellQuote } from '../../../core/shell-quote.js';
import type { ClusterExecutor, ClusterJobSpec, ClusterJobStatus } from '../../../ports/cluster-executor.js';

/** The dashboard's port unless told otherwise: where Ray's job API usually is. */
export const RAY_DASHBOARD_PORT = 8265;

const JOB_ID_PREFIX = 'reprise-';
/** Ray answers at once; past this the head node is taken for unreachable. */
const REQUEST_TIMEOUT_MS = 30_000;
/** check() is asked before anything is submitted, by a person waiting. */
const CHECK_TIMEOUT_MS = 10_000;
/** Ray's messages can hold a traceback or a log's tail; a reason is one line. */
const MAX_REASON_CHARS = 500;

export interface RayJobExecutorOptions {
  /** The job API: the head node's dashboard, `http://HEAD:8265` (what parseRayAddress accepts). */
  readonly address: string;
  /** How requests are sent; by default node:http (Node's own fetch does not do: see `nodeHttpFetch`). */
  readonly fetch?: typeof fetch;
}

/**
 * Reads `--ray-address`: `http://HOST:PORT` or `https://…` (a path is kept, for a head
 * node behind a proxy), or `HOST:PORT` and `HOST` alone, which mean http and, for a bare
 * host, the dashboard's usual port. Returns it without a trailing slash.
 * Throws REPRISE_ERR_EXECUTOR_INVALID naming `--ray-address`, with a hint for a `ray://`
 * address (Ray's client, not its job API).
 */
export function parseRayAddress(text: string): string {
  const raw = text.trim();
  // Never echo a password typed into the address.
  const shown = JSON.stringify(raw.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/@]*@/i, '$1***@'));
  const hint = `give the address of the head node's dashboard, which serves Ray's job API: e.g. --ray-address http://HEAD:${RAY_DASHBOARD_PORT}`;
  const invalid = (why: string) =>
    new RepriseError('REPRISE_ERR_EXECUTOR_INVALID', `--ray-address ${shown} ${why}`, { hint, details: { option: '--ray-address' } });
  if (raw === '') throw invalid('is empty');
  if (/^ray:\/\//i.test(raw)) {
    throw invalid(`is an address of Ray's client (ray://); Reprise submits jobs through the job API, at the dashboard's address (port ${RAY_DASHBOARD_PORT} unless changed)`);
  }
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw);
  let url: URL;
  try {
    url = new URL(hasScheme ? raw : `http://${raw}`);
  } catch {
    throw invalid('is not an address: expected http://HOST:PORT');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`has the scheme ${url.protocol}//; the job API is reached over http or https`);
  if (url.hostname === '') throw invalid('names no host');
  if (url.username !== '' || url.password !== '') throw invalid('holds credentials, which Ray\'s job API does not take');
  if (url.search !== '' || url.hash !== '') throw invalid('has a query or a fragment; give the address alone');
  if (!hasScheme && url.port === '') url.port = String(RAY_DASHBOARD_PORT);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/** The fields of Ray's job details that are read. */
interface RayJobDetails {
  readonly status?: unknown;
  readonly message?: unknown;
  readonly driver_exit_code?: unknown;
}

interface Answer {
  readonly status: number;
  readonly text: string;
}

export class RayJobExecutor implements ClusterExecutor {
  readonly name = 'ray';
  readonly address: string;
  readonly #fetch: typeof fetch;

  constructor(opts: RayJobExecutorOptions) {
    this.address = parseRayAddress(opts.address);
    this.#fetch = opts.fetch ?? nodeHttpFetch;
  }

  /** `reprise-<run id>`: the same run, the same job. */
  jobIdFor(runId: string): string {
    return `${JOB_ID_PREFIX}${runId}`;
  }

  async check(): Promise<void> {
    const path = '/api/version';
    const answer = await this.#send('GET', path, undefined, CHECK_TIMEOUT_MS);
    if (answer.status !== 200) throw this.#answered('GET', path, answer);
    const version = this.#json('GET', path, answer);
    if (typeof version.ray_version !== 'string') {
      throw this.#unavailable(`answered GET ${path} without a Ray version: is this the dashboard of a Ray head node?`);
    }
  }

  async submit(spec: ClusterJobSpec): Promise<string> {
    if (spec.command.length === 0) throw bug(`the cluster job of run ${spec.runId} has no command`);
    const id = this.jobIdFor(spec.runId);
    // Unset resources are left to Ray: an entrypoint that asks for none runs on the head node.
    // The image is not used: Ray's nodes run the runner as they are.
    const body = {
      entrypoint: spec.command.map(shellQuote).join(' '),
      submission_id: id,
      runtime_env: { env_vars: { ...spec.env } },
      metadata: { reprise_run_id: spec.runId },
      ...(spec.cpus !== null ? { entrypoint_num_cpus: spec.cpus } : {}),
      ...(spec.gpus !== null && spec.gpus > 0 ? { entrypoint_num_gpus: spec.gpus } : {}),
      ...(spec.memoryBytes !== null ? { entrypoint_memory: Math.ceil(spec.memoryBytes) } : {}),
    };
    const path = '/api/jobs/';
    const answer = await this.#send('POST', path, body);
    if (answer.status === 200) {
      const made = this.#json('POST', path, answer);
      return typeof made.submission_id === 'string' ? made.submission_id : id;
    }
    // Ray refuses a submission id it already has (with a 500 and a traceback): the run's
    // job exists. Any refusal is checked that way, so its wording does not matter.
    if (await this.#exists(id)) return id;
    throw this.#answered('POST', path, answer);
  }

  async status(jobId: string): Promise<ClusterJobStatus> {
    const path = `/api/jobs/${encodeURIComponent(jobId)}`;
    const answer = await this.#send('GET', path, undefined);
    // Ray's own words: "Job … does not exist".
    if (this.#noSuchJob(answer)) return { state: 'lost', reason: firstLine(answer.text) };
    if (answer.status !== 200) throw this.#answered('GET', path, answer);
    const job: RayJobDetails = this.#json('GET', path, answer);
    const message = firstLine(job.message);
    switch (job.status) {
      case 'PENDING':
        // Ray says why it waits ("waiting for resources…") while it does.
        return { state: 'pending', reason: message };
      case 'RUNNING':
        return { state: 'running', reason: null };
      case 'SUCCEEDED':
        return { state: 'succeeded', reason: null };
      case 'FAILED':
        return { state: 'failed', reason: failureReason(message, job.driver_exit_code) };
      case 'STOPPED':
        return { state: 'failed', reason: 'stopped' };
      default:
        throw this.#unavailable(`answered a status Reprise does not know for job ${jobId}: ${JSON.stringify(job.status)}`);
    }
  }

  /**
   * Ray stops a running job's process group (SIGTERM, then SIGKILL after a few seconds).
   * A pending job is not stopped while it waits: once it gets room its command starts and
   * is stopped moments later (the runner of a canceled run finds it canceled and quits).
   */
  async stop(jobId: string): Promise<void> {
    const path = `/api/jobs/${encodeURIComponent(jobId)}/stop`;
    const answer = await this.#send('POST', path, undefined);
    if (answer.status === 200 || this.#noSuchJob(answer)) return;
    throw this.#answered('POST', path, answer);
  }

  async logTail(jobId: string, maxBytes: number): Promise<string> {
    const path = `/api/jobs/${encodeURIComponent(jobId)}/logs`;
    const answer = await this.#send('GET', path, undefined);
    if (this.#noSuchJob(answer)) return '';
    if (answer.status !== 200) throw this.#answered('GET', path, answer);
    const logs = this.#json('GET', path, answer).logs;
    return typeof logs === 'string' ? tailBytes(logs, maxBytes) : '';
  }

  async #exists(jobId: string): Promise<boolean> {
    const path = `/api/jobs/${encodeURIComponent(jobId)}`;
    const answer = await this.#send('GET', path, undefined);
    if (this.#noSuchJob(answer)) return false;
    if (answer.status !== 200) throw this.#answered('GET', path, answer);
    return true;
  }

  /**
   * Ray's 404 for a job it does not have says so ("Job … does not exist"). Another 404 (a
   * wrong address, a proxy's page) must not pass for it: every run would be taken for lost.
   */
  #noSuchJob(answer: Answer): boolean {
    return answer.status === 404 && /does not exist/i.test(answer.text);
  }

  async #send(method: 'GET' | 'POST', path: string, body: unknown, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Answer> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      const res = await this.#fetch(`${this.address}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { status: res.status, text: await res.text() };
    } catch (e) {
      throw this.#unavailable(`cannot be reached (${method} ${path}): ${networkReason(e, timeoutMs)}`, e, {
        hint: `start the Ray cluster, or give --ray-address the address of its head node's dashboard (port ${RAY_DASHBOARD_PORT} unless changed)`,
      });
    }
  }

  #json(method: string, path: string, answer: Answer): Record<string, unknown> {
    let value: unknown;
    try {
      value = JSON.parse(answer.text);
    } catch {
      value = undefined;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw this.#unavailable(`answered ${method} ${path} with something other than a JSON object (${JSON.stringify(clip(answer.text, 120))}): is this the dashboard of a Ray head node?`);
    }
    return value as Record<string, unknown>;
  }

  /** An answer that is neither what was asked nor a known refusal: Ray's last line says why (a traceback ends with the error). */
  #answered(method: string, path: string, answer: Answer): RepriseError {
    const lines = answer.text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    const why = clip(lines.at(-1) ?? 'no text', MAX_REASON_CHARS);
    return this.#unavailable(`answered ${method} ${path} with HTTP ${answer.status}: ${why}`, undefined, { details: { httpStatus: answer.status } });
  }

  #unavailable(why: string, cause?: unknown, extra: { hint?: string; details?: Record<string, unknown> } = {}): RepriseError {
    return new RepriseError('REPRISE_ERR_EXECUTOR_UNAVAILABLE', `Ray's job API at ${this.address} ${why}`, {
      ...(extra.hint ? { hint: extra.hint } : {}),
      details: { executor: this.name, address: this.address, ...extra.details },
      ...(cause !== undefined ? { cause } : {}),
    });
  }
}

/** The first line of Ray's message, or null when it gave none. */
function firstLine(message: unknown): string | null {
  if (typeof message !== 'string') return null;
  const line = (message.split('\n')[0] ?? '').trim();
  return line === '' ? null : clip(line, MAX_REASON_CHARS);
}

/**
 * Ray's message for a failed job, with the exit code when the message lacks it. Ray
 * follows a failed entrypoint's message with the tail of its log; that tail is logTail's,
 * so the words announcing it are cut.
 */
function failureReason(message: string | null, exitCode: unknown): string {
  const words = message?.replace(/[,:;]?\s*last available logs\b.*$/i, '').replace(/[\s:,;.]+$/, '') ?? '';
  const code = typeof exitCode === 'number' ? exitCode : null;
  if (code === null) return words || 'Ray gave no reason';
  if (words === '') return `exit code ${code}`;
  return new RegExp(`exit code ${code}\\b`).test(words) ? words : `${words} (exit code ${code})`;
}

/** The last `maxBytes` bytes of `text`, starting at a whole character. */
function tailBytes(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return '';
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let start = bytes.length - maxBytes;
  // Skip UTF-8 continuation bytes (10xxxxxx): the cut fell inside a character.
  while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start++;
  return bytes.subarray(start).toString('utf8');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Why a request got no answer, in the network's words: `connect ECONNREFUSED 127.0.0.1:8265`. */
function networkReason(e: unknown, timeoutMs: number): string {
  const words: string[] = [];
  for (let x: unknown = e, depth = 0; x !== undefined && x !== null && depth < 4; x = (x as { cause?: unknown }).cause, depth++) {
    if (x instanceof Error && (x.name === 'TimeoutError' || x.name === 'AbortError')) return `no answer within ${timeoutMs / 1000} s`;
    const text = x instanceof Error ? x.message || (x as { code?: string }).code || x.name : String(x);
    // Node's fetch says only "fetch failed"; its cause says why.
    if (text !== '' && text !== 'fetch failed' && !words.includes(text)) words.push(text);
  }
  return words.join('; ') || 'no reason given';
}

/**
 * The default way requests are sent. Node's own fetch always sends `Sec-Fetch-Mode`, and
 * Ray takes any request with that header for a browser's and refuses it every method but
 * GET (405: a guard against cross-site requests). This sends the little the adapter needs
 * (method, headers, a string body, a signal) with node:http or node:https.
 */
const nodeHttpFetch = ((input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
  const url = new URL(input instanceof Request ? input.url : input);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const method = init.method ?? 'GET';
  const body = typeof init.body === 'string' ? init.body : undefined;
  const headers = Object.fromEntries(new Headers(init.headers));
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise<Response>((resolve, reject) => {
    const req = send(url, { method, headers, ...(init.signal ? { signal: init.signal } : {}) }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('error', reject);
      res.once('end', () => {
        try {
          const status = res.statusCode ?? 0;
          const resHeaders = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) resHeaders.set(k, Array.isArray(v) ? v.join(', ') : v);
          const empty = status === 204 || status === 304 || method === 'HEAD';
          resolve(new Response(empty ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage ?? '', headers: resHeaders }));
        } catch (e) {
          reject(e);
        }
      });
    });
    // An aborted request fails with the signal's reason, as fetch does (a TimeoutError).
    req.once('error', (e) => reject(init.signal?.aborted ? (init.signal.reason as unknown) : e));
    req.end(body);
  });
}) as typeof fetch;
