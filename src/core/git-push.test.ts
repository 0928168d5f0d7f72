import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { thrown } from '../../test/helpers/errors.js';
import {
  detectProvider,
  parseHookEvent,
  repositoryKey,
  signatureHeader,
  verifyHookSignature,
  type HookHeaders,
} from './git-push.js';

const ZERO = '0000000000000000000000000000000000000000';
const BEFORE = '95790bf891e76fee5e1747ab589903a6a1f80f22';
const AFTER = 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7';
const OLDER = 'b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327';
const SECRET = 'It’s a Secret to Everybody';

const body = (payload: unknown): Buffer => Buffer.from(JSON.stringify(payload));
const hmac = (algorithm: 'sha1' | 'sha256', data: Buffer, secret = SECRET): string =>
  createHmac(algorithm, secret).update(data).digest('hex');

/** Changes one hex digit (the last) to another. */
function flipLastDigit(hex: string): string {
  const last = hex[hex.length - 1]!;
  return hex.slice(0, -1) + (last === '0' ? '1' : '0');
}

// ---------------------------------------------------------------------------------------
// Payloads shaped like the hosts' documented examples, cut down to the fields that matter.

function githubPush(over: Record<string, unknown> = {}): Record<string, unknown> {
  const commit = (id: string, message: string) => ({
    id,
    tree_id: 'f9d2a07e9488b91af2641b26b9407fe22a451433',
    distinct: true,
    message,
    timestamp: '2026-03-01T10:12:03+01:00',
    url: `https://github.com/Octo-Org/Hello-World/commit/${id}`,
    author: { name: 'Mona Lisa', email: 'mona@github.com', username: 'monalisa' },
    committer: { name: 'GitHub', email: 'noreply@github.com', username: 'web-flow' },
    added: [],
    removed: [],
    modified: ['train.py'],
  });
  return {
    ref: 'refs/heads/main',
    before: BEFORE,
    after: AFTER,
    repository: {
      id: 186853002,
      node_id: 'MDEwOlJlcG9zaXRvcnkxODY4NTMwMDI=',
      name: 'Hello-World',
      full_name: 'Octo-Org/Hello-World',
      private: false,
      owner: { name: 'Octo-Org', login: 'Octo-Org' },
      html_url: 'https://github.com/Octo-Org/Hello-World',
      url: 'https://github.com/Octo-Org/Hello-World',
      git_url: 'git://github.com/Octo-Org/Hello-World.git',
      ssh_url: 'git@github.com:Octo-Org/Hello-World.git',
      clone_url: 'https://github.com/Octo-Org/Hello-World.git',
      svn_url: 'https://github.com/Octo-Org/Hello-World',
      default_branch: 'main',
    },
    pusher: { name: 'monalisa', email: 'mona@github.com' },
    sender: { login: 'monalisa', id: 21031067, type: 'User' },
    created: false,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `https://github.com/Octo-Org/Hello-World/compare/${BEFORE.slice(0, 12)}...${AFTER.slice(0, 12)}`,
    commits: [commit(OLDER, 'Load the data lazily'), commit(AFTER, 'Tune the learning rate\n\nFrom 3e-4 to 1e-4.')],
    head_commit: commit(AFTER, 'Tune the learning rate\n\nFrom 3e-4 to 1e-4.'),
    ...over,
  };
}

const githubHeaders = (event = 'push', delivery = '72d3162e-cc78-11e3-81ab-4c9367dc0958'): Record<string, string> => ({
  'x-github-event': event,
  'x-github-delivery': delivery,
  'x-github-hook-id': '292430182',
  'user-agent': 'GitHub-Hookshot/044aadd',
  'content-type': 'application/json',
});

function gitlabPush(over: Record<string, unknown> = {}): Record<string, unknown> {
  const commit = (id: string, message: string) => ({
    id,
    message,
    title: message.split('\n')[0],
    timestamp: '2026-03-01T14:27:31+02:00',
    url: `https://gitlab.example.com/mike/diaspora/-/commit/${id}`,
    author: { name: 'Jordi Mallach', email: 'jordi@softcatala.org' },
    added: ['CHANGELOG'],
    modified: ['app/controller/application.rb'],
    removed: [],
  });
  return {
    object_kind: 'push',
    event_name: 'push',
    before: BEFORE,
    after: AFTER,
    ref: 'refs/heads/master',
    ref_protected: true,
    checkout_sha: AFTER,
    user_id: 4,
    user_name: 'John Smith',
    user_username: 'jsmith',
    user_email: 'john@example.com',
    project_id: 15,
    project: {
      id: 15,
      name: 'Diaspora',
      web_url: 'https://gitlab.example.com/mike/diaspora',
      git_ssh_url: 'git@gitlab.example.com:mike/diaspora.git',
      git_http_url: 'https://gitlab.example.com/mike/diaspora.git',
      namespace: 'Mike',
      path_with_namespace: 'mike/diaspora',
      default_branch: 'master',
      homepage: 'https://gitlab.example.com/mike/diaspora',
      url: 'git@gitlab.example.com:mike/diaspora.git',
      ssh_url: 'git@gitlab.example.com:mike/diaspora.git',
      http_url: 'https://gitlab.example.com/mike/diaspora.git',
    },
    repository: {
      name: 'Diaspora',
      url: 'git@gitlab.example.com:mike/diaspora.git',
      homepage: 'https://gitlab.example.com/mike/diaspora',
      git_http_url: 'https://gitlab.example.com/mike/diaspora.git',
      git_ssh_url: 'git@gitlab.example.com:mike/diaspora.git',
      visibility_level: 0,
    },
    commits: [commit(OLDER, 'Update Catalan translation to e38cb41.'), commit(AFTER, 'fixed readme')],
    total_commits_count: 2,
    ...over,
  };
}

