/**
 * @module interfaces/http/routes/events
 * Live updates as server-sent events: `run` (status), `metrics` (new points, newest per
 * key), `histograms` and `notes` (the keys that got new ones), `log` (new bytes of a
 * stage's log). One run's with `?run=`, every run's without.
 * A comment line every 15 s keeps proxies from closing an idle stream.
 */
import { z } from 'zod';
import { encodeNumber } from '../../../core/json-number.js';
import type { RunEvent } from '../../../services/run-events.js';
import type { ApiDeps } from '../api-deps.js';
import { route, type Route } from '../route.js';
import { READ } from '../access-rule.js';

const KEEPALIVE_MS = 15_000;

/** The event as JSON: only metric values need NaN and ±Infinity spelled out; the others are sent as they are. */
function eventData(e: RunEvent): unknown {
  if (e.type !== 'metrics') return e;
  return { ...e, keys: Object.fromEntries(Object.entries(e.keys).map(([k, v]) => [k, { ...v, value: encodeNumber(v.value) }])) };
}

export function eventRoutes(d: ApiDeps): Route[] {
  return [
    route({
      method: 'GET',
      path: '/events',
      access: READ,
      tag: 'events',
      summary: 'Server-sent events: run status, new metric points, histogram points and notes, new log bytes',
      query: z.object({ run: z.string().optional().describe('only this run\'s events') }),
      answers: { 200: { description: 'an event stream: `event: run|metrics|histograms|notes|log`, `data: {json}`', contentType: 'text/event-stream' } },
      async handler({ query, request, reply }) {
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        res.write(`event: ready\ndata: {}\n\n`);
        const unsubscribe = d.events.subscribe((e) => {
          res.write(`event: ${e.type}\ndata: ${JSON.stringify(eventData(e))}\n\n`);
        }, query.run?.toLowerCase());
        const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
        request.raw.once('close', () => {
          clearInterval(keepalive);
          unsubscribe();
        });
        return undefined;
      },
    }),
  ];
}
