/**
 * The snapshots of a lake table that runs read: each time read as of with the rows and
 * content hash that came back, and the runs that read them (their status, and the name
 * of their query under data:). Runs whose data is not materialized yet show as pending.
 */
import { Link } from 'react-router-dom';
import type { DataRead } from '../api.js';
import { groupSnapshots, runCount, type Snapshot } from '../data-snapshots.js';
import { formatAgo, formatIso, plural, shortHash } from '../format.js';
import { paths } from '../paths.js';
import { StatusBadge } from './status-badge.js';

export function DataSnapshots({ table, reads, onPick }: { table: string; reads: readonly DataRead[]; onPick: (asOf: number) => void }) {
  if (reads.length === 0) {
    return (
      <div className="empty" data-testid="data-snapshots-empty">
        <h2>No run has read this table</h2>
        <p>A run reads the lake through a query declared under data: in its project's reprise.yaml, pinned to a time when it is started or queued:</p>
        <pre>{`data:\n  train:\n    query: "SELECT * FROM ${table}"`}</pre>
      </div>
    );
  }
  return (
    <div className="data-snapshots" data-testid="data-snapshots">
      {groupSnapshots(reads).map((s) => (
        <SnapshotCard key={s.key} snapshot={s} onPick={onPick} />
      ))}
    </div>
  );
}

function SnapshotCard({ snapshot: s, onPick }: { snapshot: Snapshot; onPick: (asOf: number) => void }) {
  const at = formatIso(s.asOf);
  const pending = s.contentHash === null;
  return (
    <section className={`card data-snapshot${pending ? ' pending' : ''}`} data-testid="data-snapshot" data-as-of={at} data-hash={s.contentHash ?? 'pending'}>
      <div className="data-snapshot-head">
        <span>
          <span className="muted">as of</span> <span className="mono" data-testid="data-snapshot-as-of">{at}</span>
        </span>
        {pending ? (
          <span className="data-pending" data-testid="data-snapshot-pending" title="the runs have not materialized these rows yet">
            pending
          </span>
        ) : (
          <>
            <span data-testid="data-snapshot-rows">{s.rows === null ? '' : plural(s.rows, 'row')}</span>
            <span>
              <span className="muted">content hash</span>{' '}
              <span className="mono" title={s.contentHash ?? undefined} data-testid="data-snapshot-hash">
                {shortHash(s.contentHash ?? '')}
              </span>
            </span>
          </>
        )}
        <span className="muted">{plural(runCount(s), 'run')}</span>
        <span className="grow" />
        <button type="button" onClick={() => onPick(s.asOf)} data-testid="data-snapshot-pick" title={`Preview the table's rows as of ${at}`}>
          Rows as of this
        </button>
      </div>
      <ul className="data-snapshot-runs">
        {s.reads.map((r) => (
          <li key={`${r.runId}:${r.name}`} data-testid="data-snapshot-run" data-run-id={r.runId}>
            <StatusBadge status={r.status} />
            <Link to={paths.run(r.runId)} className="run-link" data-testid="data-snapshot-run-link">
              {r.runName}
            </Link>
            <span className="muted">{r.project}</span>
            <span>
              <span className="muted">query</span> <span className="mono" data-testid="data-snapshot-query">{r.name}</span>
            </span>
            <span className="muted" title={formatIso(r.createdAt)}>
              {formatAgo(r.createdAt)}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
