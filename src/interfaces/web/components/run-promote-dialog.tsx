/**
 * Promoting a run: the model name (reprise.yaml's `model.name`, else the project), the
 * alias to point at the new version and a note, confirmed in a modal dialog. A refusal
 * (failed gates, a bad name) stays in the dialog in the server's words.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { DEFAULT_ALIAS } from '../../../core/model-store.js';
import { api, ApiError, type ModelVersion, type RunDetails } from '../api.js';
import { formatBytes, plural } from '../format.js';
import { defaultModelName } from '../lifecycle.js';


export interface Promoted {
  version: ModelVersion;
  aliasFrom: number | null;
}

interface PromoteDialogProps {
  details: RunDetails;
  onCancel: () => void;
  onPromoted: (promoted: Promoted) => void;
}

export function PromoteDialog({ details, onCancel, onPromoted }: PromoteDialogProps) {
  const run = details.run;
  const model = run.manifest.outputs.model;
  const ref = useRef<HTMLDialogElement>(null);
  const [name, setName] = useState(() => defaultModelName(details));
  const [alias, setAlias] = useState(DEFAULT_ALIAS);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);

  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const body: { runId: string; alias?: string; note?: string } = { runId: run.id };
      if (alias.trim()) body.alias = alias.trim();
      if (note.trim()) body.note = note.trim();
      onPromoted(await api.promote(name.trim(), body));
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
      setBusy(false);
    }
  };

  return (
    // Escape closes a modal dialog by itself; `onCancel` lets the page forget it.
    <dialog ref={ref} className="dialog promote-dialog" data-testid="promote-dialog" aria-labelledby="promote-title" onClose={onCancel}>
      <form onSubmit={(e) => void submit(e)}>
        <h2 id="promote-title">Promote {run.name}</h2>
        <p className="muted">
          Registers the run's model
          {model ? (
            <>
              {' '}
              ({plural(model.files, 'file')}, {formatBytes(model.bytes)} under <span className="mono">{model.path}/</span>)
            </>
          ) : null}{' '}
          as the next version of a model, with the run as its lineage, and points the alias at it. The run is then kept for good.
        </p>
        <label className="field">
          <span>Model</span>
          <input data-testid="promote-model" value={name} onChange={(e) => setName(e.target.value)} required spellCheck={false} autoFocus />
        </label>
        <label className="field">
          <span>Alias</span>
          <input data-testid="promote-alias" value={alias} onChange={(e) => setAlias(e.target.value)} spellCheck={false} placeholder={DEFAULT_ALIAS} />
        </label>
        <label className="field">
          <span>Note</span>
          <textarea data-testid="promote-note" value={note} onChange={(e) => setNote(e.target.value)} rows={3} placeholder="why this run (optional)" />
        </label>
        {error ? (
          <div className="load-error promote-error" role="alert" data-testid="promote-error">
            <strong>{error instanceof ApiError && error.status === 409 ? 'Refused.' : 'Not promoted.'}</strong> <span className="promote-error-message">{error.message}</span>
            {error instanceof ApiError && error.hint ? <div className="hint">{error.hint}</div> : null}
          </div>
        ) : null}
        <div className="dialog-actions">
          <button type="button" data-testid="promote-cancel" onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button type="submit" className="primary" data-testid="promote-confirm" disabled={busy || name.trim() === ''}>
            {busy ? 'Promoting…' : 'Promote'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