const gitlabHeaders = (event = 'Push Hook', extra: Record<string, string> = {}): Record<string, string> => ({
  'x-gitlab-event': event,
  'x-gitlab-instance': 'https://gitlab.example.com',
  'x-gitlab-token': SECRET,
  'user-agent': 'GitLab/17.6.0',
  'content-type': 'application/json',
  ...extra,
});

function giteaPush(over: Record<string, unknown> = {}): Record<string, unknown> {
  const commit = (id: string, message: string) => ({
    id,
    message,
    url: `https://gitea.example.com/gitea/webhooks/commit/${id}`,
    author: { name: 'Gitea', email: 'someone@gitea.io', username: 'gitea' },
    committer: { name: 'Gitea', email: 'someone@gitea.io', username: 'gitea' },
    verification: null,
    timestamp: '2026-03-13T13:52:11-04:00',
    added: [],
    removed: [],
    modified: ['params.yaml'],
  });
  return {
    ref: 'refs/heads/develop',
    before: BEFORE,
    after: AFTER,
    compare_url: `https://gitea.example.com/gitea/webhooks/compare/${BEFORE}...${AFTER}`,
    commits: [commit(OLDER, 'Add a baseline'), commit(AFTER, 'Webhooks Yay!')],
    total_commits: 2,
    head_commit: commit(AFTER, 'Webhooks Yay!'),
    repository: {
      id: 140,
      owner: { id: 1, login: 'gitea', full_name: 'Gitea', email: 'someone@gitea.io', username: 'gitea' },
      name: 'webhooks',
      full_name: 'gitea/webhooks',
      private: false,
      fork: false,
      html_url: 'https://gitea.example.com/gitea/webhooks',
      ssh_url: 'ssh://git@gitea.example.com:2222/gitea/webhooks.git',
      clone_url: 'https://gitea.example.com/gitea/webhooks.git',
      original_url: '',
      default_branch: 'main',
    },
    pusher: { id: 1, login: 'gitea', full_name: 'Gitea', email: 'someone@gitea.io', username: 'gitea' },
    sender: { id: 1, login: 'gitea', full_name: 'Gitea', email: 'someone@gitea.io', username: 'gitea' },
    ...over,
  };
}

/** Headers as Gitea sends them: its own, Gogs's and GitHub's names, all at once. */
function giteaHeaders(event = 'push', data?: Buffer, secret = SECRET): Record<string, string> {
  const delivery = 'f6266f16-1bf3-46a5-9ea4-602e06ead473';
  const sig = data ? hmac('sha256', data, secret) : '';
  return {
    'x-github-delivery': delivery,
    'x-github-event': event,
    'x-github-event-type': event,
    'x-gogs-delivery': delivery,
    'x-gogs-event': event,
    'x-gitea-delivery': delivery,
    'x-gitea-event': event,
    'x-gitea-event-type': event,
    ...(data
      ? {
          'x-gitea-signature': sig,
          'x-gogs-signature': sig,
          'x-hub-signature': `sha1=${hmac('sha1', data, secret)}`,
          'x-hub-signature-256': `sha256=${sig}`,
        }
      : {}),
    'content-type': 'application/json',
  };
}

const repriseHeaders = (event = 'push'): Record<string, string> => ({
  'x-reprise-event': event,
  'x-reprise-delivery': '01JQ3ZQ7X8R4M5N6P7Q8R9S0TV',
  'content-type': 'application/json',
});

// ---------------------------------------------------------------------------------------

