/**
 * What became of a finished run: how it met its gates, whether its artifacts are kept,
 * the model versions made from it, and the actions on it the user's role allows there:
 * Promote for a run that may become a model version, Keep or Flag for its artifacts.
 */
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api, isActiveStatus, type RunDetails } from '../api.js';
import { paths } from '../paths.js';
import { promotability } from '../lifecycle.js';
import { useSession } from '../session.js';
import { CancelButton } from './cancel-button.js';
import { GateBadge, RetentionMark } from './gate-badge.js';
import { PromoteDialog, type Promoted } from './run-promote-dialog.js';

function PromotedNote({ promoted }: { promoted: Promoted }) {
  const v = promoted.version;
  const alias = v.aliases[0];
  return (
    <div className="promoted" role="status" data-testid="promote-result">
      Registered{' '}
      <Link to={paths.model(v.model, v.version)} data-testid="promote-result-link">
        {v.model} v{v.version}
      </Link>
      {alias ? (
        <>
          {' '}
          as <span className="alias-chip">{alias}</span>
          {promoted.aliasFrom !== null ? <span className="muted"> (moved from v{promoted.aliasFrom})</span> : null}
        </>
      ) : null}
      .
    </div>
  );
}

/**
 * Keep (a flagged run's artifacts stay) or Flag (gc may delete them from now on), by hand;
 * nothing for artifacts pinned by a model version or already deleted.
 */
function RetentionActions({ details, onChanged }: { details: RunDetails; onChanged: () => void }) {
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const run = details.run;
  const state = details.retention?.state;
  const keep = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.setRetention(run.id, 'kept');
      onChanged();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  if (state !== 'kept' && state !== 'flagged') return null;
  return (
    <span className="retention-actions" data-testid="retention-actions">
      {state === 'flagged' ? (
        <button type="button" disabled={busy} onClick={() => void keep()} data-testid="keep-button" title="Keep its artifacts whatever its outcome (reprise keep)">
          {busy ? 'Keeping…' : 'Keep'}
        </button>
      ) : (
        <CancelButton
          question="Flag its artifacts for deletion?"
          label="Flag"
          busyLabel="Flagging…"
          testId="flag-button"
          title="Let gc delete its artifacts from now on (reprise flag)"
          onConfirm={() => api.setRetention(run.id, 'flagged')}
          onDone={onChanged}
        />
      )}
      {error ? (
        <span className="error-text" role="alert" data-testid="retention-error">
          {error}
        </span>
      ) : null}
    </span>
  );
}

export function RunPromotion({ details, onChanged }: { details: RunDetails; onChanged: () => void }) {
  const [dialog, setDialog] = useState(false);
  const [promoted, setPromoted] = useState<Promoted | undefined>(undefined);
  const { may } = useSession();
  const run = details.run;
  if (isActiveStatus(run.status)) return null;
  const models = details.models ?? [];
  const can = promotability(details);
  const hasModel = run.manifest.outputs.model !== null;
  const mayPromote = may('promote', run.project);
  // Servers from before gates and retention send none of these: then there is nothing to say.
  if (!details.gate && !details.retention && models.length === 0 && !(can.ok && hasModel && mayPromote) && !promoted) return null;

  return (
    <>
      <div className="run-lifecycle" data-testid="run-lifecycle">
        {details.gate ? (
          <span className="lifecycle-item">
            <span className="muted">Gates</span> <GateBadge gate={details.gate} />
          </span>
        ) : null}
        {details.retention ? (
          <span className="lifecycle-item">
            <span className="muted">Artifacts</span> <RetentionMark retention={details.retention} models={models} long />
            {may('curate', run.project) ? <RetentionActions details={details} onChanged={onChanged} /> : null}
          </span>
        ) : null}
        {models.length > 0 ? (
          <span className="lifecycle-item" data-testid="run-models">
            <span className="muted">Model versions</span>
            {models.map((m) => (
              <span key={`${m.model}:${m.version}`} className="run-model" data-testid="run-model" data-model={m.model} data-version={m.version}>
                <Link to={paths.model(m.model, m.version)}>
                  {m.model} v{m.version}
                </Link>
                {m.aliases.map((a) => (
                  <span key={a} className="alias-chip">
                    {a}
                  </span>
                ))}
              </span>
            ))}
          </span>
        ) : null}
        <span className="grow" />
        {!mayPromote ? null : can.ok && hasModel ? (
          <button type="button" className="primary" data-testid="promote-button" onClick={() => setDialog(true)} title="Register this run's model as a new version of a model">
            Promote…
          </button>
        ) : run.status === 'succeeded' ? (
          <span className="muted" data-testid="promote-unavailable">
            Not promotable: {can.ok ? 'the run wrote no model (nothing in its model folder)' : can.why}.
          </span>
        ) : null}
      </div>
      {promoted ? <PromotedNote promoted={promoted} /> : null}
      {dialog ? (
        <PromoteDialog
          details={details}
          onCancel={() => setDialog(false)}
          onPromoted={(p) => {
            setDialog(false);
            setPromoted(p);
            onChanged();
          }}
        />
      ) : null}
    </>
  );
}
