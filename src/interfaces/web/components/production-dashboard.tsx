/**
 * The dashboard's "In production": a line for each production model whose served versions
 * came from the project, its health as a word and in a sentence, linking to its
 * production page. Nothing at all when the project has none in production (or the server
 * cannot say), so dashboards of projects that never serve stay as they were.
 */
import { useEffect } from 'react';
import { Link } from 'react-router-dom';
import { api } from '../api.js';
import { paths } from '../paths.js';
import { servedText } from '../production-words.js';
import { useFetch } from '../use-fetch.js';
import { HealthBadge } from './production-health.js';

const REFRESH_MS = 60_000;

export function InProduction({ project }: { project: string }) {
  const { data, reload } = useFetch((signal) => api.production(signal), []);
  useEffect(() => {
    const timer = window.setInterval(reload, REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [reload]);
  const mine = (data ?? []).filter((m) => m.projects.includes(project));
  if (mine.length === 0) return null;
  return (
    <section className="dash-section" data-testid="dash-production">
      <h2>In production</h2>
      <ul className="dash-production">
        {mine.map((m) => (
          <li key={m.model} className="dash-sentence" data-testid="dash-production-line" data-model={m.model} data-health={m.health}>
            <Link to={paths.modelProduction(m.model)} data-testid="dash-production-link">
              {m.model}
            </Link>
            {m.served.length > 0 ? <span className="muted"> ({m.served.map(servedText).join(', ')})</span> : null} <HealthBadge health={m.health} />{' '}
            <span data-testid="dash-production-words">{m.words}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