describe('detectProvider', () => {
  it('knows each host by its headers', () => {
    expect(detectProvider(githubHeaders())).toBe('github');
    expect(detectProvider(gitlabHeaders())).toBe('gitlab');
    expect(detectProvider(repriseHeaders())).toBe('git');
    expect(detectProvider({ 'content-type': 'application/json' })).toBeNull();
    expect(detectProvider({ 'x-github-event': '' })).toBeNull();
  });

  it('takes Gitea for Gitea though it sends GitHub’s headers too, and Forgejo and Gogs for Gitea', () => {
    expect(detectProvider(giteaHeaders('push', Buffer.from('{}')))).toBe('gitea');
    expect(detectProvider({ 'x-forgejo-event': 'push', 'x-github-event': 'push' })).toBe('gitea');
    expect(detectProvider({ 'x-gogs-event': 'push', 'x-gogs-delivery': 'd' })).toBe('gitea');
  });

  it('reads a repeated header by its first value', () => {
    expect(detectProvider({ 'x-gitlab-event': ['Push Hook', 'Push Hook'] })).toBe('gitlab');
  });
});

describe('GitHub deliveries', () => {
  it('reads a branch push', () => {
    const e = parseHookEvent('github', githubHeaders(), body(githubPush()));
    expect(e).toMatchObject({ provider: 'github', delivery: '72d3162e-cc78-11e3-81ab-4c9367dc0958', event: 'push' });
    expect(e.push).toEqual({
      ref: 'refs/heads/main',
      branch: 'main',
      tag: null,
      before: BEFORE,
      after: AFTER,
      deleted: false,
      repositoryUrls: [
        'https://github.com/Octo-Org/Hello-World.git',
        'git@github.com:Octo-Org/Hello-World.git',
        'https://github.com/Octo-Org/Hello-World',
        'git://github.com/Octo-Org/Hello-World.git',
      ],
      repositoryName: 'Octo-Org/Hello-World',
      sender: 'monalisa',
      head: {
        id: AFTER,
        message: 'Tune the learning rate\n\nFrom 3e-4 to 1e-4.',
        author: { name: 'Mona Lisa', email: 'mona@github.com' },
        url: `https://github.com/Octo-Org/Hello-World/commit/${AFTER}`,
      },
      compareUrl: 'https://github.com/Octo-Org/Hello-World/compare/95790bf891e7...da1560886d4f',
    });
  });

  it('reads a tag push', () => {
    const push = parseHookEvent('github', githubHeaders(), body(githubPush({ ref: 'refs/tags/v1.2.0', before: ZERO, created: true })))
      .push!;
    expect(push).toMatchObject({ ref: 'refs/tags/v1.2.0', branch: null, tag: 'v1.2.0', before: null, after: AFTER, deleted: false });
  });

  it('reads a branch deletion: no after, no head', () => {
    const payload = githubPush({ ref: 'refs/heads/old-idea', after: ZERO, deleted: true, commits: [], head_commit: null, compare: 'https://github.com/Octo-Org/Hello-World/compare/95790bf891e7...000000000000' });
    const push = parseHookEvent('github', githubHeaders(), body(payload)).push!;
    expect(push).toMatchObject({ branch: 'old-idea', before: BEFORE, after: null, deleted: true, head: null });
  });

  it('reads a new branch: no before', () => {
    const push = parseHookEvent('github', githubHeaders(), body(githubPush({ ref: 'refs/heads/feature/lr', before: ZERO, created: true })))
      .push!;
    expect(push).toMatchObject({ branch: 'feature/lr', before: null, after: AFTER, deleted: false });
    expect(push.head?.id).toBe(AFTER);
  });

  it('finds the head among the commits when head_commit is absent, and falls back to the pusher', () => {
    const payload = githubPush({ head_commit: undefined, sender: undefined });
    const push = parseHookEvent('github', githubHeaders(), body(payload)).push!;
    expect(push.head?.id).toBe(AFTER);
    expect(push.sender).toBe('monalisa');
  });

  it('reads a ping as an event that is not a push', () => {
    const ping = { zen: 'Design for failure.', hook_id: 292430182, hook: { type: 'Repository', events: ['push'] }, repository: githubPush().repository, sender: { login: 'monalisa' } };
    const e = parseHookEvent('github', githubHeaders('ping'), body(ping));
    expect(e).toEqual({ provider: 'github', delivery: '72d3162e-cc78-11e3-81ab-4c9367dc0958', event: 'ping', push: null });
  });

  it('reads a form-encoded delivery by its payload field', () => {
    const form = Buffer.from(new URLSearchParams({ payload: JSON.stringify(githubPush()) }).toString());
    expect(parseHookEvent('github', githubHeaders(), form).push?.after).toBe(AFTER);
  });
});

