/**
 * @module core/ci-environment
 * Which CI system a `reprise ci` runs in, read from the variables each one sets: its
 * name, the job's page, the branch, and the pull or merge request under check.
 */
import type { CiTrigger } from './trigger.js';

type Env = Readonly<Record<string, string | undefined>>;
type CiFacts = Omit<CiTrigger, 'kind' | 'by'>;

const set = (v: string | undefined): string | null => (v === undefined || v === '' ? null : v);

/** GitHub Actions (and Gitea's and Forgejo's, which set the same variables): refs/pull/12/merge → 12. */
function githubStyle(system: string, env: Env): CiFacts {
  const pr = /^refs\/pull\/(\d+)\//.exec(env.GITHUB_REF ?? '')?.[1] ?? null;
  const server = set(env.GITHUB_SERVER_URL);
  const url = server && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID ? `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : null;
  return { system, url, ref: set(env.GITHUB_HEAD_REF) ?? set(env.GITHUB_REF_NAME), pullRequest: pr };
}

/** The CI system of `env`; `ci` with nothing known when none is recognized. */
export function ciFactsFromEnv(env: Env): CiFacts {
  if (env.GITEA_ACTIONS === 'true') return githubStyle(env.FORGEJO_ACTIONS === 'true' ? 'forgejo-actions' : 'gitea-actions', env);
  if (env.FORGEJO_ACTIONS === 'true') return githubStyle('forgejo-actions', env);
  if (env.GITHUB_ACTIONS === 'true') return githubStyle('github-actions', env);
  if (env.GITLAB_CI === 'true') {
    return { system: 'gitlab-ci', url: set(env.CI_JOB_URL), ref: set(env.CI_MERGE_REQUEST_SOURCE_BRANCH_NAME) ?? set(env.CI_COMMIT_REF_NAME), pullRequest: set(env.CI_MERGE_REQUEST_IID) };
  }
  if (set(env.JENKINS_URL)) return { system: 'jenkins', url: set(env.BUILD_URL), ref: set(env.CHANGE_BRANCH) ?? set(env.GIT_BRANCH), pullRequest: set(env.CHANGE_ID) };
  if (env.BUILDKITE === 'true') {
    const pr = set(env.BUILDKITE_PULL_REQUEST);
    return { system: 'buildkite', url: set(env.BUILDKITE_BUILD_URL), ref: set(env.BUILDKITE_BRANCH), pullRequest: pr === 'false' ? null : pr };
  }
  if (env.CIRCLECI === 'true') {
    const pr = /\/pull\/(\d+)/.exec(env.CIRCLE_PULL_REQUEST ?? '')?.[1] ?? null;
    return { system: 'circleci', url: set(env.CIRCLE_BUILD_URL), ref: set(env.CIRCLE_BRANCH), pullRequest: pr };
  }
  return { system: 'ci', url: null, ref: null, pullRequest: null };
}
