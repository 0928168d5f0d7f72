/**
 * A run's notes (TensorBoard's text summaries): grouped by key, the latest step first,
 * each with its step and time. The text is shown as written, whitespace kept, and never
 * read as HTML. While the run goes, a key's notes are read again when new ones for it are
 * announced (at most once a second per key).
 */
import { memo, useEffect, useMemo, useState } from 'react';
import { api, isActiveStatus, type RunDetails, type RunNote } from '../api.js';
import { formatDate, formatIso, plural } from '../format.js';
import { useKeyedLoads, useKeyState, useLoadAgainWhenEnded, type KeyedStore } from '../keyed-loads.js';
import { useFetch } from '../use-fetch.js';
import { eventKeys } from '../use-run-events.js';
import { EmptyState, LoadError } from './empty-state.js';
import type { SubscribeRunEvents } from './run-live.js';

const LOADS = { parallel: 3, reloadMs: 1000 } as const;
/** Notes shown per key before "Show more": a run may write one every step. */
const FIRST_SHOWN = 20;

const loadKey = (runId: string, key: string, signal: AbortSignal) => api.notes(runId, key, signal);

/** The latest step first; at one step, the latest written first. */
function newestFirst(notes: readonly RunNote[]): RunNote[] {
  return notes.map((n, i) => ({ n, i })).sort((a, b) => b.n.step - a.n.step || b.n.ts - a.n.ts || b.i - a.i).map(({ n }) => n);
}

const NoteGroup = memo(function NoteGroup({ noteKey, store }: { noteKey: string; store: KeyedStore<RunNote[]> }) {
  const state = useKeyState(store, noteKey);
  const [limit, setLimit] = useState(FIRST_SHOWN);
  const notes = useMemo(() => newestFirst(state?.data ?? []), [state?.data]);
  const shown = notes.slice(0, limit);
  return (
    <section className="card note-group" data-testid="note-group" data-key={noteKey}>
      <h3>
        <span className="mono">{noteKey}</span> <span className="muted note-count">{plural(notes.length, 'note')}</span>
      </h3>
      {state?.error ? <div className="error-text">Could not load: {state.error.message}</div> : null}
      <ol className="note-list">
        {shown.map((n, i) => (
          <li key={`${n.step}-${n.ts}-${i}`} className="note-item" data-testid="note" data-step={n.step}>
            <div className="note-head">
              <span className="note-step">step {n.step}</span>
              <time className="muted" dateTime={formatIso(n.ts)} title={formatIso(n.ts)}>
                {formatDate(n.ts)}
              </time>
            </div>
            {/* Plain text: React writes it as text, so markup in a note is shown, not run. */}
            <div className="note-text" data-testid="note-text">
              {n.text}
            </div>
          </li>
        ))}
      </ol>
      {notes.length > shown.length ? (
        <button type="button" data-testid="notes-more" onClick={() => setLimit((l) => l + FIRST_SHOWN * 5)}>
          Show {Math.min(FIRST_SHOWN * 5, notes.length - shown.length)} more of {notes.length - shown.length}
        </button>
      ) : null}
    </section>
  );
});

export function RunNotes({ details, subscribe }: { details: RunDetails; subscribe: SubscribeRunEvents }) {
  const runId = details.run.id;
  const active = isActiveStatus(details.run.status);
  const all = useFetch((signal) => api.notes(runId, undefined, signal), [runId]);
  const { store, loader } = useKeyedLoads(runId, loadKey, LOADS);
  const [keys, setKeys] = useState<readonly string[]>([]);
  const addKeys = (more: Iterable<string>) =>
    setKeys((prev) => {
      const next = new Set([...prev, ...more]);
      return next.size === prev.length ? prev : [...next].sort();
    });

  // The first read fills every key; a key already read again for live news keeps that newer list.
  useEffect(() => {
    if (!all.data) return;
    const byKey = new Map<string, RunNote[]>();
    for (const n of all.data) byKey.set(n.key, [...(byKey.get(n.key) ?? []), n]);
    for (const [k, notes] of byKey) if (!store.has(k)) store.set(k, { data: notes });
    addKeys(byKey.keys());
  }, [all.data, store]);

  useEffect(() => {
    if (!active || !loader) return;
    return subscribe((e) => {
      if (e.type !== 'notes') return;
      const named = eventKeys(e);
      addKeys(named);
      for (const k of named) loader.loadSoon(k);
    });
  }, [subscribe, active, loader]);

  // The full list is read again too: keys first written after the last event appear.
  useLoadAgainWhenEnded(loader, active, keys, all.reload);

  if (all.error && !all.data) return <LoadError error={all.error} />;
  if (!all.data && keys.length === 0) return <p className="muted">Loading notes…</p>;
  if (keys.length === 0) {
    return (
      <EmptyState title="No notes in this run">
        <p>
          Notes are text a run writes at a step: a sample of generated text, a table of results, a remark. They come from TensorBoard text summaries
          (<code>tf.summary.text</code>, <code>SummaryWriter.add_text</code>) in the event files a stage writes to the folder in{' '}
          <code>REPRISE_TB_DIR</code>, or in a log directory <code>reprise import-tb LOGDIR</code> records.
        </p>
        <p>{active ? 'They will appear here as they arrive.' : 'Write some in a stage and start a new run with reprise run.'}</p>
      </EmptyState>
    );
  }
  return (
    <div className="run-notes" data-testid="run-notes">
      <p className="muted chart-help">
        {plural(keys.length, 'key')}; the latest step first. Text is shown as written.
      </p>
      {all.error ? <LoadError error={all.error} /> : null}
      {keys.map((k) => (
        <NoteGroup key={k} noteKey={k} store={store} />
      ))}
    </div>
  );
}