describe('GitLab deliveries', () => {
  it('reads a branch push, with every project URL and the head among the commits', () => {
    const e = parseHookEvent('gitlab', gitlabHeaders('Push Hook', { 'idempotency-key': 'f5e5f430-f57b-4e6e-9fac-d9128cd7232f' }), body(gitlabPush()));
    expect(e).toMatchObject({ provider: 'gitlab', delivery: 'f5e5f430-f57b-4e6e-9fac-d9128cd7232f', event: 'Push Hook' });
    expect(e.push).toEqual({
      ref: 'refs/heads/master',
      branch: 'master',
      tag: null,
      before: BEFORE,
      after: AFTER,
      deleted: false,
      repositoryUrls: [
        'https://gitlab.example.com/mike/diaspora.git',
        'git@gitlab.example.com:mike/diaspora.git',
        'https://gitlab.example.com/mike/diaspora',
      ],
      repositoryName: 'mike/diaspora',
      sender: 'jsmith',
      head: {
        id: AFTER,
        message: 'fixed readme',
        author: { name: 'Jordi Mallach', email: 'jordi@softcatala.org' },
        url: `https://gitlab.example.com/mike/diaspora/-/commit/${AFTER}`,
      },
      compareUrl: null,
    });
  });

  it('reads a tag push', () => {
    const payload = gitlabPush({ object_kind: 'tag_push', event_name: 'tag_push', ref: 'refs/tags/v1.0.0', before: ZERO, commits: [], total_commits_count: 0 });
    const push = parseHookEvent('gitlab', gitlabHeaders('Tag Push Hook'), body(payload)).push!;
    expect(push).toMatchObject({ ref: 'refs/tags/v1.0.0', branch: null, tag: 'v1.0.0', before: null, after: AFTER, deleted: false, head: null });
  });

  it('reads a branch deletion: checkout_sha null, no head', () => {
    const payload = gitlabPush({ ref: 'refs/heads/old-idea', after: ZERO, checkout_sha: null, commits: [], total_commits_count: 0 });
    const push = parseHookEvent('gitlab', gitlabHeaders(), body(payload)).push!;
    expect(push).toMatchObject({ branch: 'old-idea', before: BEFORE, after: null, deleted: true, head: null });
  });

  it('reads a new branch, and takes the last commit when none is the checkout sha', () => {
    const payload = gitlabPush({ ref: 'refs/heads/feature/lr', before: ZERO, checkout_sha: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', after: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' });
    const push = parseHookEvent('gitlab', gitlabHeaders(), body(payload)).push!;
    expect(push).toMatchObject({ branch: 'feature/lr', before: null, deleted: false });
    expect(push.head?.id).toBe(AFTER);
  });

  it('falls back to user_name when user_username is absent', () => {
    const push = parseHookEvent('gitlab', gitlabHeaders(), body(gitlabPush({ user_username: undefined }))).push!;
    expect(push.sender).toBe('John Smith');
  });

  it('reads a merge request event as not a push', () => {
    const mr = {
      object_kind: 'merge_request',
      event_type: 'merge_request',
      user: { id: 1, name: 'Administrator', username: 'root' },
      project: gitlabPush().project,
      object_attributes: { iid: 1, source_branch: 'ms-viewport', target_branch: 'master', state: 'opened', action: 'open' },
    };
    const e = parseHookEvent('gitlab', gitlabHeaders('Merge Request Hook', { 'x-gitlab-event-uuid': '13792a34-cac6-4fda-95a8-c58e00a3954e' }), body(mr));
    expect(e).toEqual({ provider: 'gitlab', delivery: '13792a34-cac6-4fda-95a8-c58e00a3954e', event: 'Merge Request Hook', push: null });
  });

  it('reads a system hook’s push by its object_kind', () => {
    const e = parseHookEvent('gitlab', gitlabHeaders('System Hook'), body(gitlabPush()));
    expect(e.push?.branch).toBe('master');
    const other = parseHookEvent('gitlab', gitlabHeaders('System Hook'), body({ event_name: 'project_create', path_with_namespace: 'a/b' }));
    expect(other.push).toBeNull();
  });

  it('takes the delivery from Idempotency-Key, else X-Gitlab-Event-UUID, else X-Gitlab-Webhook-UUID, else the body', () => {
    const data = body(gitlabPush());
    const all = { 'idempotency-key': 'idem', 'x-gitlab-event-uuid': 'event', 'x-gitlab-webhook-uuid': 'webhook' };
    expect(parseHookEvent('gitlab', gitlabHeaders('Push Hook', all), data).delivery).toBe('idem');
    expect(parseHookEvent('gitlab', gitlabHeaders('Push Hook', { ...all, 'idempotency-key': '' }), data).delivery).toBe('event');
    expect(parseHookEvent('gitlab', gitlabHeaders('Push Hook', { 'x-gitlab-webhook-uuid': 'webhook' }), data).delivery).toBe('webhook');
    const derived = parseHookEvent('gitlab', gitlabHeaders(), data).delivery;
    expect(derived).toBe(`body-sha256:${createHash('sha256').update(data).digest('hex')}`);
    // The same body sent again is the same delivery; another body is another.
    expect(parseHookEvent('gitlab', gitlabHeaders(), Buffer.from(data)).delivery).toBe(derived);
    expect(parseHookEvent('gitlab', gitlabHeaders(), body(gitlabPush({ after: OLDER }))).delivery).not.toBe(derived);
  });
});

