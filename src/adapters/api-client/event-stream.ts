/**
 * @module adapters/api-client/event-stream
 * Waiting for news of a run through the server's event stream (server-sent events), so
 * `reprise logs --follow` through a server reacts at once instead of polling. One
 * connection per run, opened on first use; if it drops, waits fall back to their timeout.
 */
import { API_PREFIX } from '../../core/api-version.js';
import type { ApiClient } from './api-client.js';

export class RunEventWatcher {
  readonly #api: ApiClient;
  readonly #streams = new Map<string, { dirty: boolean; wake: (() => void) | undefined; abort: AbortController }>();

  constructor(opts: { api: ApiClient }) {
    this.#api = opts.api;
  }

  #open(runId: string) {
    let s = this.#streams.get(runId);
    if (s) return s;
    const state = { dirty: false, wake: undefined as (() => void) | undefined, abort: new AbortController() };
    this.#streams.set(runId, state);
    s = state;
    void (async () => {
      try {
        const res = await fetch(`${this.#api.url}${API_PREFIX}/events?run=${encodeURIComponent(runId)}`, { signal: state.abort.signal, headers: this.#api.headers });
        if (!res.ok || !res.body) return;
        const decoder = new TextDecoder();
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          // Any event line means news; which one does not matter to a waiter, who reads again.
          if (/^event: (?!ready)/m.test(decoder.decode(chunk, { stream: true }))) {
            state.dirty = true;
            state.wake?.();
          }
        }
      } catch {
        // Closed or unreachable: waits time out as when polling.
      }
    })();
    return s;
  }

  /** Resolves at the run's next event (or at once if one came since the last wait), or after `maxMs`. */
  wait(runId: string, maxMs: number): Promise<void> {
    const s = this.#open(runId);
    if (s.dirty) {
      s.dirty = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, maxMs);
      function done(): void {
        clearTimeout(timer);
        s.wake = undefined;
        s.dirty = false;
        resolve();
      }
      s.wake = done;
    });
  }

  close(): void {
    for (const s of this.#streams.values()) s.abort.abort();
    this.#streams.clear();
  }
}
