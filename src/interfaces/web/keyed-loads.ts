/**
 * Per-key data of a run page (a metric's history, a histogram's points, a key's notes):
 * a small store each view reads its own key from, so new data redraws only that view, and
 * a loader that fetches a few keys at a time and paces reloads asked for by live events.
 */
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { SubscribeRunEvents } from './components/run-live.js';
import { eventKeys, type RunEvent } from './use-run-events.js';

export interface KeyState<T> {
  readonly data?: T;
  readonly error?: Error;
}

/** The loaded data by key, with a listener list per key. */
export class KeyedStore<T> {
  readonly #states = new Map<string, KeyState<T>>();
  readonly #listeners = new Map<string, Set<() => void>>();

  get(key: string): KeyState<T> | undefined {
    return this.#states.get(key);
  }

  has(key: string): boolean {
    return this.#states.has(key);
  }

  set(key: string, state: KeyState<T>): void {
    this.#states.set(key, state);
    for (const l of this.#listeners.get(key) ?? []) l();
  }

  subscribe(key: string, listener: () => void): () => void {
    const set = this.#listeners.get(key) ?? new Set();
    set.add(listener);
    this.#listeners.set(key, set);
    return () => set.delete(listener);
  }
}

export interface KeyedLoaderOptions {
  /** Loads at once. */
  readonly parallel: number;
  /** Least time between two loads of a key asked for by `loadSoon`. */
  readonly reloadMs: number;
}

/** Loads keys into the store, `parallel` at a time, in the order asked. */
export class KeyedLoader<T> {
  readonly #queue: string[] = [];
  readonly #inFlight = new Map<string, AbortController>();
  /** Keys asked for again while loading: loaded once more when done. */
  readonly #again = new Set<string>();
  readonly #lastStart = new Map<string, number>();
  readonly #timers = new Map<string, number>();
  #closed = false;

  constructor(
    readonly store: KeyedStore<T>,
    readonly fetchKey: (key: string, signal: AbortSignal) => Promise<T>,
    readonly opts: KeyedLoaderOptions,
  ) {}

  load(key: string): void {
    if (this.#closed) return;
    if (this.#inFlight.has(key)) this.#again.add(key);
    else if (!this.#queue.includes(key)) {
      this.#queue.push(key);
      this.#pump();
    }
  }

  /** For live news: at most one load per key every `reloadMs`, the last news never dropped. */
  loadSoon(key: string): void {
    if (this.#closed || this.#timers.has(key)) return;
    const wait = (this.#lastStart.get(key) ?? 0) + this.opts.reloadMs - Date.now();
    if (wait <= 0) {
      this.load(key);
      return;
    }
    this.#timers.set(
      key,
      window.setTimeout(() => {
        this.#timers.delete(key);
        this.load(key);
      }, wait),
    );
  }

  close(): void {
    this.#closed = true;
    for (const c of this.#inFlight.values()) c.abort();
    for (const t of this.#timers.values()) window.clearTimeout(t);
  }

  #pump(): void {
    while (this.#inFlight.size < this.opts.parallel && this.#queue.length > 0) this.#start(this.#queue.shift()!);
  }

  #start(key: string): void {
    const ctl = new AbortController();
    this.#inFlight.set(key, ctl);
    this.#lastStart.set(key, Date.now());
    this.fetchKey(key, ctl.signal)
      .then(
        (data) => !this.#closed && this.store.set(key, { data }),
        // A failed reload keeps what was shown.
        (error: Error) => !this.#closed && this.store.set(key, { ...this.store.get(key), error }),
      )
      .finally(() => {
        this.#inFlight.delete(key);
        if (this.#again.delete(key)) this.#queue.push(key);
        this.#pump();
      });
  }
}

/** One key's state, re-rendering the caller only when that key changes. */
export function useKeyState<T>(store: KeyedStore<T>, key: string): KeyState<T> | undefined {
  const subscribe = useCallback((l: () => void) => store.subscribe(key, l), [store, key]);
  return useSyncExternalStore(subscribe, () => store.get(key));
}

/**
 * A store and its loader for one run, both new when the run changes; the loader is null
 * until mounted (it is closed on unmount, so a load that lands late is dropped).
 */
export function useKeyedLoads<T>(
  runId: string,
  fetchKey: (runId: string, key: string, signal: AbortSignal) => Promise<T>,
  opts: KeyedLoaderOptions,
): { store: KeyedStore<T>; loader: KeyedLoader<T> | null } {
  const fetchRef = useRef(fetchKey);
  fetchRef.current = fetchKey;
  const { parallel, reloadMs } = opts;
  const store = useMemo(() => new KeyedStore<T>(), [runId]);
  const [loader, setLoader] = useState<KeyedLoader<T> | null>(null);
  useEffect(() => {
    const l = new KeyedLoader(store, (key, signal) => fetchRef.current(runId, key, signal), { parallel, reloadMs });
    setLoader(l);
    return () => l.close();
  }, [runId, store, parallel, reloadMs]);
  return { store, loader };
}

/**
 * When the run ends, every key once more: data may have landed after the last event.
 * `onEnd` runs first, for a page that also reads its list of keys again.
 */
export function useLoadAgainWhenEnded<T>(loader: KeyedLoader<T> | null, active: boolean, keys: readonly string[], onEnd?: () => void): void {
  const keysRef = useRef(keys);
  keysRef.current = keys;
  const wasActive = useRef(active);
  useEffect(() => {
    if (loader && wasActive.current && !active) {
      onEnd?.();
      for (const k of keysRef.current) loader.load(k);
    }
    wasActive.current = active;
  }, [active, loader, onEnd]);
}

export interface ShownKeyLoadsOptions<T> {
  readonly runId: string;
  readonly fetchKey: (runId: string, key: string, signal: AbortSignal) => Promise<T>;
  readonly loads: KeyedLoaderOptions;
  /** The keys on screen, in order: only these load, the first first. */
  readonly shown: readonly string[];
  /** Whether the run is going: live news is followed only then. */
  readonly active: boolean;
  readonly subscribe: SubscribeRunEvents;
  /** The live event whose `keys` name the keys with new data. */
  readonly eventType: RunEvent['type'];
  /** Called when the run ends, before the shown keys load again. */
  readonly onEnd?: () => void;
}

/**
 * The store of a page that shows some of a run's keys: each shown key loads once, a key
 * named by a live event reloads soon if shown, and all shown reload when the run ends.
 */
export function useShownKeyLoads<T>({ runId, fetchKey, loads, shown, active, subscribe, eventType, onEnd }: ShownKeyLoadsOptions<T>): KeyedStore<T> {
  const { store, loader } = useKeyedLoads(runId, fetchKey, loads);
  const shownRef = useRef(shown);
  shownRef.current = shown;

  // First loads, in the order shown, of keys not loaded yet.
  useEffect(() => {
    if (loader) for (const k of shown) if (!store.has(k)) loader.load(k);
  }, [shown, store, loader]);

  useLoadAgainWhenEnded(loader, active, shown, onEnd);

  useEffect(() => {
    if (!active || !loader) return;
    return subscribe((e) => {
      if (e.type !== eventType) return;
      const showing = new Set(shownRef.current);
      for (const k of eventKeys(e)) if (showing.has(k)) loader.loadSoon(k);
    });
  }, [subscribe, active, loader, eventType]);

  return store;
}
