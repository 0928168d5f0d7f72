/** Adding a run to the comparison by its id, an id prefix or its name. */
import { useState, type FormEvent } from 'react';
import { getJson, type RunStatus } from '../api.js';
import { formatDate } from '../format.js';

interface Candidate {
  id: string;
  name: string;
  project: string;
  status: RunStatus;
  createdAt: number;
}

export function AddRun({ present, onAdd }: { present: readonly string[]; onAdd: (id: string) => void }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState('');
  const [choices, setChoices] = useState<Candidate[]>([]);

  const add = (id: string) => {
    setChoices([]);
    setText('');
    if (present.includes(id)) setMessage('That run is already in the comparison.');
    else {
      setMessage('');
      onAdd(id);
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ref = text.trim();
    if (!ref) return;
    setBusy(true);
    setChoices([]);
    try {
      const { runs } = await getJson<{ runs: Candidate[] }>('/runs', { ref, limit: 5 });
      const exact = runs.find((r) => r.id === ref || r.name === ref);
      if (exact) add(exact.id);
      else if (runs.length === 1) add(runs[0]!.id);
      else if (runs.length === 0) setMessage(`No run has the id or name “${ref}”.`);
      else {
        setMessage(`“${ref}” could mean several runs; pick one:`);
        setChoices(runs);
      }
    } catch (err) {
      setMessage((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="add-run" onSubmit={(e) => void submit(e)} data-testid="add-run">
      <label>
        Add run
        <input
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder="run id, id prefix or name"
          aria-label="Run to add: its id, an id prefix or its name"
          data-testid="add-run-input"
          spellCheck={false}
        />
      </label>
      <button type="submit" disabled={busy || !text.trim()} data-testid="add-run-submit">
        Add
      </button>
      {message ? (
        <span className="muted" role="status" data-testid="add-run-message">
          {message}
        </span>
      ) : null}
      {choices.length > 0 ? (
        <ul className="add-run-choices">
          {choices.map((c) => (
            <li key={c.id}>
              <button type="button" onClick={() => add(c.id)} data-testid="add-run-choice" data-run-id={c.id}>
                {c.name}
              </button>{' '}
              <span className="muted">
                {c.project} · {c.status} · {formatDate(c.createdAt)} · <code>{c.id}</code>
              </span>
            </li>
          ))}
        </ul>
      ) : null}
    </form>
  );
}
