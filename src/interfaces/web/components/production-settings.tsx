/**
 * How a production model is monitored: the share of requests sampled and how long they
 * are kept, the drift window and the rows it needs, the thresholds that raise alerts and
 * the webhooks told (by their host alone: a webhook's path is its secret). Admins change
 * them in a small form; only what changed is sent, and a refusal marks the field the
 * server named.
 */
import { useState, type FormEvent } from 'react';
import { api, ApiError, type MonitoringChange, type MonitorSettings, type Thresholds } from '../api.js';
import { formatNumber } from '../format.js';
import { durationText, formatLatency, formatShare } from '../production-words.js';

type FieldName = 'sampleRate' | 'retention' | 'window' | 'minRows' | 'webhooks' | `thresholds.${keyof Thresholds}`;

/** The form's text of each field. */
type Draft = Record<FieldName, string>;

const THRESHOLD_FIELDS: readonly { key: keyof Thresholds; label: string; help: string; optional: boolean }[] = [
  { key: 'psi', label: 'PSI', help: 'population stability index of a feature or the predictions', optional: false },
  { key: 'ks', label: 'KS', help: 'Kolmogorov–Smirnov distance of a numeric feature (0 to 1)', optional: false },
  { key: 'js', label: 'JS', help: 'Jensen–Shannon distance of a categorical feature (0 to 1)', optional: false },
  { key: 'errorRate', label: 'error rate', help: 'share of requests answered with an error (0 to 1)', optional: false },
  { key: 'latencyP99Ms', label: 'p99 latency (ms)', help: 'empty: not watched', optional: true },
  { key: 'accuracy', label: 'accuracy', help: 'alert below this, where ground truth comes back (0 to 1); empty: not watched', optional: true },
];

function draftOf(s: MonitorSettings): Draft {
  const d: Partial<Draft> = {
    sampleRate: String(s.sampleRate),
    retention: durationText(s.retentionMs),
    window: durationText(s.windowMs),
    minRows: String(s.minRows),
    webhooks: s.webhooks.join('\n'),
  };
  for (const t of THRESHOLD_FIELDS) d[`thresholds.${t.key}`] = s.thresholds[t.key] === null ? '' : String(s.thresholds[t.key]);
  return d as Draft;
}

/** A refusal's message starts with what it refuses (`window "soon": expected a duration…`). */
const LEADING_FIELD = /^(?:body\.)?(sampleRate|retention|window|minRows|webhooks|thresholds\.[A-Za-z0-9]+)\b/;

/** The field a refusal names (`details.field`, its first problem's, else its message's first word), as the form calls it. */
function refusedField(e: unknown): string | undefined {
  if (!(e instanceof ApiError)) return undefined;
  const problems = e.details?.problems;
  const raw =
    typeof e.details?.field === 'string'
      ? e.details.field
      : Array.isArray(problems)
        ? (problems[0] as { field?: unknown } | undefined)?.field
        : LEADING_FIELD.exec(e.message)?.[1];
  if (typeof raw !== 'string') return undefined;
  const field = raw.replace(/^body\./, '');
  if (field.startsWith('retention')) return 'retention';
  if (field.startsWith('window')) return 'window';
  if (field.startsWith('webhooks')) return 'webhooks';
  return field;
}

class FieldError extends Error {
  constructor(
    readonly field: FieldName,
    message: string,
  ) {
    super(message);
  }
}

/** What the draft changes, checked enough to name a field before the server does. */
function changeOf(draft: Draft, s: MonitorSettings): MonitoringChange {
  const number = (field: FieldName, label: string): number => {
    const n = Number(draft[field].trim());
    if (draft[field].trim() === '' || !Number.isFinite(n)) throw new FieldError(field, `${label}: expected a number`);
    return n;
  };
  const change: MonitoringChange = {};
  const sampleRate = number('sampleRate', 'sample rate');
  if (sampleRate !== s.sampleRate) change.sampleRate = sampleRate;
  if (draft.retention.trim() !== durationText(s.retentionMs)) change.retention = draft.retention.trim();
  if (draft.window.trim() !== durationText(s.windowMs)) change.window = draft.window.trim();
  const minRows = number('minRows', 'minimum rows');
  if (minRows !== s.minRows) change.minRows = minRows;
  const thresholds: NonNullable<MonitoringChange['thresholds']> = {};
  for (const t of THRESHOLD_FIELDS) {
    const field = `thresholds.${t.key}` as const;
    const value = t.optional && draft[field].trim() === '' ? null : number(field, `threshold ${t.label}`);
    if (value !== s.thresholds[t.key]) thresholds[t.key] = value;
  }
  if (Object.keys(thresholds).length > 0) change.thresholds = thresholds;
  const webhooks = draft.webhooks
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (webhooks.join('\n') !== s.webhooks.join('\n')) {
    // The server shows a webhook by its host alone (its path is the secret): a list that changes is given whole.
    if (webhooks.some((w) => w.endsWith('/…'))) throw new FieldError('webhooks', 'webhooks: give every URL in full (those shown end in … because only their host is shown)');
    change.webhooks = webhooks;
  }
  return change;
}

