/**
 * Live updates as server-sent events: a subscriber to one run sees that run's status
 * changes, new metric points and new log bytes, and nothing of other runs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { batchesFromPoints } from '../../src/core/metric-series.js';
import { startInProcessServer } from '../helpers/in-process-server.js';
import { useServer, waitUntil } from '../helpers/server.js';
import { createRun, makeRunRecord } from './fixtures.js';

interface SseEvent {
  readonly event: string;
  readonly data: any;
}

interface EventStream {
  readonly events: SseEvent[];
  readonly status: number;
  readonly contentType: string | null;
  /** Waits until an event satisfying `match` has arrived; returns it. */
  waitFor(what: string, match: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

/** Opens an event stream with fetch and parses its events as they arrive. */
async function openEvents(url: string): Promise<EventStream> {
  const abort = new AbortController();
  const res = await fetch(url, { signal: abort.signal, headers: { accept: 'text/event-stream' } });
  const events: SseEvent[] = [];
  let failure: unknown;
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          }
          if (data.length === 0 && event === 'message') continue;
          events.push({ event, data: JSON.parse(data.join('\n')) });
        }
      }
    } catch (e) {
      if (!abort.signal.aborted) failure = e;
    }
  })();
  return {
    events,
    status: res.status,
    contentType: res.headers.get('content-type'),
    async waitFor(what, match, timeoutMs = 15_000) {
      return waitUntil(what, () => {
        if (failure) throw failure;
        return events.find(match);
      }, timeoutMs);
    },
    close: () => abort.abort(),
  };
}

