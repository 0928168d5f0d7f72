/**
 * What a run produced: its files by folder, each downloadable, and a preview of the one
 * chosen: text, pretty JSON, CSV as a table, images. The server sends every file as
 * application/octet-stream, so the kind comes from the name (and, for text, the bytes).
 */
import Papa from 'papaparse';
import { useEffect, useMemo } from 'react';
import { api, type Artifact, type RunDetails } from '../api.js';
import { formatBytes } from '../format.js';
import { useFetch } from '../use-fetch.js';
import { useUrlState } from '../url-state.js';
import { EmptyState, LoadError } from './empty-state.js';

const PREVIEW_LIMIT = 5 * 1024 * 1024;
const CSV_ROWS = 500;
const TEXT_EXTENSIONS = new Set(['txt', 'log', 'md', 'py', 'yaml', 'yml', 'toml', 'cfg', 'ini', 'sh', 'tsv']);
const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
};

type Preview =
  | { kind: 'text'; text: string }
  | { kind: 'json'; text: string }
  | { kind: 'csv'; fields: string[]; rows: Record<string, unknown>[]; total: number }
  | { kind: 'image'; blob: Blob }
  | { kind: 'binary' };

const extensionOf = (path: string) => (/\.([^./]+)$/.exec(path)?.[1] ?? '').toLowerCase();
const folderOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');
const nameOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** UTF-8 without NUL bytes reads as text; anything else is binary. */
function asText(bytes: ArrayBuffer, known: boolean): string | null {
  try {
    const text = new TextDecoder('utf-8', { fatal: !known }).decode(bytes);
    return known || !text.includes('\u0000') ? text : null;
  } catch {
    return null;
  }
}

function csvPreview(text: string): Preview {
  const parsed = Papa.parse<Record<string, unknown>>(text, { header: true, skipEmptyLines: true });
  return { kind: 'csv', fields: parsed.meta.fields ?? [], rows: parsed.data.slice(0, CSV_ROWS), total: parsed.data.length };
}

function jsonPreview(text: string): Preview {
  try {
    return { kind: 'json', text: JSON.stringify(JSON.parse(text), null, 2) };
  } catch {
    return { kind: 'text', text };
  }
}

async function loadPreview(runId: string, path: string, signal: AbortSignal): Promise<Preview> {
  const ext = extensionOf(path);
  const bytes = await api.artifactBytes(runId, path, signal);
  const image = IMAGE_TYPES[ext];
  if (image) return { kind: 'image', blob: new Blob([bytes], { type: image }) };
  const text = asText(bytes, TEXT_EXTENSIONS.has(ext) || ext === 'json' || ext === 'csv');
  if (text === null) return { kind: 'binary' };
  if (ext === 'json') return jsonPreview(text);
  if (ext === 'csv') return csvPreview(text);
  return { kind: 'text', text };
}

function ImagePreview({ blob, alt }: { blob: Blob; alt: string }) {
  const src = useMemo(() => URL.createObjectURL(blob), [blob]);
  useEffect(() => () => URL.revokeObjectURL(src), [src]);
  return <img className="image-preview" src={src} alt={alt} data-testid="image-preview" />;
}