function SettingsList({ settings: s }: { settings: MonitorSettings }) {
  const t = s.thresholds;
  return (
    <dl className="kv" data-testid="monitor-settings">
      <dt>Sampled</dt>
      <dd data-testid="setting-sample-rate">{formatShare(s.sampleRate)} of requests, kept {durationText(s.retentionMs)}</dd>
      <dt>Drift window</dt>
      <dd data-testid="setting-window">
        {durationText(s.windowMs)}, scored from {formatNumber(s.minRows)} sampled rows
      </dd>
      <dt>Thresholds</dt>
      <dd data-testid="setting-thresholds">
        PSI {formatNumber(t.psi)}, KS {formatNumber(t.ks)}, JS {formatNumber(t.js)}, error rate {formatShare(t.errorRate)}, p99 latency{' '}
        {t.latencyP99Ms === null ? 'not watched' : formatLatency(t.latencyP99Ms)}, accuracy {t.accuracy === null ? 'not watched' : formatNumber(t.accuracy)}
      </dd>
      <dt>Webhooks</dt>
      <dd data-testid="setting-webhooks">
        {s.webhooks.length === 0 ? (
          <span className="muted">none</span>
        ) : (
          <ul className="plain-list">
            {s.webhooks.map((w) => (
              <li key={w} className="mono">
                {w}
              </li>
            ))}
          </ul>
        )}
      </dd>
    </dl>
  );
}

function SettingsForm({ model, settings, onSaved, onCancel }: { model: string; settings: MonitorSettings; onSaved: (s: MonitorSettings) => void; onCancel: () => void }) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(settings));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; field: string | undefined } | undefined>(undefined);
  const bind = (field: FieldName) => ({
    value: draft[field],
    onChange: (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [field]: e.target.value })),
    'aria-invalid': error?.field === field ? true : undefined,
    'data-testid': `setting-input-${field}`,
  });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    let change: MonitoringChange;
    try {
      change = changeOf(draft, settings);
    } catch (err) {
      setError({ message: (err as Error).message, field: err instanceof FieldError ? err.field : undefined });
      return;
    }
    if (Object.keys(change).length === 0) {
      onCancel();
      return;
    }
    setBusy(true);
    try {
      onSaved(await api.setMonitoring(model, change));
    } catch (err) {
      setError({ message: err instanceof Error ? err.message : String(err), field: refusedField(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="settings-form" data-testid="settings-form" onSubmit={(e) => void submit(e)}>
      <fieldset>
        <legend>Sampling</legend>
        <label>
          sample rate (0 to 1)
          <input {...bind('sampleRate')} inputMode="decimal" size={6} />
        </label>
        <label>
          kept for
          <input {...bind('retention')} size={6} placeholder="30d" spellCheck={false} />
        </label>
      </fieldset>
      <fieldset>
        <legend>Drift</legend>
        <label>
          window
          <input {...bind('window')} size={6} placeholder="1h" spellCheck={false} />
        </label>
        <label>
          minimum rows
          <input {...bind('minRows')} inputMode="numeric" size={6} />
        </label>
      </fieldset>
      <fieldset>
        <legend>Thresholds</legend>
        {THRESHOLD_FIELDS.map((t) => (
          <label key={t.key} title={t.help}>
            {t.label}
            <input {...bind(`thresholds.${t.key}`)} inputMode="decimal" size={t.optional ? 11 : 7} placeholder={t.optional ? 'not watched' : undefined} />
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Webhooks, one URL a line</legend>
        <p className="muted small">Only each webhook's host is shown. To change the list, give every URL in full.</p>
        <textarea {...bind('webhooks')} rows={3} cols={60} spellCheck={false} placeholder="https://hooks.example.com/…" />
      </fieldset>
      <div className="toolbar">
        <button type="submit" className="primary" data-testid="settings-save" disabled={busy}>
          Save
        </button>
        <button type="button" data-testid="settings-cancel" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
        {error ? (
          <span className="error-text" role="alert" data-testid="settings-error" data-field={error.field ?? ''}>
            {error.message}
          </span>
        ) : null}
      </div>
    </form>
  );
}

/** The settings, with Edit for those who may change them (admins). */
export function MonitorSettingsPanel({ model, settings, editable, onSaved }: { model: string; settings: MonitorSettings; editable: boolean; onSaved: (s: MonitorSettings) => void }) {
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState(false);
  if (editing && editable) {
    return (
      <SettingsForm
        model={model}
        settings={settings}
        onCancel={() => setEditing(false)}
        onSaved={(s) => {
          setEditing(false);
          setSaved(true);
          onSaved(s);
        }}
      />
    );
  }
  return (
    <>
      <SettingsList settings={settings} />
      {editable ? (
        <div className="toolbar">
          <button type="button" data-testid="settings-edit" onClick={() => {
              setSaved(false);
              setEditing(true);
            }}>
            Edit settings
          </button>
          {saved ? (
            <span className="muted" role="status" data-testid="settings-saved">
              Saved.
            </span>
          ) : null}
        </div>
      ) : null}
    </>
  );
}
