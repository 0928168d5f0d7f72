/** The "Columns" button and its panel: optional run attributes, then every param, metric and tag key of the project, searchable. */
import { useEffect, useRef, useState } from 'react';
import type { RunKeys } from '../api.js';
import { KIND_WORDS, OPTIONAL_COLUMNS, columnId, type DataKind } from '../runs-columns.js';

const GROUPS: { kind: DataKind; title: string }[] = [
  { kind: 'params', title: 'Params' },
  { kind: 'metrics', title: 'Metrics' },
  { kind: 'tags', title: 'Tags' },
];

export interface ColumnPickerProps {
  keys: RunKeys | undefined;
  chosen: readonly string[];
  onToggle: (id: string) => void;
  onReset: () => void;
}

export function ColumnPicker({ keys, chosen, onToggle, onReset }: ColumnPickerProps) {
  const [open, setOpen] = useState(false);
  const [search, setSearch] = useState('');
  const root = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const closeOutside = (e: PointerEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', closeOutside);
    return () => document.removeEventListener('pointerdown', closeOutside);
  }, [open]);

  const needle = search.trim().toLowerCase();
  const chosenSet = new Set(chosen);
  return (
    <div className="column-picker" ref={root} onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
      <button type="button" data-testid="column-picker" aria-expanded={open} aria-haspopup="dialog" onClick={() => setOpen(!open)}>
        Columns{chosen.length > 0 ? ` (${chosen.length})` : ''}
      </button>
      {open ? (
        <div className="column-panel" role="dialog" aria-label="Choose columns">
          <div className="column-panel-top">
            <input type="search" placeholder="Search keys" aria-label="Search keys" value={search} onChange={(e) => setSearch(e.target.value)} autoFocus />
            <button type="button" onClick={onReset} title="The first params and the headline metrics">
              Defaults
            </button>
          </div>
          <OptionalAttributes needle={needle} chosen={chosenSet} onToggle={onToggle} />
          {!keys ? <p className="muted">Loading keys…</p> : null}
          {keys
            ? GROUPS.map(({ kind, title }) => {
                const shown = keys[kind].filter((k) => k.toLowerCase().includes(needle));
                return (
                  <fieldset key={kind}>
                    <legend>{title}</legend>
                    {shown.length === 0 ? <p className="muted">{keys[kind].length === 0 ? `No ${KIND_WORDS[kind]} logged yet.` : 'None match.'}</p> : null}
                    {shown.map((k) => {
                      const id = columnId(kind, k);
                      return (
                        <label key={id}>
                          <input type="checkbox" data-testid="column-option" data-col={id} checked={chosenSet.has(id)} onChange={() => onToggle(id)} />
                          <span>{k}</span>
                        </label>
                      );
                    })}
                  </fieldset>
                );
              })
            : null}
        </div>
      ) : null}
    </div>
  );
}

/** Run attributes that are not always shown (`Started by`); hidden while a search matches none of them. */
function OptionalAttributes({ needle, chosen, onToggle }: { needle: string; chosen: ReadonlySet<string>; onToggle: (id: string) => void }) {
  const shown = OPTIONAL_COLUMNS.filter((c) => c.label.toLowerCase().includes(needle) || c.id.includes(needle));
  if (shown.length === 0) return null;
  return (
    <fieldset>
      <legend>Run</legend>
      {shown.map((c) => (
        <label key={c.id}>
          <input type="checkbox" data-testid="column-option" data-col={c.id} checked={chosen.has(c.id)} onChange={() => onToggle(c.id)} />
          <span>{c.label}</span>
        </label>
      ))}
    </fieldset>
  );
}
