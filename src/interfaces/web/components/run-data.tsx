/**
 * The data a run read: each query declared under data: in its reprise.yaml, pinned to a
 * time, with what came back once materialized (rows, content hash, schema, the file) and,
 * for a reproduction, whether the source still gives the same rows; and its params file.
 */
import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { api, type DataInput, type RunDetails } from '../api.js';
import { formatBytes, formatDuration, formatIso, plural, shortHash } from '../format.js';
import { paths } from '../paths.js';
import { DataSchema } from './data-schema.js';
import { Facts } from './facts.js';

type Snapshot = NonNullable<DataInput['snapshot']>;

const FROM_WORDS: Record<Snapshot['from'], string> = {
  query: 'query: run against the source',
  recorded: "recorded: the original run's file, reused by this reproduction",
};

const CHECK_WORDS: Record<NonNullable<Snapshot['check']>, string> = {
  matched: 'matched: the source still gives the rows the original run read',
  'source-unavailable': "source unavailable: the original's rows were used as recorded, unchecked",
};

export function RunData({ details }: { details: RunDetails }) {
  const { params } = details.run.manifest;
  const inputs = details.run.manifest.data ?? [];
  return (
    <div className="run-data">
      {inputs.length === 0 && !params.file ? (
        <div className="empty" data-testid="data-empty">
          <h2>No data inputs</h2>
          <p>This run declared no data queries and no params file.</p>
          <p>Data queries are declared under data: in the project's reprise.yaml; each is pinned to a time when a run is started or queued, and what it read is listed here.</p>
        </div>
      ) : null}
      {inputs.length > 0 ? (
        <section data-testid="data-queries">
          <h2>Data queries</h2>
          <div className="data-inputs">
            {inputs.map((d) => (
              <DataInputCard key={d.name} input={d} />
            ))}
          </div>
        </section>
      ) : null}
      {params.file ? (
        <section data-testid="data-inputs">
          <h2>Input files</h2>
          <table className="plain">
            <thead>
              <tr>
                <th>File</th>
                <th>What</th>
                <th>Params hash</th>
              </tr>
            </thead>
            <tbody>
              <tr data-testid="input-file" data-path={params.file}>
                <td className="mono">{params.file}</td>
                <td>params file (its values, with the overrides, are on the Overview tab)</td>
                <td className="mono muted" title={params.hash}>
                  {shortHash(params.hash)}
                </td>
              </tr>
            </tbody>
          </table>
        </section>
      ) : null}
    </div>
  );
}

function DataInputCard({ input: d }: { input: DataInput }) {
  const asOf = formatIso(d.asOf);
  const lake = d.source.kind === 'lake';
  const rows: [string, ReactNode][] = [
    [
      'Source',
      <>
        {d.source.name}
        {lake ? null : <span className="muted"> ({d.source.kind})</span>}
        {d.source.url ? <div className="mono" data-testid="data-input-url">{d.source.url}</div> : null}
      </>,
    ],
    ['Query', <pre className="data-input-query" data-testid="data-input-query">{d.query}</pre>],
    ['Pinned as', <span data-testid="data-input-pinned">{d.pinnedAs === 'submit' ? 'submit: the time the run was started or queued' : <span className="mono">{d.pinnedAs}</span>}</span>],
    ['As of', <span className="mono" data-testid="data-input-as-of">{asOf}</span>],
    ...(d.source.timeColumn ? ([['Time column', <span className="mono">{d.source.timeColumn}</span>]] as [string, ReactNode][]) : []),
    ['Format', d.format],
    [
      'Tables',
      <span className="data-input-tables" data-testid="data-input-tables">
        {d.tables.map((t) =>
          lake ? (
            <Link key={t} to={paths.dataTable(t, d.asOf)} className="mono" data-testid="data-input-table" title={`The table's rows as of ${asOf}`}>
              {t}
            </Link>
          ) : (
            <span key={t} className="mono" data-testid="data-input-table">
              {t}
            </span>
          ),
        )}
      </span>,
    ],
    ...snapshotRows(d),
  ];
  return (
    <section className="card data-input" data-testid="data-input" data-name={d.name} data-materialized={String(d.snapshot !== null)}>
      <h3 className="mono">{d.name}</h3>
      <Facts rows={rows} />
    </section>
  );
}

function snapshotRows(d: DataInput): [string, ReactNode][] {
  const s = d.snapshot;
  if (!s) {
    return [
      [
        'Rows',
        <span className="muted" data-testid="data-input-pending">
          not materialized yet: the rows are read before the first stage
        </span>,
      ],
    ];
  }
  return [
    ['Rows', <span data-testid="data-input-rows">{plural(s.rows, 'row')}</span>],
    [
      'Content hash',
      <span className="mono" title={`${s.contentHash}: the same rows give the same hash, whatever their order or file format`} data-testid="data-input-hash">
        {shortHash(s.contentHash)}
      </span>,
    ],
    ['Schema', <DataSchema columns={s.schema} testId="data-input-schema" />],
    [
      'Snapshot',
      <>
        {formatBytes(s.blob.size)}{' '}
        <a href={api.blobUrl(s.blob.sha256)} download={`${d.name}.${d.format}`} data-testid="data-input-file">
          download
        </a>{' '}
        <span className="muted">
          materialized {formatIso(s.materializedAt)} in {formatDuration(s.ms)}
        </span>
      </>,
    ],
    ['From', <span data-testid="data-input-from">{FROM_WORDS[s.from]}</span>],
    ...(s.check ? ([['Check', <span className={`data-check data-check-${s.check}`} data-testid="data-input-check">{CHECK_WORDS[s.check]}</span>]] as [string, ReactNode][]) : []),
  ];
}
