/**
 * The data a run read: each query declared under data: in its reprise.yaml, pinned to a
 * time, with what came back once materialized (rows, content hash, schema, the file) and,
 * for a reproduction, whether the source still gives the same rows; its params file; and
 * the datasets and models an MLflow client logged for it (`mlflow.log_input`).
 */
import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { api, type DataInput, type RunDataset, type RunDetails, type RunModelLink } from '../api.js';
import { formatBytes, formatDuration, formatIso, plural, shortHash } from '../format.js';
import { DATASET_CONTEXT_TAG, datasetSourceText } from '../mlflow.js';
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
  const datasets = details.clientInputs?.datasets ?? [];
  const models = details.clientInputs?.models ?? [];
  const client = details.run.manifest.trigger?.kind === 'mlflow';
  return (
    <div className="run-data">
      {inputs.length === 0 && !params.file && datasets.length === 0 && models.length === 0 ? (
        <div className="empty" data-testid="data-empty">
          <h2>No data inputs</h2>
          {client ? (
            <>
              <p>The MLflow client logged no datasets for this run.</p>
              <p>
                A script records what it read with <code>mlflow.log_input(dataset, context="training")</code>; each dataset is listed here with its digest and source.
              </p>
            </>
          ) : (
            <>
              <p>This run declared no data queries and no params file.</p>
              <p>Data queries are declared under data: in the project's reprise.yaml; each is pinned to a time when a run is started or queued, and what it read is listed here.</p>
            </>
          )}
        </div>
      ) : null}
      {datasets.length > 0 ? <ClientDatasets datasets={datasets} /> : null}
      {models.length > 0 ? <ClientModels models={models} /> : null}
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

/** The datasets a client logged: what MLflow's own UI shows of each (its digest says which version of the data it was). */
function ClientDatasets({ datasets }: { datasets: readonly RunDataset[] }) {
  return (
    <section data-testid="client-datasets">
      <h2>Datasets logged by the MLflow client</h2>
      <table className="plain">
        <thead>
          <tr>
            <th>Name</th>
            <th>Digest</th>
            <th>Source type</th>
            <th>Source</th>
            <th>Context</th>
          </tr>
        </thead>
        <tbody>
          {datasets.map((d) => {
            const context = d.tags[DATASET_CONTEXT_TAG];
            const otherTags = Object.entries(d.tags).filter(([k]) => k !== DATASET_CONTEXT_TAG);
            return (
              <tr key={`${d.name}\u0000${d.digest}`} data-testid="client-dataset" data-name={d.name} data-digest={d.digest}>
                <td className="mono" data-testid="client-dataset-name">
                  {d.name}
                </td>
                <td className="mono" data-testid="client-dataset-digest">
                  {d.digest}
                </td>
                <td data-testid="client-dataset-source-type">{d.sourceType}</td>
                <td className="mono client-dataset-source" data-testid="client-dataset-source" title={d.source}>
                  {datasetSourceText(d.source)}
                </td>
                <td data-testid="client-dataset-context">
                  {context ?? <span className="muted">none given</span>}
                  {otherTags.length > 0 ? (
                    <div className="muted mono" title="the dataset's other tags">
                      {otherTags.map(([k, v]) => `${k}=${v}`).join(', ')}
                    </div>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

/** Logged models the run took in or put out, by the ids the client knows them by. */
function ClientModels({ models }: { models: readonly RunModelLink[] }) {
  return (
    <section data-testid="client-models">
      <h2>Models logged through the MLflow client</h2>
      <table className="plain">
        <thead>
          <tr>
            <th>Model id</th>
            <th>Used as</th>
          </tr>
        </thead>
        <tbody>
          {models.map((m) => (
            <tr key={`${m.modelId}-${m.direction}`} data-testid="client-model" data-model-id={m.modelId} data-direction={m.direction}>
              <td className="mono">{m.modelId}</td>
              <td>{m.direction === 'input' ? 'input' : `output, at step ${m.step}`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
