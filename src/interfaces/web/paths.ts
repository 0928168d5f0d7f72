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
};