describe('events', () => {
  const ctx = useServer();
  const streams: EventStream[] = [];

  afterAll(async () => {
    for (const s of streams) s.close();
  });

  /** A queued run on another machine with a fresh heartbeat: nothing settles it behind the test's back. */
  const queuedRun = () => {
    const now = Date.now();
    return makeRunRecord({ status: 'queued', host: 'another-machine', createdAt: now, startedAt: null, endedAt: null, heartbeatAt: now });
  };

  it('streams the status, metrics and log events of one run, and none of another', async () => {
    const a = await createRun(ctx.client, queuedRun());
    const b = await createRun(ctx.client, queuedRun());

    const one = await openEvents(`${ctx.server.url}/api/v1/events?run=${a.id}`);
    const all = await openEvents(`${ctx.server.url}/api/v1/events`);
    streams.push(one, all);
    expect(one.status).toBe(200);
    expect(one.contentType).toContain('text/event-stream');
    await one.waitFor('the ready event', (e) => e.event === 'ready');
    await all.waitFor('the ready event', (e) => e.event === 'ready');

    // Run b moves too, interleaved with a's changes.
    expect((await ctx.client.patch(`/runs/${b.id}`, { status: 'running', heartbeatAt: Date.now() })).json).toEqual({ updated: true });
    expect((await ctx.client.patch(`/runs/${a.id}`, { status: 'running', heartbeatAt: Date.now() })).json).toEqual({ updated: true });
    await ctx.client.post(`/runs/${b.id}/metrics`, { points: [{ key: 'loss', value: 9, step: 0 }] });
    await ctx.client.post(`/runs/${a.id}/metrics`, {
      series: [
        { key: 'loss', steps: [0, 1, 2], values: [0.9, 0.5, 0.25], ts: 1 },
        { key: 'acc', steps: [2], values: ['NaN'], ts: 1 },
      ],
    });
    await ctx.client.put(`/runs/${b.id}/logs/train/combined?offset=0`, Buffer.from('b says hi\n'), { headers: { 'content-type': 'application/octet-stream' } });
    await ctx.client.put(`/runs/${a.id}/logs/train/combined?offset=0`, Buffer.from('line 1\n'), { headers: { 'content-type': 'application/octet-stream' } });
    // A resend adds nothing, so it is no event.
    await ctx.client.put(`/runs/${a.id}/logs/train/combined?offset=0`, Buffer.from('line 1\n'), { headers: { 'content-type': 'application/octet-stream' } });
    await ctx.client.put(`/runs/${a.id}/logs/train/combined?offset=7`, Buffer.from('line 2\n'), { headers: { 'content-type': 'application/octet-stream' } });
    // b's last event is published before a's last one: once a's arrives, b's would have too.
    await ctx.client.patch(`/runs/${b.id}`, { status: 'failed', endedAt: Date.now() });
    await ctx.client.patch(`/runs/${a.id}`, { status: 'succeeded', endedAt: Date.now() });

    await one.waitFor("a's final status", (e) => e.event === 'run' && e.data.status === 'succeeded');
    const got = one.events.filter((e) => e.event !== 'ready');
    expect(got).toEqual([
      { event: 'run', data: { type: 'run', runId: a.id, project: a.project, status: 'running' } },
      {
        event: 'metrics',
        data: { type: 'metrics', runId: a.id, keys: { loss: { count: 3, step: 2, value: 0.25 }, acc: { count: 1, step: 2, value: 'NaN' } } },
      },
      { event: 'log', data: { type: 'log', runId: a.id, stage: 'train', file: 'combined', offset: 0, text: 'line 1\n' } },
      { event: 'log', data: { type: 'log', runId: a.id, stage: 'train', file: 'combined', offset: 7, text: 'line 2\n' } },
      { event: 'run', data: { type: 'run', runId: a.id, project: a.project, status: 'succeeded' } },
    ]);

    // The stream without ?run= has both runs' events.
    await all.waitFor("a's final status", (e) => e.event === 'run' && e.data.runId === a.id && e.data.status === 'succeeded');
    const seen = all.events.filter((e) => e.event !== 'ready');
    expect(seen.filter((e) => e.data.runId === b.id).map((e) => e.event)).toEqual(['run', 'metrics', 'log', 'run']);
    expect(seen.filter((e) => e.data.runId === a.id)).toEqual(got);
  });

  it('sends a new run as a run event to the stream of every run', async () => {
    const all = await openEvents(`${ctx.server.url}/api/v1/events`);
    streams.push(all);
    await all.waitFor('the ready event', (e) => e.event === 'ready');
    const run = await createRun(ctx.client, queuedRun());
    const e = await all.waitFor('the new run', (ev) => ev.event === 'run' && ev.data.runId === run.id);
    expect(e.data).toEqual({ type: 'run', runId: run.id, project: run.project, status: 'queued' });
  });

  it('keeps serving after a subscriber goes away', async () => {
    const run = await createRun(ctx.client, queuedRun());
    const first = await openEvents(`${ctx.server.url}/api/v1/events?run=${run.id}`);
    await first.waitFor('the ready event', (e) => e.event === 'ready');
    first.close();
    await ctx.client.post(`/runs/${run.id}/metrics`, { points: [{ key: 'x', value: 1 }] });
    const second = await openEvents(`${ctx.server.url}/api/v1/events?run=${run.id.toUpperCase()}`);
    streams.push(second);
    await second.waitFor('the ready event', (e) => e.event === 'ready');
    await ctx.client.post(`/runs/${run.id}/metrics`, { points: [{ key: 'x', value: 2, step: 1 }] });
    const e = await second.waitFor('the metrics event', (ev) => ev.event === 'metrics');
    expect(e.data.keys).toEqual({ x: { count: 1, step: 1, value: 2 } });
    expect((await ctx.client.get('/health')).status).toBe(200);
  });
});

describe('live events of runs that write the store directly', () => {
  it('streams the status, points and log lines of a run started on the server\'s machine without REPRISE_SERVER', async () => {
    // A run started here without REPRISE_SERVER writes the server's store and run folder
    // itself; the in-process server lets the test write exactly as that run would.
    const server = await startInProcessServer();
    try {
      const run = makeRunRecord({ status: 'running', heartbeatAt: Date.now() + 3_600_000 });
      const stream = await openEvents(`${server.url}/api/v1/events?run=${run.id}`);
      try {
        await server.app.store.createRun(run);
        await server.app.store.appendMetrics(run.id, batchesFromPoints([{ key: 'loss', step: 3, ts: 1, value: 0.125 }]));
        await server.app.logs.append(run.id, 'train', 'combined', 0, Buffer.from('epoch 3\n'));
        await stream.waitFor('the run', (e) => e.event === 'run' && e.data.status === 'running');
        await stream.waitFor('its points', (e) => e.event === 'metrics' && e.data.keys.loss?.value === 0.125);
        await stream.waitFor('its log line', (e) => e.event === 'log' && e.data.text === 'epoch 3\n');
        await server.app.store.updateRun(run.id, { status: 'failed', endedAt: Date.now() });
        await stream.waitFor('its end', (e) => e.event === 'run' && e.data.status === 'failed');
      } finally {
        stream.close();
      }
    } finally {
      await server.cleanup();
    }
  });
});
