import { describe, expect, it } from 'vitest';
import { ciFactsFromEnv } from './ci-environment.js';

describe('ciFactsFromEnv', () => {
  it('reads a GitHub Actions pull request job', () => {
    expect(
      ciFactsFromEnv({
        GITHUB_ACTIONS: 'true',
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_REPOSITORY: 'acme/ml',
        GITHUB_RUN_ID: '991',
        GITHUB_REF: 'refs/pull/12/merge',
        GITHUB_HEAD_REF: 'tune-lr',
        GITHUB_REF_NAME: '12/merge',
      }),
    ).toEqual({ system: 'github-actions', url: 'https://github.com/acme/ml/actions/runs/991', ref: 'tune-lr', pullRequest: '12' });
  });

  it('tells Gitea Actions from GitHub Actions, though it sets the GitHub variables too', () => {
    expect(ciFactsFromEnv({ GITHUB_ACTIONS: 'true', GITEA_ACTIONS: 'true', GITHUB_REF: 'refs/heads/main', GITHUB_REF_NAME: 'main' })).toMatchObject({ system: 'gitea-actions', ref: 'main', pullRequest: null });
  });

  it('reads a GitLab merge request pipeline', () => {
    expect(
      ciFactsFromEnv({ GITLAB_CI: 'true', CI_JOB_URL: 'https://gitlab.example.com/ml/-/jobs/5', CI_COMMIT_REF_NAME: 'feature', CI_MERGE_REQUEST_IID: '7', CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: 'feature' }),
    ).toEqual({ system: 'gitlab-ci', url: 'https://gitlab.example.com/ml/-/jobs/5', ref: 'feature', pullRequest: '7' });
  });

  it('reads Jenkins, Buildkite (no pull request is "false") and CircleCI', () => {
    expect(ciFactsFromEnv({ JENKINS_URL: 'https://ci/', BUILD_URL: 'https://ci/job/1/', GIT_BRANCH: 'origin/main' })).toEqual({ system: 'jenkins', url: 'https://ci/job/1/', ref: 'origin/main', pullRequest: null });
    expect(ciFactsFromEnv({ BUILDKITE: 'true', BUILDKITE_BUILD_URL: 'https://bk/1', BUILDKITE_BRANCH: 'main', BUILDKITE_PULL_REQUEST: 'false' })).toEqual({ system: 'buildkite', url: 'https://bk/1', ref: 'main', pullRequest: null });
    expect(ciFactsFromEnv({ CIRCLECI: 'true', CIRCLE_BRANCH: 'x', CIRCLE_PULL_REQUEST: 'https://github.com/a/b/pull/31' })).toMatchObject({ system: 'circleci', pullRequest: '31' });
  });

  it('says only "ci" where no system is recognized', () => {
    expect(ciFactsFromEnv({ CI: 'true' })).toEqual({ system: 'ci', url: null, ref: null, pullRequest: null });
  });
});
