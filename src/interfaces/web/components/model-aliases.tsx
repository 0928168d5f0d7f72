/**
 * A model's aliases (`candidate`, `production`, …), each pointing at a version, and the
 * form that points one at another version (or adds one); every move lands in the audit log.
 */
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { api, type RegisteredModel } from '../api.js';
import { paths } from '../paths.js';

export function ModelAliasList({ model }: { model: RegisteredModel }) {
  const aliases = Object.entries(model.aliases).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (aliases.length === 0) return <p className="muted">No aliases.</p>;
  return (
    <ul className="alias-list" data-testid="model-aliases">
      {aliases.map(([alias, version]) => (
        <li key={alias} data-testid="model-alias" data-alias={alias} data-version={version}>
          <span className="alias-chip">{alias}</span> → <Link to={paths.model(model.name, version)}>v{version}</Link>
        </li>
      ))}
    </ul>
  );
}

interface MoveAliasProps {
  model: RegisteredModel;
  versions: readonly number[];
  /** After a move, so the page reads the model and its log again. */
  onMoved: () => void;
}

export function ModelAliasForm({ model, versions, onMoved }: MoveAliasProps) {
  const [alias, setAlias] = useState('production');
  const [version, setVersion] = useState(String(versions[0] ?? ''));
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const current = model.aliases[alias.trim()];

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      const res = await api.moveAlias(model.name, alias.trim(), { version: Number(version), ...(note.trim() ? { note: note.trim() } : {}) });
      setDone(res.from === null ? `Added ${res.alias} at v${res.to}` : `Moved ${res.alias} from v${res.from} to v${res.to}`);
      setNote('');
      onMoved();
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="alias-form toolbar" data-testid="alias-form" onSubmit={(e) => void submit(e)}>
      <label>
        Point alias
        <input data-testid="alias-name" value={alias} onChange={(e) => setAlias(e.target.value)} size={12} spellCheck={false} required />
      </label>
      <label>
        at
        <select data-testid="alias-version" value={version} onChange={(e) => setVersion(e.target.value)}>
          {versions.map((v) => (
            <option key={v} value={v}>
              v{v}
            </option>
          ))}
        </select>
      </label>
      <label className="alias-note">
        note
        <input data-testid="alias-note" value={note} onChange={(e) => setNote(e.target.value)} placeholder="why (optional)" />
      </label>
      <button type="submit" data-testid="alias-submit" disabled={busy || alias.trim() === '' || version === '' || String(current) === version}>
        {current === undefined ? 'Add alias' : 'Move alias'}
      </button>
      {current !== undefined ? <span className="muted">now at v{current}</span> : null}
      {done ? (
        <span className="muted" role="status" data-testid="alias-done">
          {done}.
        </span>
      ) : null}
      {error ? (
        <span className="error-text" role="alert" data-testid="alias-error">
          {error.message}
        </span>
      ) : null}
    </form>
  );
}
