/**
 * Alerts of production models, newest first: what crossed which threshold, when it was
 * raised and last seen, how the webhooks were told, and who acknowledged it, when and
 * why. Roles that may (`alerts`: observers and admins, in the model's projects) get an
 * Acknowledge button with an optional note.
 */
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { api, type Alert } from '../api.js';
import { formatAgo } from '../format.js';
import { paths } from '../paths.js';
import { ackText, alertKindText, alertValueText, deliveriesText, deliveriesTitle } from '../production-words.js';

export interface ProductionAlertsProps {
  readonly alerts: readonly Alert[];
  /** A column with each alert's model, for lists across models. */
  readonly showModel?: boolean;
  /** Whether the signed-in user may acknowledge this alert. */
  readonly mayAck: (alert: Alert) => boolean;
  /** After an acknowledgement, so the page reads again what it changed (counts, health). */
  readonly onAcked?: (alert: Alert) => void;
}

function When({ at }: { at: number }) {
  return <span title={new Date(at).toISOString()}>{formatAgo(at)}</span>;
}

function AckForm({ alert, onDone, onCancel }: { alert: Alert; onDone: (a: Alert) => void; onCancel: () => void }) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onDone(await api.ackAlert(alert.id, note.trim() || undefined));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };
  return (
    <form className="ack-form" data-testid="alert-ack-form" onSubmit={(e) => void submit(e)}>
      <input data-testid="alert-ack-note" aria-label="Note" value={note} onChange={(e) => setNote(e.target.value)} placeholder="note (optional)" autoFocus />
      <button type="submit" className="primary" data-testid="alert-ack-confirm" disabled={busy}>
        Acknowledge
      </button>
      <button type="button" data-testid="alert-ack-cancel" onClick={onCancel} disabled={busy}>
        Cancel
      </button>
      {error ? (
        <span className="error-text" role="alert" data-testid="alert-ack-error">
          {error}
        </span>
      ) : null}
    </form>
  );
}

export function ProductionAlerts({ alerts, showModel, mayAck, onAcked }: ProductionAlertsProps) {
  // Acknowledged here: shown at once, before the page has read them again.
  const [acked, setAcked] = useState<ReadonlyMap<number, Alert>>(new Map());
  const [acking, setAcking] = useState<number | undefined>(undefined);
  if (alerts.length === 0) return <p className="muted" data-testid="alerts-none">No alerts.</p>;
  const done = (a: Alert) => {
    setAcked((m) => new Map(m).set(a.id, a));
    setAcking(undefined);
    onAcked?.(a);
  };
  return (
    <div className="table-scroll">
      <table className="plain alerts-table" data-testid="alerts-table">
        <thead>
          <tr>
            {showModel ? <th>Model</th> : null}
            <th>Kind</th>
            <th>Subject</th>
            <th>Message</th>
            <th>Value</th>
            <th>Raised</th>
            <th>Last seen</th>
            <th>Webhooks</th>
            <th>Acknowledged</th>
          </tr>
        </thead>
        <tbody>
          {alerts.map((shown) => {
            const a = acked.get(shown.id) ?? shown;
            const open = a.ackedAt === null;
            return (
              <tr key={a.id} className={open ? 'alert-open' : 'alert-closed'} data-testid="alert-row" data-alert-id={a.id} data-kind={a.kind} data-subject={a.subject ?? ''} data-open={open}>
                {showModel ? (
                  <td>
                    <Link to={paths.modelProduction(a.model)} data-testid="alert-model">
                      {a.model}
                    </Link>
                    {a.version !== null ? <span className="muted"> v{a.version}</span> : null}
                  </td>
                ) : null}
                <td data-testid="alert-kind">{alertKindText(a.kind)}</td>
                <td data-testid="alert-subject">{a.subject ?? ''}</td>
                <td data-testid="alert-message">{a.message}</td>
                <td className="num alert-value" data-testid="alert-value">
                  {alertValueText(a)}
                </td>
                <td className="alert-time">
                  <When at={a.raisedAt} />
                </td>
                <td className="alert-time">{a.lastSeenAt !== a.raisedAt ? <When at={a.lastSeenAt} /> : <span className="muted">—</span>}</td>
                <td data-testid="alert-deliveries" title={deliveriesTitle(a.deliveries)}>
                  {deliveriesText(a.deliveries)}
                </td>
                <td className="alert-ack-cell">
                  {!open ? (
                    <span data-testid="alert-acked" title={a.ackedAt !== null ? new Date(a.ackedAt).toISOString() : undefined}>
                      {ackText(a)}
                    </span>
                  ) : acking === a.id ? (
                    <AckForm alert={a} onDone={done} onCancel={() => setAcking(undefined)} />
                  ) : mayAck(a) ? (
                    <button type="button" data-testid="alert-ack" onClick={() => setAcking(a.id)}>
                      Acknowledge
                    </button>
                  ) : (
                    <span className="muted">open</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