describe('Gitea deliveries', () => {
  it('reads a branch push', () => {
    const data = body(giteaPush());
    const e = parseHookEvent('gitea', giteaHeaders('push', data), data);
    expect(e).toMatchObject({ provider: 'gitea', delivery: 'f6266f16-1bf3-46a5-9ea4-602e06ead473', event: 'push' });
    expect(e.push).toEqual({
      ref: 'refs/heads/develop',
      branch: 'develop',
      tag: null,
      before: BEFORE,
      after: AFTER,
      deleted: false,
      repositoryUrls: [
        'https://gitea.example.com/gitea/webhooks.git',
        'ssh://git@gitea.example.com:2222/gitea/webhooks.git',
        'https://gitea.example.com/gitea/webhooks',
      ],
      repositoryName: 'gitea/webhooks',
      sender: 'gitea',
      head: {
        id: AFTER,
        message: 'Webhooks Yay!',
        author: { name: 'Gitea', email: 'someone@gitea.io' },
        url: `https://gitea.example.com/gitea/webhooks/commit/${AFTER}`,
      },
      compareUrl: `https://gitea.example.com/gitea/webhooks/compare/${BEFORE}...${AFTER}`,
    });
  });

  it('reads a tag push', () => {
    const payload = giteaPush({ ref: 'refs/tags/v0.3', before: ZERO, compare_url: '', commits: [], total_commits: 0 });
    const push = parseHookEvent('gitea', giteaHeaders(), body(payload)).push!;
    expect(push).toMatchObject({ tag: 'v0.3', branch: null, before: null, after: AFTER, compareUrl: null });
    expect(push.head?.id).toBe(AFTER);
  });

  it('reads a deletion: as a push to the zero sha (tags), and as a delete event (branches), which is not a push', () => {
    const payload = giteaPush({ ref: 'refs/tags/v0.2', after: ZERO, compare_url: '', commits: [], head_commit: null });
    expect(parseHookEvent('gitea', giteaHeaders(), body(payload)).push).toMatchObject({ tag: 'v0.2', after: null, deleted: true, head: null });
    const deleteEvent = { ref: 'old-idea', ref_type: 'branch', pusher_type: 'user', repository: giteaPush().repository, sender: giteaPush().sender };
    expect(parseHookEvent('gitea', giteaHeaders('delete'), body(deleteEvent))).toMatchObject({ event: 'delete', push: null });
  });

  it('reads a new branch, finding the head among the commits when head_commit is absent', () => {
    const payload = giteaPush({ ref: 'refs/heads/feature/lr', before: ZERO, head_commit: undefined });
    const push = parseHookEvent('gitea', giteaHeaders(), body(payload)).push!;
    expect(push).toMatchObject({ branch: 'feature/lr', before: null, deleted: false });
    expect(push.head?.message).toBe('Webhooks Yay!');
  });

  it('reads Forgejo’s and Gogs’s own headers', () => {
    const forgejo = parseHookEvent('gitea', { 'x-forgejo-event': 'push', 'x-forgejo-delivery': 'fj-1' }, body(giteaPush()));
    expect(forgejo).toMatchObject({ delivery: 'fj-1', event: 'push' });
    const gogs = parseHookEvent('gitea', { 'x-gogs-event': 'create', 'x-gogs-delivery': 'gg-1' }, body({ ref: 'v1', ref_type: 'tag' }));
    expect(gogs).toMatchObject({ delivery: 'gg-1', event: 'create', push: null });
  });

  it('takes the sender’s login, else its username, else the pusher’s', () => {
    const only = (sender: unknown, pusher: unknown) => parseHookEvent('gitea', giteaHeaders(), body(giteaPush({ sender, pusher }))).push!.sender;
    expect(only({ login: 'a', username: 'b' }, { login: 'c' })).toBe('a');
    expect(only({ username: 'b' }, { login: 'c' })).toBe('b');
    expect(only(undefined, { login: 'c' })).toBe('c');
    expect(only(undefined, { username: 'd' })).toBe('d');
  });
});

