/** Where each page of the UI lives: the one place links are built. */
export const paths = {
  projects: () => '/',
  runs: (project: string) => `/projects/${encodeURIComponent(project)}`,
  dashboard: (project: string) => `/projects/${encodeURIComponent(project)}/dashboard`,
  run: (id: string) => `/runs/${encodeURIComponent(id)}`,
  models: () => '/models',
  /** A registered model's page; with a version, that version's files and lineage open. */
  model: (name: string, version?: number) => `/models/${encodeURIComponent(name)}${version === undefined ? '' : `?version=${version}`}`,
  compare: (ids: readonly string[]) => `/compare?runs=${ids.map(encodeURIComponent).join(',')}`,
};
