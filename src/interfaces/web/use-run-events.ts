/**
 * Live updates from the server's event stream (`/api/v1/events`): a run's status, new
 * metric points, new log bytes. The browser's EventSource reconnects by itself.
 */
import { useEffect, useRef } from 'react';
import { api } from './api.js';

export interface RunEvent {
  type: 'run' | 'metrics' | 'log';
  runId: string;
  [k: string]: unknown;
}

export function useRunEvents(runId: string | undefined, onEvent: (e: RunEvent) => void, enabled = true): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    if (!enabled || runId === undefined) return;
    const source = new EventSource(api.eventsUrl(runId));
    const listen = (type: RunEvent['type']) =>
      source.addEventListener(type, (m) => {
        try {
          handler.current({ ...(JSON.parse((m as MessageEvent<string>).data) as RunEvent), type });
        } catch {
          // A malformed event is dropped; the next one carries the state again.
        }
      });
    listen('run');
    listen('metrics');
    listen('log');
    return () => source.close();
  }, [runId, enabled]);
}