describe('Reprise repository hook deliveries', () => {
  const hookPush = (over: Record<string, unknown> = {}) => ({
    ref: 'refs/heads/main',
    before: BEFORE,
    after: AFTER,
    repository: '/srv/git/ml.git',
    sender: 'alice',
    head: { id: AFTER, message: 'Tune the learning rate', author: { name: 'Alice', email: 'alice@example.com' } },
    ...over,
  });

  it('reads a push, its repository as the one URL', () => {
    const e = parseHookEvent('git', repriseHeaders(), body(hookPush()));
    expect(e).toEqual({
      provider: 'git',
      delivery: '01JQ3ZQ7X8R4M5N6P7Q8R9S0TV',
      event: 'push',
      hook: { branch: null, path: null, queue: null },
      push: {
        ref: 'refs/heads/main',
        branch: 'main',
        tag: null,
        before: BEFORE,
        after: AFTER,
        deleted: false,
        repositoryUrls: ['/srv/git/ml.git'],
        repositoryName: null,
        sender: 'alice',
        head: { id: AFTER, message: 'Tune the learning rate', author: { name: 'Alice', email: 'alice@example.com' }, url: null },
        compareUrl: null,
      },
    });
  });

  it('reads a new branch (before null or zero), a tag, a deletion and a push without head', () => {
    expect(parseHookEvent('git', repriseHeaders(), body(hookPush({ before: null }))).push?.before).toBeNull();
    expect(parseHookEvent('git', repriseHeaders(), body(hookPush({ before: ZERO }))).push?.before).toBeNull();
    expect(parseHookEvent('git', repriseHeaders(), body(hookPush({ ref: 'refs/tags/v1' }))).push?.tag).toBe('v1');
    expect(parseHookEvent('git', repriseHeaders(), body(hookPush({ after: ZERO })))).toMatchObject({ push: { deleted: true, after: null, head: null } });
    expect(parseHookEvent('git', repriseHeaders(), body(hookPush({ head: null }))).push?.head).toBeNull();
  });

  it('reads what the hook was installed with, and refuses a setting that is not a string', () => {
    expect(parseHookEvent('git', repriseHeaders(), body(hookPush({ branch: 'release', path: 'ml', queue: 'gpu' }))).hook).toEqual({ branch: 'release', path: 'ml', queue: 'gpu' });
    const e = thrown(() => parseHookEvent('git', repriseHeaders(), body(hookPush({ path: 3 }))));
    expect(e.code).toBe('REPRISE_ERR_HOOK_PAYLOAD_INVALID');
    expect(e.message).toBe('the repository hook\'s "path" is a number, not a string');
  });
});

describe('bad deliveries', () => {
  const message = (fn: () => unknown): string => {
    const e = thrown(fn);
    expect(e.code).toBe('REPRISE_ERR_HOOK_PAYLOAD_INVALID');
    expect(e.status).toBe(400);
    return e.message;
  };

  it('refuses a body that is not JSON, quoting the parser', () => {
    expect(message(() => parseHookEvent('github', githubHeaders(), Buffer.from('{"ref": ')))).toMatch(/^the body is not JSON: .+/);
    expect(message(() => parseHookEvent('gitlab', gitlabHeaders('Merge Request Hook'), Buffer.from('')))).toMatch(/^the body is not JSON/);
  });

  it('refuses a body that is not a JSON object, even for events that are not pushes', () => {
    expect(message(() => parseHookEvent('github', githubHeaders(), body([githubPush()])))).toBe('the body is not a JSON object (it is an array)');
    expect(message(() => parseHookEvent('github', githubHeaders('ping'), body('ping')))).toBe('the body is not a JSON object (it is a string)');
  });

  it('names a missing or mistyped ref', () => {
    expect(message(() => parseHookEvent('github', githubHeaders(), body(githubPush({ ref: undefined }))))).toBe('the GitHub push has no "ref" (a string)');
    expect(message(() => parseHookEvent('gitlab', gitlabHeaders(), body(gitlabPush({ ref: 42 }))))).toBe('the GitLab push\'s "ref" is a number, not a string');
    expect(message(() => parseHookEvent('gitea', giteaHeaders(), body(giteaPush({ ref: ['refs/heads/a'] }))))).toBe('the Gitea push\'s "ref" is an array, not a string');
    expect(message(() => parseHookEvent('git', repriseHeaders(), body({ after: AFTER, repository: '/r' })))).toBe('the repository hook has no "ref" (a string)');
  });

  it('names a missing or malformed before and after', () => {
    expect(message(() => parseHookEvent('github', githubHeaders(), body(githubPush({ after: undefined }))))).toMatch(/"after"/);
    expect(message(() => parseHookEvent('gitlab', gitlabHeaders(), body(gitlabPush({ before: undefined }))))).toMatch(/"before"/);
    expect(message(() => parseHookEvent('gitea', giteaHeaders(), body(giteaPush({ after: 'main' }))))).toBe('the Gitea push\'s "after" is not a commit id: "main"');
  });

  it('names the repository URLs when the push gives none', () => {
    expect(message(() => parseHookEvent('github', githubHeaders(), body(githubPush({ repository: { full_name: 'a/b' } }))))).toMatch(/"repository\.clone_url"/);
    expect(message(() => parseHookEvent('gitlab', gitlabHeaders(), body(gitlabPush({ project: {}, repository: {} }))))).toMatch(/"project\.git_http_url"/);
    expect(message(() => parseHookEvent('git', repriseHeaders(), body({ ref: 'refs/heads/main', after: AFTER })))).toMatch(/"repository"/);
  });

  it('names a missing delivery or event header', () => {
    const { 'x-github-delivery': _d, ...noDelivery } = githubHeaders();
    expect(message(() => parseHookEvent('github', noDelivery, body(githubPush())))).toBe('X-GitHub-Delivery header is missing');
    const { 'x-github-event': _e, ...noEvent } = githubHeaders();
    expect(message(() => parseHookEvent('github', noEvent, body(githubPush())))).toBe('X-GitHub-Event header is missing');
    expect(message(() => parseHookEvent('gitea', { 'x-gitea-event': 'push' }, body(giteaPush())))).toBe('X-Gitea-Delivery header is missing');
    expect(message(() => parseHookEvent('gitlab', { 'x-gitlab-token': SECRET }, body(gitlabPush())))).toBe('X-Gitlab-Event header is missing');
    expect(message(() => parseHookEvent('git', { 'x-reprise-event': 'push' }, body({})))).toBe('X-Reprise-Delivery header is missing');
    expect(thrown(() => parseHookEvent('github', noDelivery, body(githubPush()))).details).toEqual({ header: 'X-GitHub-Delivery' });
  });

  it('needs nothing of an event that is not a push beyond a JSON object', () => {
    expect(parseHookEvent('github', githubHeaders('issues'), body({})).push).toBeNull();
    expect(parseHookEvent('gitea', giteaHeaders('create'), body({ ref: 'v1' })).push).toBeNull();
  });
});

