/**
 * What became of a finished run: how it met its gates, whether its artifacts are kept,
 * the model versions made from it, and the Promote action for a run that may become one.
 */
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { isActiveStatus, type RunDetails } from '../api.js';
import { paths } from '../paths.js';
import { promotability } from '../lifecycle.js';
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

export function RunPromotion({ details, onChanged }: { details: RunDetails; onChanged: () => void }) {
  const [dialog, setDialog] = useState(false);
  const [promoted, setPromoted] = useState<Promoted | undefined>(undefined);
  const run = details.run;
  if (isActiveStatus(run.status)) return null;
  const models = details.models ?? [];
  const can = promotability(details);
  const hasModel = run.manifest.outputs.model !== null;
  // Servers from before gates and retention send none of these: then there is nothing to say.
  if (!details.gate && !details.retention && models.length === 0 && !(can.ok && hasModel) && !promoted) return null;

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
        {can.ok && hasModel ? (
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
