/** Artifacts of the compared runs by content hash: the same file, a different one, or none. */
import { api, type RunDetails } from '../api.js';
import { artifactRows, artifactStateWords } from '../compare-data.js';
import { formatBytes } from '../format.js';
import { RunHeadCells } from './compare-header.js';

const STATE_CLASS = { same: 'state-same', differs: 'state-differs', missing: 'state-missing' } as const;

export function CompareArtifacts({ runs }: { runs: readonly RunDetails[] }) {
  const rows = artifactRows(runs.map((d) => d.artifacts));
  const names = runs.map((d) => d.run.name);
  return (
    <section data-testid="compare-artifacts">
      <div className="section-head">
        <h2>Artifacts</h2>
        <span className="muted">Files compared by content (sha256): the same hash means the same bytes.</span>
      </div>
      {rows.length === 0 ? (
        <p className="muted">None of these runs saved an artifact.</p>
      ) : (
        <div className="table-scroll">
          <table className="plain compare-table">
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Compared</th>
                <RunHeadCells runs={runs} />
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.path} data-testid="artifact-row" data-path={r.path} data-state={r.state} className={r.state === 'same' ? undefined : 'differs'}>
                  <td className="mono row-key">{r.path}</td>
                  <td className={STATE_CLASS[r.state]} data-testid="artifact-state">
                    {artifactStateWords(r, names)}
                  </td>
                  {r.files.map((f, i) =>
                    f === undefined ? (
                      <td key={i} className="muted">
                        —
                      </td>
                    ) : (
                      <td key={i}>
                        <a href={api.artifactUrl(runs[i]!.run.id, f.path)} className="mono" title={`sha256 ${f.sha256}: download`}>
                          {f.sha256.slice(0, 10)}
                        </a>{' '}
                        <span className="muted">{formatBytes(f.size)}</span>
                      </td>
                    ),
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
