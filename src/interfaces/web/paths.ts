/** Where each page of the UI lives: the one place links are built. */
export const paths = {
  projects: () => '/',
  runs: (project: string) => `/projects/${encodeURIComponent(project)}`,
  dashboard: (project: string) => `/projects/${encodeURIComponent(project)}/dashboard`,
  run: (id: string) => `/runs/${encodeURIComponent(id)}`,
  compare: (ids: readonly string[]) => `/compare?runs=${ids.map(encodeURIComponent).join(',')}`,
};
