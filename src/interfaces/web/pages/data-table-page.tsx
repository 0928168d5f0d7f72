/**
 * One lake table: its totals and columns; its history, commit by commit; its rows as of a
 * time, through a query of one's own (the time and the SQL kept in the URL, so a link
 * shows the same rows); and the snapshots of it that runs read, with those runs.
 */
import { useCallback, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, ApiError } from '../api.js';
import { DataHistory } from '../components/data-history.js';
import { DataPreview } from '../components/data-preview.js';
import { DataSchema } from '../components/data-schema.js';
import { DataSnapshots } from '../components/data-snapshots.js';
import { EmptyState, LoadError } from '../components/empty-state.js';
import { formatAgo, formatBytes, formatIso, plural } from '../format.js';
import { paths } from '../paths.js';
import { useUrlState } from '../url-state.js';
import { useFetch } from '../use-fetch.js';

/** Rows the preview asks for at most; the SQL's own LIMIT may ask for fewer. */
const PREVIEW_ROWS = 500;

/** Where a pick in the history or the snapshots shows its rows. */
const PREVIEW_ID = 'data-rows-as-of';

export function DataTablePage() {
  const name = useParams().table ?? '';
  const url = useUrlState();
  const defaultSql = `SELECT * FROM ${name} LIMIT 100`;
  const asOf = url.get('asOf');
  const sql = url.get('sql', defaultSql);
  const view = useFetch((signal) => api.dataTable(name, signal), [name]);
  const result = useFetch((signal) => api.dataQuery({ sql, ...(asOf !== '' ? { asOf } : {}), limit: PREVIEW_ROWS }, signal), [sql, asOf]);
  const { reload: reloadView } = view;
  const { reload: reloadResult } = result;
  const [runs, setRuns] = useState(0);

  const run = useCallback(
    (nextAsOf: string, nextSql: string) => {
      const s = nextSql.trim() === '' ? defaultSql : nextSql;
      setRuns((n) => n + 1);
      // The table may have grown since the page opened: its history comes along.
      reloadView();
      // The same query again (a `now` one reads what was committed since): the URL stays, the rows are read again.
      if (nextAsOf === asOf && s === sql) reloadResult();
      else url.set({ asOf: nextAsOf || null, sql: s === defaultSql ? null : s }, { push: true });
    },
    [asOf, sql, defaultSql, url, reloadView, reloadResult],
  );
  const pick = useCallback(
    (ms: number) => {
      run(formatIso(ms), sql);
      // Only when the preview is off screen: a pick near it leaves the page where it is.
      document.getElementById(PREVIEW_ID)?.scrollIntoView({ block: 'nearest' });
    },
    [run, sql],
  );

  if (view.error && !view.data) {
    if (view.error instanceof ApiError && view.error.status === 404) {
      return (
        <EmptyState title={`No table named ${name} in the lake`}>
          <p>A table is made by its first append:</p>
          <pre>{`reprise data append ${name} FILE`}</pre>
          <p>
            <Link to={paths.data()}>See the lake's tables</Link>
          </p>
        </EmptyState>
      );
    }
    return <LoadError error={view.error} />;
  }
  if (!view.data) return <p className="muted">Loading the table…</p>;
  const { table, commits, reads } = view.data;
  return (
    <div className="data-table-page">
      <h1 data-testid="data-table-name">
        <Link to={paths.data()} className="muted">
          Data
        </Link>{' '}
        <span className="muted">/</span> {table.name}
      </h1>
      {view.error ? <LoadError error={view.error} /> : null}
      <p className="data-totals" data-testid="data-totals">
        <span data-testid="data-totals-commits">{plural(table.commits, 'commit')}</span>
        <span data-testid="data-totals-rows">{plural(table.rows, 'row')}</span>
        <span>{formatBytes(table.bytes)}</span>
        <span>
          <span className="muted">first commit</span> <span className="mono">{formatIso(table.firstCommitAt)}</span>
        </span>
        <span title={formatIso(table.lastCommitAt)}>
          <span className="muted">last commit</span> <span className="mono">{formatIso(table.lastCommitAt)}</span>{' '}
          <span className="muted">({formatAgo(table.lastCommitAt)})</span>
        </span>
      </p>
      <DataSchema columns={table.schema} />

      <h2>History</h2>
      <DataHistory commits={commits} shownAsOf={result.error || result.loading ? undefined : result.data?.asOf} onPick={pick} />

      <h2 id={PREVIEW_ID}>Rows as of</h2>
      <DataPreview table={table.name} asOf={asOf} sql={sql} result={result} runs={runs} onRun={run} />

      <h2>Snapshots read by runs</h2>
      <DataSnapshots table={table.name} reads={reads} onPick={pick} />
    </div>
  );
}
