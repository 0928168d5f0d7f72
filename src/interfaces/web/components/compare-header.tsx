/** The compare page's run columns: who each run is, and the way to take it out. */
import { Link } from 'react-router-dom';
import type { RunDetails } from '../api.js';
import { paths } from '../paths.js';
import { shortCode } from '../compare-data.js';
import { notRecordedText } from '../triggers.js';
import { formatDate } from '../format.js';
import { PALETTE } from './metric-chart.js';
import { StatusBadge } from './status-badge.js';

/** Each run keeps one colour on the whole page: header, tables and charts. */
export function runColor(index: number): string {
  return PALETTE[index % PALETTE.length]!;
}

export function CompareHeader({ runs, onRemove }: { runs: readonly RunDetails[]; onRemove: (id: string) => void }) {
  return (
    <div className="compare-head" style={{ gridTemplateColumns: `repeat(${Math.max(runs.length, 1)}, minmax(200px, 1fr))` }}>
      {runs.map((d, i) => (
        <div className="compare-run card" key={d.run.id} data-testid="compare-run-header" data-run-id={d.run.id} style={{ borderTopColor: runColor(i) }}>
          <div className="compare-run-title">
            <Link to={paths.run(d.run.id)} className="compare-run-name">
              {d.run.name}
            </Link>
            <button type="button" className="remove-run" onClick={() => onRemove(d.run.id)} aria-label={`Remove ${d.run.name} from the comparison`} title="Remove from the comparison">
              ×
            </button>
          </div>
          <StatusBadge status={d.run.status} dev={d.run.dev} />
          <div className="muted">{formatDate(d.run.createdAt)}</div>
          <div className="muted">
            <CodeLine manifest={d.run.manifest} />
          </div>
        </div>
      ))}
    </div>
  );
}

/** The code a run ran, short; for a run that recorded none, why (in words and the tooltip). */
function CodeLine({ manifest }: { manifest: RunDetails['run']['manifest'] }) {
  const code = manifest.code;
  if (!code) {
    return (
      <span data-testid="compare-code" title={notRecordedText(manifest)}>
        code {manifest.trigger?.kind === 'mlflow' ? 'not recorded (MLflow client)' : shortCode(manifest)}
      </span>
    );
  }
  return (
    <span data-testid="compare-code">
      code <code title={code.kind === 'git' ? code.commit : undefined}>{shortCode(manifest)}</code>
      {code.kind === 'git' && code.dirty ? ' + changes' : ''}
    </span>
  );
}

/** Table header cells, one per run, in the run's colour. */
export function RunHeadCells({ runs }: { runs: readonly RunDetails[] }) {
  return (
    <>
      {runs.map((d, i) => (
        <th key={d.run.id} scope="col">
          <span className="swatch" style={{ background: runColor(i) }} aria-hidden />
          {d.run.name}
        </th>
      ))}
    </>
  );
}
