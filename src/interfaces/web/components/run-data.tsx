/** The data a run read. Runs do not record pinned data yet; the params file is their one known input. */
import type { RunDetails } from '../api.js';

export function RunData({ details }: { details: RunDetails }) {
  const params = details.run.manifest.params;
  return (
    <div className="run-data">
      <div className="empty" data-testid="data-empty">
        <h2>No pinned data</h2>
        <p>This run read no pinned data. Data sets declared in the project's reprise.yaml, pinned to their exact version, will be listed here for the runs that read them.</p>
      </div>
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
                  {params.hash.replace(/^sha256:/, '').slice(0, 12)}
                </td>
              </tr>
            </tbody>
          </table>
        </section>
      ) : null}
    </div>
  );
}
