/**
 * Live updates from the server's event stream (`/api/v1/events`): a run's status, new
 * metric points, new log bytes, the keys of new histograms and notes. The browser's
 * EventSource reconnects by itself.
 */
import { useEffect, useRef } from 'react';
import { api } from './api.js';

const EVENT_TYPES = ['run', 'metrics', 'log', 'histograms', 'notes'] as const;

export interface RunEvent {
  type: (typeof EVENT_TYPES)[number];
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
    for (const type of EVENT_TYPES) listen(type);
    return () => source.close();
  }, [runId, enabled]);
}

/** The keys an event names: a list for histograms and notes, an object by key for metrics. */
export function eventKeys(e: RunEvent): string[] {
  const keys = e['keys'];
  if (Array.isArray(keys)) return keys.filter((k): k is string => typeof k === 'string');
  return typeof keys === 'object' && keys !== null ? Object.keys(keys) : [];
}
