/**
 * A lake table's history: its commits oldest first, each with where its rows came from,
 * who appended them and how it changed the columns. A commit's button previews the rows
 * as of its time; commits after the time shown are greyed, being outside the preview.
 */
import type { LakeCommit } from '../api.js';
import { formatBytes, formatIso, formatNumber, shortHash } from '../format.js';

interface Props {
  commits: readonly LakeCommit[];
  /** The time the preview reads as of (UTC ms), once known; commits after it are outside it. */
  shownAsOf: number | undefined;
  /** Previews the rows as of a commit's time. */
  onPick: (committedAt: number) => void;
}

export function DataHistory({ commits, shownAsOf, onPick }: Props) {
  return (
    <div className="table-scroll">
      <table className="plain data-history" data-testid="data-history">
        <thead>
          <tr>
            <th className="num">#</th>
            <th>Commit</th>
            <th>Committed at (UTC)</th>
            <th className="num">Rows</th>
            <th>sha256</th>
            <th>From</th>
            <th>By</th>
            <th>Schema change</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {commits.map((c) => {
            const at = formatIso(c.committedAt);
            const outside = shownAsOf !== undefined && c.committedAt > shownAsOf;
            return (
              <tr
                key={c.id}
                data-testid="data-commit"
                data-commit={c.id}
                data-committed-at={at}
                data-in-preview={shownAsOf === undefined ? undefined : String(!outside)}
                className={`${outside ? 'data-outside' : ''}${shownAsOf === c.committedAt ? ' data-current' : ''}`.trim() || undefined}
                title={outside ? 'after the time the rows below are read as of' : undefined}
                onClick={() => {
                  // Selecting a commit's id or hash to copy it is not a pick.
                  if (!window.getSelection()?.toString()) onPick(c.committedAt);
                }}
              >
                <td className="num">{c.seq}</td>
                <td className="mono nowrap" data-testid="data-commit-id">
                  {c.id}
                </td>
                <td className="mono nowrap" data-testid="data-commit-at">
                  {at}
                </td>
                <td className="num" data-testid="data-commit-rows">
                  {formatNumber(c.rows)}
                </td>
                <td className="mono" title={`${c.sha256} · ${c.file} (${formatBytes(c.bytes)})`}>
                  {shortHash(c.sha256)}
                </td>
                <td>
                  {c.source.name} <span className="muted">({c.source.format})</span>
                </td>
                <td>{c.by}</td>
                <td data-testid="data-commit-evolved">{c.evolved ? <SchemaChange added={c.evolved.added} missing={c.evolved.missing} /> : null}</td>
                <td className="actions">
                  <button
                    type="button"
                    className="data-pick"
                    data-testid="data-commit-pick"
                    title={`Preview the rows as of ${at}: this commit and those before it`}
                    onClick={(e) => {
                      // The row's own click does the same; once is enough.
                      e.stopPropagation();
                      onPick(c.committedAt);
                    }}
                  >
                    Rows as of this
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Columns an append added (+) or left out (−), as it was allowed to with --schema-evolve. */
function SchemaChange({ added, missing }: { added: readonly string[]; missing: readonly string[] }) {
  return (
    <span className="data-evolved">
      {added.map((c) => (
        <span key={`+${c}`} className="data-added" title="a column this append added">
          +{c}
        </span>
      ))}
      {missing.map((c) => (
        <span key={`-${c}`} className="data-missing" title="a column this append left out (its rows read NULL)">
          −{c}
        </span>
      ))}
    </span>
  );
}
