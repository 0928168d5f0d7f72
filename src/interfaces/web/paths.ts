/** Where each page of the UI lives: the one place links are built. */
import { formatIso } from './format.js';

export const paths = {
  projects: () => '/',
  /** A project's runs; with a filter (docs/search.md), only those it keeps. */
  runs: (project: string, filter?: string) => `/projects/${encodeURIComponent(project)}${filter ? `?filter=${encodeURIComponent(filter)}` : ''}`,
  dashboard: (project: string) => `/projects/${encodeURIComponent(project)}/dashboard`,
  run: (id: string) => `/runs/${encodeURIComponent(id)}`,
  models: () => '/models',
  /** A registered model's page; with a version, that version's files and lineage open. */
  model: (name: string, version?: number) => `/models/${encodeURIComponent(name)}${version === undefined ? '' : `?version=${version}`}`,
  /** Every model in production, and the open alerts across them. */
  production: () => '/production',
  /** One model in production: traffic, drift, alerts and how it is monitored; `range` (`1h`, `7d`) when not the last 24 h. */
  modelProduction: (name: string, range?: string) => `/models/${encodeURIComponent(name)}/production${range ? `?range=${encodeURIComponent(range)}` : ''}`,
  /** Runs waiting in the queue or held by workers, and the workers. */
  queue: () => '/queue',
  sweeps: (project: string) => `/projects/${encodeURIComponent(project)}/sweeps`,
  sweep: (project: string, id: string) => `/projects/${encodeURIComponent(project)}/sweeps/${encodeURIComponent(id)}`,
  /** The lake's tables. */
  data: () => '/data',
  /** A lake table; with a time (UTC ms, or as typed), its rows are previewed as of that time. */
  dataTable: (name: string, asOf?: number | string) =>
    `/data/${encodeURIComponent(name)}${asOf === undefined || asOf === '' ? '' : `?asOf=${encodeURIComponent(typeof asOf === 'number' ? formatIso(asOf) : asOf)}`}`,
  compare: (ids: readonly string[]) => `/compare?runs=${ids.map(encodeURIComponent).join(',')}`,
  /** The sign-in page; `next`: the address to go back to once signed in. */
  login: (next?: string) => `/login${next && next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`,
  /** The audit log (admins); with a user and an action or its family, only theirs. */
  audit: (filter: { by?: string; action?: string } = {}) => {
    const q = new URLSearchParams();
    if (filter.by) q.set('by', filter.by);
    if (filter.action) q.set('action', filter.action);
    const s = q.toString();
    return `/audit${s ? `?${s}` : ''}`;
  },
  /** The signed-in user's role, grants and tokens; for admins, the users too. */
  account: () => '/account',
};

/**
 * Where a sign-in may lead back to: an address of this UI only (a path, never `//host` or
 * another origin, which a crafted link could otherwise send the user to), not the sign-in page itself.
 */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  if (next === '/login' || next.startsWith('/login?') || next.startsWith('/login#')) return '/';
  return next;
}
