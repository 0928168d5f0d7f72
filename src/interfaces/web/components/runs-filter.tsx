/** The filter box: the server's search grammar, applied on Enter; `/` anywhere focuses it. */
import { useEffect, useRef, useState } from 'react';

const GRAMMAR_HINT =
  "Fields: name, status, dev, created, duration, commit, params.<key>, metrics.<key>, tags.<key>. " +
  "Operators: = != < <= > >= like in (…) is null; combine with and, or, not and parentheses. " +
  "Example: params.optim.lr < 0.1 and metrics.val_accuracy >= 0.9 and status = 'succeeded'";

export interface RunsFilterProps {
  applied: string;
  onApply: (filter: string) => void;
  error: Error | undefined;
  checking: boolean;
}

export function RunsFilter({ applied, onApply, error, checking }: RunsFilterProps) {
  const [draft, setDraft] = useState(applied);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => setDraft(applied), [applied]);

  useEffect(() => {
    const focusOnSlash = (e: KeyboardEvent) => {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      e.preventDefault();
      input.current?.focus();
      input.current?.select();
    };
    document.addEventListener('keydown', focusOnSlash);
    return () => document.removeEventListener('keydown', focusOnSlash);
  }, []);

  const clear = () => {
    setDraft('');
    onApply('');
  };

  return (
    <div className="runs-filter">
      <div className="runs-filter-row">
        <input
          ref={input}
          type="text"
          className="filter-input"
          data-testid="filter-input"
          aria-label="Filter runs"
          placeholder="Filter runs, e.g. metrics.val_accuracy >= 0.9 and status = 'succeeded' (press / to focus, Enter to apply)"
          title={GRAMMAR_HINT}
          spellCheck={false}
          autoComplete="off"
          value={draft}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'filter-error' : undefined}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') onApply(draft.trim());
            else if (e.key === 'Escape') setDraft(applied);
          }}
        />
        <button type="button" data-testid="filter-apply" onClick={() => onApply(draft.trim())} disabled={checking}>
          Apply
        </button>
        {draft || applied ? (
          <button type="button" data-testid="filter-clear" onClick={clear} title="Show every run">
            Clear
          </button>
        ) : null}
      </div>
      {error ? (
        <pre className="filter-error" id="filter-error" data-testid="filter-error" role="alert">
          {error.message}
        </pre>
      ) : null}
    </div>
  );
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && !['checkbox', 'radio', 'button', 'submit'].includes(target.type);
}