describe('signatures', () => {
  const data = body(githubPush());
  const good256 = `sha256=${hmac('sha256', data)}`;

  it('names the header that carries the secret', () => {
    expect(signatureHeader('github')).toBe('X-Hub-Signature-256');
    expect(signatureHeader('gitlab')).toBe('X-Gitlab-Token');
    expect(signatureHeader('gitea')).toBe('X-Gitea-Signature');
  });

  it('checks GitHub’s X-Hub-Signature-256 against the raw body', () => {
    const verify = (h: HookHeaders, b = data, secret = SECRET) => verifyHookSignature('github', h, b, secret);
    expect(verify({ 'x-hub-signature-256': good256 })).toBe(true);
    expect(verify({ 'x-hub-signature-256': good256.toUpperCase().replace('SHA256=', 'sha256=') })).toBe(true);
    expect(verify({ 'x-hub-signature-256': flipLastDigit(good256) })).toBe(false);
    expect(verify({})).toBe(false);
    expect(verify({ 'x-hub-signature-256': good256 }, data, 'another secret')).toBe(false);
    const changed = Buffer.from(data);
    changed[changed.length - 2] = changed[changed.length - 2]! ^ 1;
    expect(verify({ 'x-hub-signature-256': good256 }, changed)).toBe(false);
    expect(verify({ 'x-hub-signature-256': hmac('sha256', data) })).toBe(false); // the prefix is part of it
    expect(verify({ 'x-hub-signature-256': good256.slice(0, -2) })).toBe(false);
  });

  it('accepts GitHub’s legacy SHA-1 signature only when no SHA-256 one came', () => {
    const sha1 = `sha1=${hmac('sha1', data)}`;
    expect(verifyHookSignature('github', { 'x-hub-signature': sha1 }, data, SECRET)).toBe(true);
    expect(verifyHookSignature('github', { 'x-hub-signature': flipLastDigit(sha1) }, data, SECRET)).toBe(false);
    expect(verifyHookSignature('github', { 'x-hub-signature': sha1, 'x-hub-signature-256': flipLastDigit(good256) }, data, SECRET)).toBe(false);
  });

  it('checks Gitea’s X-Gitea-Signature, and X-Hub-Signature-256 only in its absence', () => {
    const gitea = body(giteaPush());
    const sig = hmac('sha256', gitea);
    const verify = (h: HookHeaders, b = gitea, secret = SECRET) => verifyHookSignature('gitea', h, b, secret);
    expect(verify(giteaHeaders('push', gitea))).toBe(true);
    expect(verify({ 'x-gitea-signature': sig })).toBe(true);
    expect(verify({ 'x-gitea-signature': flipLastDigit(sig) })).toBe(false);
    expect(verify({})).toBe(false);
    expect(verify(giteaHeaders('push', gitea, 'another secret'))).toBe(false);
    expect(verify({ 'x-gitea-signature': sig }, Buffer.concat([gitea, Buffer.from(' ')]))).toBe(false);
    expect(verify({ 'x-hub-signature-256': `sha256=${sig}` })).toBe(true);
    expect(verify({ 'x-forgejo-signature': sig })).toBe(true);
    expect(verify({ 'x-gogs-signature': sig })).toBe(true);
    // A wrong X-Gitea-Signature is not rescued by a right GitHub-style one.
    expect(verify({ 'x-gitea-signature': flipLastDigit(sig), 'x-hub-signature-256': `sha256=${sig}` })).toBe(false);
  });

  it('checks GitLab’s X-Gitlab-Token against the secret itself', () => {
    const gl = body(gitlabPush());
    expect(verifyHookSignature('gitlab', gitlabHeaders(), gl, SECRET)).toBe(true);
    expect(verifyHookSignature('gitlab', gitlabHeaders(), body(gitlabPush({ after: OLDER })), SECRET)).toBe(true); // the token does not sign the body
    expect(verifyHookSignature('gitlab', { 'x-gitlab-token': `${SECRET}!` }, gl, SECRET)).toBe(false);
    expect(verifyHookSignature('gitlab', { 'x-gitlab-token': SECRET.replace('S', 's') }, gl, SECRET)).toBe(false);
    expect(verifyHookSignature('gitlab', { 'x-gitlab-event': 'Push Hook' }, gl, SECRET)).toBe(false);
    expect(verifyHookSignature('gitlab', gitlabHeaders(), gl, 'another secret')).toBe(false);
  });

  it('never accepts an empty secret, and does not ask a repository hook for one', () => {
    expect(verifyHookSignature('gitlab', { 'x-gitlab-token': '' }, data, '')).toBe(false);
    expect(verifyHookSignature('github', { 'x-hub-signature-256': `sha256=${hmac('sha256', data, '')}` }, data, '')).toBe(false);
    expect(verifyHookSignature('git', repriseHeaders(), data, '')).toBe(true);
  });
});