function CsvTable({ preview }: { preview: Extract<Preview, { kind: 'csv' }> }) {
  return (
    <>
      <p className="muted" data-testid="csv-count">
        {preview.total > preview.rows.length
          ? `The first ${preview.rows.length.toLocaleString('en-US')} of ${preview.total.toLocaleString('en-US')} rows.`
          : `${preview.total.toLocaleString('en-US')} rows.`}
      </p>
      <div className="csv-scroll">
        <table className="plain" data-testid="csv-table">
          <thead>
            <tr>
              {preview.fields.map((f) => (
                <th key={f}>{f}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {preview.rows.map((row, i) => (
              <tr key={i}>
                {preview.fields.map((f) => (
                  <td key={f}>{String(row[f] ?? '')}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function PreviewBody({ runId, artifact }: { runId: string; artifact: Artifact }) {
  const tooBig = artifact.size > PREVIEW_LIMIT;
  const { data, error } = useFetch((signal) => (tooBig ? Promise.resolve<Preview>({ kind: 'binary' }) : loadPreview(runId, artifact.path, signal)), [runId, artifact.path, tooBig]);
  if (error) return <LoadError error={error} />;
  if (!data) return <p className="muted">Loading…</p>;
  switch (data.kind) {
    case 'image':
      return <ImagePreview blob={data.blob} alt={artifact.path} />;
    case 'json':
      return (
        <pre className="preview" data-testid="json-preview">
          {data.text}
        </pre>
      );
    case 'csv':
      return <CsvTable preview={data} />;
    case 'text':
      return (
        <pre className="preview" data-testid="text-preview">
          {data.text}
        </pre>
      );
    case 'binary':
      return (
        <p className="muted" data-testid="no-preview">
          {tooBig ? `No preview: the file is over ${formatBytes(PREVIEW_LIMIT)}.` : 'No preview: this is not a text or image file.'}{' '}
          <a href={api.artifactUrl(runId, artifact.path)} download={nameOf(artifact.path)}>
            Download it
          </a>{' '}
          to open it.
        </p>
      );
  }
}

function PreviewPanel({ runId, artifact, onClose }: { runId: string; artifact: Artifact; onClose: () => void }) {
  return (
    <section className="artifact-preview" data-testid="artifact-preview" data-path={artifact.path}>
      <div className="preview-head">
        <strong className="mono">{artifact.path}</strong>
        <span className="muted">{formatBytes(artifact.size)}</span>
        <span className="grow" />
        <a href={api.artifactUrl(runId, artifact.path)} download={nameOf(artifact.path)}>
          Download
        </a>
        <button type="button" onClick={onClose} data-testid="close-preview">
          Close
        </button>
      </div>
      <PreviewBody key={artifact.path} runId={runId} artifact={artifact} />
    </section>
  );
}

function groupByFolder(artifacts: readonly Artifact[]): [string, Artifact[]][] {
  const groups = new Map<string, Artifact[]>();
  for (const a of [...artifacts].sort((x, y) => x.path.localeCompare(y.path))) {
    const folder = folderOf(a.path);
    groups.set(folder, [...(groups.get(folder) ?? []), a]);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}

function ArtifactList({ runId, artifacts, selected, modelPath, onSelect }: { runId: string; artifacts: readonly Artifact[]; selected: string; modelPath: string | null; onSelect: (path: string) => void }) {
  const groups = useMemo(() => groupByFolder(artifacts), [artifacts]);
  const inModel = (path: string) => modelPath !== null && (path === modelPath || path.startsWith(`${modelPath}/`));
  return (
    <table className="plain artifact-list" data-testid="artifact-list">
      <thead>
        <tr>
          <th>File</th>
          <th className="num">Size</th>
          <th>sha256</th>
          <th />
        </tr>
      </thead>
      {groups.map(([folder, files]) => (
        <tbody key={folder} data-testid="artifact-folder" data-folder={folder}>
          <tr className="folder-row">
            <th colSpan={4} className="mono">
              {folder === '' ? 'top level' : `${folder}/`}
            </th>
          </tr>
          {files.map((a) => (
            <tr key={a.path} data-testid="artifact-row" data-path={a.path} className={a.path === selected ? 'selected' : undefined} aria-selected={a.path === selected}>
              <td>
                <button type="button" className="link-button mono" onClick={() => onSelect(a.path)} title="Preview">
                  {nameOf(a.path)}
                </button>
                {inModel(a.path) ? <span className="model-badge">model</span> : null}
              </td>
              <td className="num">{formatBytes(a.size)}</td>
              <td className="mono muted" title={a.sha256}>
                {a.sha256.slice(0, 12)}
              </td>
              <td>
                <a href={api.artifactUrl(runId, a.path)} download={nameOf(a.path)} data-testid="artifact-download">
                  Download
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      ))}
    </table>
  );
}

export function RunArtifacts({ details }: { details: RunDetails }) {
  const url = useUrlState();
  const runId = details.run.id;
  const artifacts = details.artifacts;
  const model = details.run.manifest.outputs.model;
  const selectedPath = url.get('art');
  const selected = artifacts.find((a) => a.path === selectedPath);
  if (artifacts.length === 0) {
    return (
      <EmptyState title="No artifacts">
        <p>
          Files a stage writes under <code>reprise.output_dir()</code> (or <code>reprise.model_dir()</code> for the model) are stored with the run when it ends, as are the paths listed under <code>outputs:</code> in reprise.yaml.
        </p>
      </EmptyState>
    );
  }
  const total = artifacts.reduce((n, a) => n + a.size, 0);
  return (
    <div className="run-artifacts">
      <p className="muted">
        {artifacts.length.toLocaleString('en-US')} files, {formatBytes(total)}.
        {model ? (
          <>
            {' '}
            The model{model.name ? <> <strong>{model.name}</strong></> : null} is the {model.files === 1 ? 'file' : `${model.files} files`} under <span className="mono">{model.path}/</span> ({formatBytes(model.bytes)}).
          </>
        ) : null}{' '}
        Choose a file to preview it.
      </p>
      <div className={selected ? 'artifacts-layout with-preview' : 'artifacts-layout'}>
        <ArtifactList runId={runId} artifacts={artifacts} selected={selectedPath} modelPath={model?.path ?? null} onSelect={(path) => url.set({ art: path })} />
        {selected ? <PreviewPanel runId={runId} artifact={selected} onClose={() => url.set({ art: null })} /> : null}
        {selectedPath && !selected ? <p className="muted">This run has no artifact {selectedPath}.</p> : null}
      </div>
    </div>
  );
}
