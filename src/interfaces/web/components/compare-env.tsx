/**
 * Where the compared runs ran: machine, environment and code side by side, and the Python
 * packages whose versions differ, read from each run's `pip freeze` lock.
 */
import { api, type RunDetails } from '../api.js';
import { envRows, lockOf, NOT_RECORDED, packageDifferences, parseFreeze, valuesDiffer } from '../compare-data.js';
import { notRecordedText } from '../triggers.js';
import { useFetch } from '../use-fetch.js';
import { RunHeadCells } from './compare-header.js';
import { LoadError } from './empty-state.js';

function Missing() {
  return <span className="muted">—</span>;
}

/** A fact the run never recorded (logged through the MLflow client): said, with why in the tooltip. */
function NotRecorded({ manifest }: { manifest: RunDetails['run']['manifest'] }) {
  return (
    <span className="muted" data-testid="not-recorded" title={notRecordedText(manifest)}>
      {NOT_RECORDED}
    </span>
  );
}

export function CompareEnv({ runs }: { runs: readonly RunDetails[] }) {
  const rows = envRows(runs.map((d) => d.run.manifest)).map((r) => ({ ...r, differs: valuesDiffer(r.values) }));
  const differing = rows.filter((r) => r.differs).length;
  return (
    <section data-testid="compare-env">
      <div className="section-head">
        <h2>Environment</h2>
        <span className="muted">{differing === 0 ? 'The same in every run.' : `${differing} of ${rows.length} facts differ.`}</span>
      </div>
      <div className="table-scroll">
        <table className="plain compare-table">
          <thead>
            <tr>
              <th scope="col">Fact</th>
              <RunHeadCells runs={runs} />
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key} data-testid="env-row" data-key={r.key} data-differs={String(r.differs)} className={r.differs ? 'differs' : undefined}>
                <td className="row-key">{r.label}</td>
                {r.values.map((v, i) => (
                  <td key={i} title={r.short && v !== undefined ? v : undefined}>
                    {v === undefined ? <Missing /> : v === NOT_RECORDED ? <NotRecorded manifest={runs[i]!.run.manifest} /> : r.short ? <code>{r.short(v)}</code> : v}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ComparePackages runs={runs} />
    </section>
  );
}

/** Each distinct lock once, as name → version; null for a run whose environment was never prepared. */
async function loadLocks(shas: readonly (string | null)[], signal: AbortSignal): Promise<(Map<string, string> | null)[]> {
  const distinct = [...new Set(shas.filter((s): s is string => s !== null))];
  const texts = await Promise.all(
    distinct.map(async (sha) => {
      const text = await api.blobText(sha, signal).catch((e: Error) => {
        throw new Error(`the package list ${sha.slice(0, 12)} could not be read: ${e.message}`);
      });
      return [sha, parseFreeze(text)] as const;
    }),
  );
  const bySha = new Map(texts);
  return shas.map((s) => (s === null ? null : (bySha.get(s) ?? null)));
}

function ComparePackages({ runs }: { runs: readonly RunDetails[] }) {
  const shas = runs.map((d) => lockOf(d.run.manifest));
  const { data, error, loading } = useFetch((signal) => loadLocks(shas, signal), [shas.join(',')]);
  const unknown = runs.filter((d, i) => shas[i] === null && d.run.manifest.environment !== null).map((d) => d.run.name);
  // Runs logged through the MLflow client recorded no environment at all, so no packages either.
  const unrecorded = runs.filter((d) => d.run.manifest.environment === null).map((d) => d.run.name);
  const diffs = data ? packageDifferences(data) : [];
  return (
    <div data-testid="compare-packages">
      <h3>Python packages</h3>
      {unknown.length > 0 ? (
        <p className="muted">
          No package list for {unknown.join(', ')}: {unknown.length === 1 ? 'its' : 'their'} environment was never prepared.
        </p>
      ) : null}
      {unrecorded.length > 0 ? (
        <p className="muted" data-testid="packages-not-recorded">
          No package list for {unrecorded.join(', ')}: {unrecorded.length === 1 ? 'its' : 'their'} environment was not recorded (logged through the MLflow client, outside{' '}
          <code>reprise run</code>).
        </p>
      ) : null}
      {error ? <LoadError error={error} /> : null}
      {!data ? (
        <p className="muted">{loading ? 'Reading package lists…' : ''}</p>
      ) : unknown.length + unrecorded.length >= runs.length - 1 ? null : diffs.length === 0 ? (
        <p data-testid="same-packages">Same packages in every run.</p>
      ) : (
        <div className="table-scroll">
          <table className="plain compare-table">
            <thead>
              <tr>
                <th scope="col">Package</th>
                <RunHeadCells runs={runs} />
              </tr>
            </thead>
            <tbody>
              {diffs.map((p) => (
                <tr key={p.name} data-testid="package-row" data-package={p.name} className="differs">
                  <td className="mono row-key">{p.name}</td>
                  {p.versions.map((v, i) => (
                    <td key={i} className="mono">
                      {v ?? (shas[i] === null ? <Missing /> : <span className="muted">not installed</span>)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
