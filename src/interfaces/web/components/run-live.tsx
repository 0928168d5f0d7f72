/**
 * Live parts of the run page: one event stream per page, shared by the tabs that want
 * its events; a clock for durations that grow while a run is going.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { formatDuration } from '../format.js';
import { useRunEvents, type RunEvent } from '../use-run-events.js';

export type RunEventListener = (e: RunEvent) => void;
/** Adds a listener to the page's event stream; returns how to remove it. */
export type SubscribeRunEvents = (listener: RunEventListener) => () => void;


/** Opens the run's event stream while `active`; the page sees each event first, then the tabs. */
export function useRunEventHub(runId: string | undefined, active: boolean, onPageEvent: RunEventListener): SubscribeRunEvents {
  const listeners = useRef(new Set<RunEventListener>());
  useRunEvents(
    runId,
    (e) => {
      onPageEvent(e);
      for (const l of listeners.current) l(e);
    },
    active,
  );
  return useCallback((listener: RunEventListener) => {
    listeners.current.add(listener);
    return () => listeners.current.delete(listener);
  }, []);
}

/** The time now, ticking every `everyMs` while `ticking` (only the caller re-renders). */
export function useNow(ticking: boolean, everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) return;
    setNow(Date.now());
    const t = window.setInterval(() => setNow(Date.now()), everyMs);
    return () => window.clearInterval(t);
  }, [ticking, everyMs]);
  return now;
}

/** A duration that counts up while its end is unknown and the run is still going. */
export function LiveDuration({ start, end, going }: { start: number | null; end: number | null; going: boolean }) {
  const now = useNow(going && end === null && start !== null);
  if (start === null) return null;
  if (end !== null) return <>{formatSpan(end - start)}</>;
  return going ? <>{formatSpan(now - start)}</> : null;
}

const formatSpan = (ms: number) => formatDuration(Math.max(0, ms));
