/** Where a run ran: the machine, Python, the container image, and the exact packages (the lock). */
import type { ReactNode } from 'react';
import { api, type RunDetails, type RunManifest } from '../api.js';
import { formatBytes, formatDuration } from '../format.js';
import { useFetch } from '../use-fetch.js';
import { LoadError } from './empty-state.js';
import { Facts } from './facts.js';
import { NotRecorded } from './run-trigger.js';

type Environment = NonNullable<RunManifest['environment']>;
type Resolved = NonNullable<Environment['resolved']>;

const none = <span className="muted">none</span>;

function machineRows(env: Environment): [string, ReactNode][] {
  return [
    ['Hostname', <span className="mono">{env.hostname}</span>],
    ['User', <span className="mono">{env.user}</span>],
    ['OS', `${env.os.type} ${env.os.release} (${env.os.platform})`],
    ['Architecture', env.arch],
    ['CPU', `${env.cpu.model}, ${env.cpu.cores} cores`],
    ['Memory', formatBytes(env.memoryBytes)],
    [
      'GPUs',
      env.gpus.length === 0
        ? none
        : env.gpus.map((g, i) => (
            <div key={i}>
              {g.name}
              {g.memoryMiB !== null ? `, ${formatBytes(g.memoryMiB * 1024 * 1024)}` : ''}
              {g.driver ? <span className="muted"> (driver {g.driver})</span> : null}
            </div>
          )),
    ],
    ['Container image', env.image ? <span className="mono">{env.image.digest ? `${env.image.ref}@${env.image.digest}` : env.image.ref}</span> : <span className="muted">none: not run in a container</span>],
    ['Python', env.python ? `${env.python.version}` : none],
    ['Python path', env.python ? <span className="mono">{env.python.path}</span> : none],
    ['Reprise', `${env.repriseVersion} (Node.js ${env.nodeVersion})`],
  ];
}

const SOURCE_WORDS: Record<Resolved['source'], string> = {
  requirements: 'built from the requirements files',
  lock: 'built from a lock file (reprise run --lock)',
  system: 'the system Python, as it is',
};

function resolvedRows(r: Resolved): [string, ReactNode][] {
  const index = [r.pip.indexUrl ?? 'default (PyPI)', ...r.pip.extraIndexUrls.map((u) => `extra: ${u}`), ...r.pip.findLinks.map((u) => `find-links: ${u}`)];
  return [
    ['Kind', r.kind === 'venv' ? 'virtual environment' : 'system'],
    ['Source', SOURCE_WORDS[r.source]],
    ['Environment key', r.hash ? <span className="mono">{r.hash}</span> : none],
    ['Path', r.path ? <span className="mono">{r.path}</span> : none],
    ['Python', r.pythonVersion],
    ['pip', r.pipVersion ?? none],
    ['Package index', r.pip.noIndex ? 'none (--no-index)' : index.map((l) => <div key={l} className="mono">{l}</div>)],
    ['Cache', r.cacheHit ? 'hit: an environment built before was reused' : `built for this run${r.rebuiltBecause ? ` (${r.rebuiltBecause})` : ''}`],
    ['Build time', r.buildMs !== null ? formatDuration(r.buildMs) : <span className="muted">no build</span>],
    ['Preparing took', formatDuration(r.prepareMs)],
  ];
}

/** Package lines of `pip freeze --all`: comments and blank lines are not packages. */
function countPackages(lock: string): number {
  return lock.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#')).length;
}

function Lock({ sha256 }: { sha256: string }) {
  const { data, error } = useFetch((signal) => api.blobText(sha256, signal), [sha256]);
  return (
    <section>
      <h2>
        Installed packages {data !== undefined ? <span className="muted" data-testid="lock-count">({countPackages(data)})</span> : null}
      </h2>
      <p>
        <span className="muted">
          <code>pip freeze --all</code> of the environment the stages ran in.
        </span>{' '}
        <a href={api.blobUrl(sha256)} download="requirements.lock.txt" data-testid="lock-download">
          Download
        </a>
      </p>
      {error ? <LoadError error={error} /> : data === undefined ? <p className="muted">Loading…</p> : <pre className="preview" data-testid="lock">{data}</pre>}
    </section>
  );
}

export function RunEnvironment({ details }: { details: RunDetails }) {
  const env = details.run.manifest.environment;
  if (!env) {
    return (
      <div className="run-environment">
        <p data-testid="env-not-recorded">
          Environment <NotRecorded manifest={details.run.manifest} />.{' '}
          <span className="muted">The machine, Python and packages it ran with are not known; a run started with <code>reprise run</code> records them.</span>
        </p>
      </div>
    );
  }
  return (
    <div className="run-environment">
      <div className="cards env-cards">
        <section className="card">
          <h3>Machine</h3>
          <Facts rows={machineRows(env)} testId="env-machine" />
        </section>
        <section className="card">
          <h3>Python environment</h3>
          {env.resolved ? <Facts rows={resolvedRows(env.resolved)} testId="env-resolved" /> : <p className="muted">Not prepared: the run stopped before its environment was ready.</p>}
        </section>
        <section className="card">
          <h3>Requirements files</h3>
          {env.requirements.length === 0 ? (
            <p className="muted">None declared (env.requirements in reprise.yaml).</p>
          ) : (
            <table className="plain" data-testid="requirements">
              <tbody>
                {env.requirements.map((r) => (
                  <tr key={r.path}>
                    <td className="mono">{r.path}</td>
                    <td className="mono muted" title={r.sha256}>
                      sha256 {r.sha256.slice(0, 12)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
      {env.resolved ? <Lock sha256={env.resolved.lock.sha256} /> : null}
    </div>
  );
}
