/**
 * A lake table's rows as of a time: the time (ISO 8601, empty for now) and the SQL, both
 * kept in the page's URL; the first rows of the answer with each column's type, or the
 * server's refusal in its own words; and the whole answer as a CSV file.
 */
import { useEffect, useState, type FormEvent, type KeyboardEvent } from 'react';
import { api, type ApiError, type DataQueryResult } from '../api.js';
import { formatIso, formatNumber, plural } from '../format.js';
import type { Loaded } from '../use-fetch.js';
import { DataSchema } from './data-schema.js';

interface Props {
  table: string;
  /** As kept in the URL: the time as typed ('' for now) and the SQL. */
  asOf: string;
  sql: string;
  result: Loaded<DataQueryResult>;
  /** Changes on every run, from here or a pick elsewhere on the page: the boxes then show what was run. */
  runs: number;
  /** Runs the query: sets both in the URL (or, when neither changed, reads again); an empty SQL means the default. */
  onRun: (asOf: string, sql: string) => void;
}

export function DataPreview({ table, asOf, sql, result, runs, onRun }: Props) {
  // Drafts: what is typed shows at once, and reaches the URL (and the server) on Run.
  const [asOfDraft, setAsOfDraft] = useState(asOf);
  const [sqlDraft, setSqlDraft] = useState(sql);
  // A run, a commit picked in the history, or Back: the boxes follow the URL.
  useEffect(() => setAsOfDraft(asOf), [asOf, runs]);
  useEffect(() => setSqlDraft(sql), [sql, runs]);

  const submit = (e: FormEvent | KeyboardEvent) => {
    e.preventDefault();
    onRun(asOfDraft.trim(), sqlDraft);
  };
  const onSqlKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit(e);
  };
  const now = () => {
    setAsOfDraft('');
    onRun('', sqlDraft);
  };

  return (
    <div className="data-preview">
      <form className="data-query" onSubmit={submit} data-testid="data-query">
        <div className="data-as-of">
          <label>
            <span>As of</span>
            <input
              type="text"
              className="mono"
              value={asOfDraft}
              onChange={(e) => setAsOfDraft(e.target.value)}
              placeholder="now (or an ISO time, e.g. 2026-01-31T12:00:00.000Z)"
              aria-label="As of (ISO 8601 time, UTC unless zoned; empty for now)"
              data-testid="data-as-of"
              spellCheck={false}
            />
          </label>
          {asOfDraft !== '' ? (
            <button type="button" onClick={now} title="Read everything committed until now" data-testid="data-as-of-now">
              Now
            </button>
          ) : null}
          <span className="muted data-as-of-help">UTC unless zoned; empty for now</span>
        </div>
        <textarea
          className="data-sql mono"
          value={sqlDraft}
          onChange={(e) => setSqlDraft(e.target.value)}
          onKeyDown={onSqlKey}
          rows={3}
          aria-label="SQL: a single SELECT over the lake's tables"
          data-testid="data-sql"
          spellCheck={false}
        />
        <div className="data-query-actions">
          <button type="submit" className="primary" data-testid="data-run" title="Run the query (Ctrl+Enter in the SQL box)">
            Run
          </button>
          <DownloadCsv table={table} asOf={asOf} sql={sql} result={result} />
        </div>
      </form>
      <DataResult result={result} />
    </div>
  );
}

function DataResult({ result }: { result: Loaded<DataQueryResult> }) {
  // A refused query shows the refusal, never the rows of an earlier one.
  if (result.error) return <QueryError error={result.error} testId="data-query-error" />;
  if (!result.data) return <p className="muted">{result.loading ? 'Running the query…' : ''}</p>;
  const { schema, rows, truncated, asOf } = result.data;
  return (
    <div className={result.loading ? 'data-result stale' : 'data-result'} data-testid="data-result" data-rows={rows.length} data-as-of={formatIso(asOf)}>
      <p className="data-result-count" data-testid="data-result-count">
        {truncated ? `${formatNumber(rows.length)} rows shown (more not shown)` : plural(rows.length, 'row')} <span className="muted">as of</span>{' '}
        <span className="mono">{formatIso(asOf)}</span>
      </p>
      {schema.length === 0 ? null : (
        <div className="data-rows-scroll">
          <table className="plain data-rows" data-testid="data-rows">
            <thead>
              <tr>
                {schema.map((c) => (
                  <th key={c.name} className={isNumeric(c.type) ? 'num' : undefined} data-column={c.name}>
                    {c.name}
                    <span className="data-type">{c.type}</span>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row, i) => (
                <tr key={i} data-testid="data-row">
                  {row.map((v, j) => {
                    const text = v === null || v === undefined ? null : cellText(v);
                    // Long values are cut on screen; the whole value shows on hover.
                    return (
                      <td key={j} className={isNumeric(schema[j]?.type ?? '') ? 'num' : undefined} title={text !== null && text.length > LONG_CELL ? text : undefined}>
                        {text === null ? <span className="muted">NULL</span> : text}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {rows.length === 0 ? (
        <p className="muted" data-testid="data-no-rows">
          No rows. <DataSchema columns={schema} testId="data-result-schema" />
        </p>
      ) : null}
    </div>
  );
}

/** The server's refusal in its words: the message (SQL errors point at the place with a caret), and its hint. */
function QueryError({ error, testId }: { error: Error & Partial<Pick<ApiError, 'code' | 'hint'>>; testId: string }) {
  return (
    <div className="data-error" role="alert" data-testid={testId} data-code={error.code}>
      <pre>{error.message}</pre>
      {error.hint ? <div className="hint">{error.hint}</div> : null}
    </div>
  );
}

/**
 * The whole answer of the query shown, as a CSV file. It is read as of the time the rows
 * shown were, so a `now` preview and its file agree even if a commit lands in between.
 */
function DownloadCsv({ table, asOf, sql, result }: { table: string; asOf: string; sql: string; result: Loaded<DataQueryResult> }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  useEffect(() => setError(undefined), [asOf, sql]);
  const shown = result.error || result.loading ? undefined : result.data;
  const download = async () => {
    if (!shown) return;
    setBusy(true);
    setError(undefined);
    try {
      const blob = await api.dataExport({ sql, asOf: shown.asOf, format: 'csv' });
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      // Colons are not allowed in file names on every system.
      a.download = `${table}-as-of-${formatIso(shown.asOf).replace(/:/g, '-')}.csv`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      // The click has handed the bytes to the download by the time this runs.
      window.setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        onClick={() => void download()}
        disabled={!shown || busy}
        data-testid="data-download-csv"
        title="Every row of the query (not only those shown) as a CSV file, as of the same time"
      >
        {busy ? 'Preparing CSV…' : 'Download CSV'}
      </button>
      {error ? <QueryError error={error} testId="data-download-error" /> : null}
    </>
  );
}

/** Characters past which a cell may be cut on screen. */
const LONG_CELL = 60;

/** Right-aligned columns: the engine's number types (big integers and decimals arrive as text). */
function isNumeric(type: string): boolean {
  return /^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?\d*|DOUBLE|FLOAT\d*|REAL|DECIMAL.*|NUMERIC.*)$/i.test(type);
}

/** A JSON value as a person reads it: text as it is, the rest (lists, structs) as JSON. */
function cellText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