describe('repositoryKey', () => {
  it('gives every spelling of one hosted repository the same key', () => {
    for (const url of [
      'https://github.com/Org/Repo.git',
      'http://github.com/org/repo',
      'https://github.com/org/repo/',
      'https://x-access-token:ghs_abc@github.com/org/repo.git',
      'https://GitHub.com:443/org/repo.git',
      'git@github.com:org/repo.git',
      'git@github.com:org/repo',
      'ssh://git@github.com/org/repo.git',
      'ssh://git@github.com:22/org/repo',
      'git+ssh://git@github.com/org/repo.git',
      'git://github.com/org/repo',
      '  https://github.com/org/repo.git\n',
    ]) {
      expect(repositoryKey(url), url).toBe('github.com/org/repo');
    }
  });

  it('tells apart other hosts, owners, names and ports', () => {
    const key = repositoryKey('https://github.com/org/repo.git');
    expect(repositoryKey('https://gitlab.com/org/repo.git')).not.toBe(key);
    expect(repositoryKey('https://github.com/other/repo.git')).not.toBe(key);
    expect(repositoryKey('https://github.com/org/repo2.git')).not.toBe(key);
    expect(repositoryKey('https://github.com/org/repo/sub')).not.toBe(key);
    expect(repositoryKey('ssh://git@gitea.example.com:2222/org/repo.git')).toBe('gitea.example.com:2222/org/repo');
    expect(repositoryKey('ssh://git@gitea.example.com:2222/org/repo.git')).not.toBe(repositoryKey('git@gitea.example.com:org/repo.git'));
    expect(repositoryKey('https://gitea.example.com:8443/org/repo')).toBe('gitea.example.com:8443/org/repo');
  });

  it('keeps GitLab subgroups in the path', () => {
    expect(repositoryKey('git@gitlab.example.com:Group/Sub/Project.git')).toBe('gitlab.example.com/group/sub/project');
    expect(repositoryKey('https://gitlab.example.com/group/sub/project')).toBe('gitlab.example.com/group/sub/project');
  });

  it('keys local repositories by their normalized path, case kept', () => {
    expect(repositoryKey('/srv/git/ml.git')).toBe('file:/srv/git/ml');
    expect(repositoryKey('/srv/git/ml.git/')).toBe('file:/srv/git/ml');
    expect(repositoryKey('file:///srv/git/ml.git')).toBe('file:/srv/git/ml');
    expect(repositoryKey('/srv/git/../git/./ml')).toBe('file:/srv/git/ml');
    expect(repositoryKey('/home/alice/Project/.git')).toBe('file:/home/alice/Project');
    expect(repositoryKey('/srv/git/ML.git')).not.toBe(repositoryKey('/srv/git/ml.git'));
    expect(repositoryKey('/srv/git/ml')).not.toBe(repositoryKey('https://srv/git/ml'));
  });
});
