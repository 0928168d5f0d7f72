/**
 * Live logs kept by a Reprise server (remote mode). A runner's pieces go through the
 * outbox, at their byte offsets, so they arrive in order and a resend is harmless;
 * readers fetch the bytes past what they have.
 */
import type { LogAppend, LogFile, RunLogStore } from '../../../ports/run-log-store.js';
import type { ApiClient } from '../../api-client/api-client.js';
import type { Outbox } from '../../api-client/outbox.js';

export class HttpRunLogStore implements RunLogStore {
  readonly #api: ApiClient;
  readonly #outbox: Outbox;

  constructor(opts: { api: ApiClient; outbox: Outbox }) {
    this.#api = opts.api;
    this.#outbox = opts.outbox;
  }

  /** Queued for delivery; what it reports is this side's view (the server skips bytes it holds). */
  async append(runId: string, stage: string, file: LogFile, offset: number, data: Buffer): Promise<LogAppend> {
    this.#outbox.enqueue({ method: 'PUT', path: `/runs/${runId}/logs/${stage}/${file}?offset=${offset}`, bytes: data });
    return { size: offset + data.length, appended: data.length };
  }

  /** The server forgets its copies itself when the run's final status arrives. */
  async discard(_runId: string): Promise<void> {}

  async read(runId: string, stage: string, file: LogFile, offset: number): Promise<Buffer> {
    await this.#outbox.flush();
    const res = await this.#api.request({ method: 'GET', path: `/runs/${runId}/logs/${stage}/${file}?offset=${offset}&live=true` });
    return Buffer.from(await res.arrayBuffer());
  }
}
