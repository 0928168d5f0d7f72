/**
 * Bytes moved straight between this machine and the server's object store, at URLs the
 * server hands out (presigned S3 requests), so they never pass through the server. An
 * object store that does not answer is waited for, as the server itself is (a run's
 * outputs must outlive a short outage); the URL is asked for again on each try, since
 * one may expire while the store is away.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { RepriseError } from '../../../core/errors.js';

/** Worth trying again: the store is away or busy, or the URL expired meanwhile (403). */
const RETRY_STATUSES = new Set([403, 408, 429, 500, 502, 503, 504]);

export class TransientTransferError extends Error {}

/** PUTs a file to a presigned URL; a refusal that will not change is a RepriseError. */
export async function putDirect(url: string, headers: Readonly<Record<string, string>>, path: string, size: number): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'PUT',
      headers: { ...headers, 'content-length': String(size) },
      body: Readable.toWeb(createReadStream(path)) as ReadableStream,
      duplex: 'half',
      signal: AbortSignal.timeout(3_600_000),
    } as RequestInit);
  } catch (e) {
    throw new TransientTransferError(describe(e));
  }
  if (res.ok) {
    await res.body?.cancel().catch(() => undefined);
    return;
  }
  const text = (await res.text().catch(() => '')).slice(0, 300);
  if (RETRY_STATUSES.has(res.status)) throw new TransientTransferError(`the object store answered ${res.status}`);
  throw new RepriseError('REPRISE_ERR_ARTIFACTS_UNAVAILABLE', `the object store refused the upload of ${path} (${res.status}): ${text}`, { details: { path } });
}

/** GETs a presigned URL; its body as a stream. */
export async function getDirect(url: string, what: string): Promise<Readable> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(3_600_000) });
  } catch (e) {
    throw new TransientTransferError(describe(e));
  }
  if (res.ok && res.body) return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
  await res.body?.cancel().catch(() => undefined);
  if (res.status === 404) throw new RepriseError('REPRISE_ERR_BLOB_NOT_FOUND', `no blob ${what} in the object store`);
  if (RETRY_STATUSES.has(res.status)) throw new TransientTransferError(`the object store answered ${res.status}`);
  throw new RepriseError('REPRISE_ERR_ARTIFACTS_UNAVAILABLE', `the object store refused to send ${what} (${res.status})`);
}

/** Runs `attempt` until it succeeds, waiting out transient failures for up to `patienceMs`. */
export async function withPatience<T>(patienceMs: number, onWaiting: ((m: string) => void) | undefined, attempt: () => Promise<T>): Promise<T> {
  const started = Date.now();
  let delay = 200;
  let warned = false;
  for (;;) {
    try {
      const result = await attempt();
      if (warned) onWaiting?.('the object store answers again');
      return result;
    } catch (e) {
      if (!(e instanceof TransientTransferError)) throw e;
      if (Date.now() - started > patienceMs) {
        throw new RepriseError('REPRISE_ERR_ARTIFACTS_UNAVAILABLE', `the object store did not answer for ${Math.round(patienceMs / 1000)} s: ${e.message}`);
      }
      if (!warned) {
        warned = true;
        onWaiting?.(`the object store does not answer (${e.message}); retrying for up to ${Math.round(patienceMs / 60_000)} min`);
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 5_000);
    }
  }
}

function describe(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError') return 'no answer in time';
  return err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e);
}
