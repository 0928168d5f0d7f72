import { describe, expect, it } from 'vitest';
import { redactRepositoryUrl } from '../../core/git-push.js';
import * as core from '../../core/trigger.js';
import type { RunManifest } from './api.js';
import { describeTrigger, firstLine, redactUrl, triggerOf, webHref, type Trigger } from './triggers.js';

const MERGE: Trigger = {
  kind: 'merge',
  by: 'ada-l',
  provider: 'github',
  repository: 'https://github.com/acme/iris.git',
  branch: 'main',
  commit: '3f2a9c1d5e7b8a0c4d6e8f1a2b3c4d5e6f7a8b9c',
  before: null,
  author: { name: 'Ada Lovelace', email: 'ada@example.com' },
  message: 'Balance the classes before training\n\nThe smallest class was under-sampled.',
  delivery: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
  url: 'https://github.com/acme/iris/commit/3f2a9c1d',
  image: null,
};

const TRIGGERS: Trigger[] = [
  { kind: 'run', by: 'alice' },
  { kind: 'submit', by: 'alice' },
  { kind: 'sweep', by: 'alice', sweep: 'lr-grid' },
  { kind: 'reproduction', by: 'bob', of: '01aaaaaaaaaaaaaaaaaaaaaaaa' },
  MERGE,
  { ...MERGE, provider: 'git', delivery: null, url: null },
  { kind: 'ci', by: 'runner', system: 'github-actions', url: 'https://ci.example/job/1', ref: 'feature/x', pullRequest: '42' },
  { kind: 'ci', by: 'runner', system: 'ci', url: null, ref: null, pullRequest: null },
];

type ManifestFields = Pick<RunManifest, 'trigger' | 'run' | 'submission' | 'environment'>;

function manifest(over: { trigger?: Trigger; reproduces?: string; submission?: { by: string; sweep: { id: string; name: string; index: number } | null } }): ManifestFields {
  return {
    ...(over.trigger ? { trigger: over.trigger } : {}),
    run: { ...(over.reproduces ? { reproduces: over.reproduces } : {}) },
    ...(over.submission ? { submission: over.submission } : {}),
    environment: { user: 'carol' },
  } as unknown as ManifestFields;
}

describe('triggers in the UI', () => {
  it("describe a trigger as core does", () => {
    for (const t of TRIGGERS) expect(describeTrigger(t)).toBe(core.describeTrigger(t));
    const long = `${'a very long subject '.repeat(6)}\nbody`;
    expect(firstLine(long)).toBe(core.firstLine(long));
  });

  it("imply a missing trigger as core does", () => {
    const cases = [
      manifest({ trigger: MERGE }),
      manifest({ reproduces: '01aaaaaaaaaaaaaaaaaaaaaaaa' }),
      manifest({ submission: { by: 'dave', sweep: { id: 's1', name: 'lr-grid', index: 2 } } }),
      manifest({ submission: { by: 'dave', sweep: null } }),
      manifest({}),
    ];
    for (const m of cases) expect(triggerOf(m)).toEqual(core.triggerOf(m));
    expect(cases.map((m) => triggerOf(m).kind)).toEqual(['merge', 'reproduction', 'sweep', 'submit', 'run']);
  });

  it('hide credentials in a repository URL as the server does', () => {
    for (const url of [
      'https://x-access-token:ghp_secret@github.com/acme/iris.git',
      'https://ghp_secret@github.com/acme/iris.git',
      'ssh://git:pw@example.com/iris.git',
      'ssh://git@example.com/iris.git',
      'git@github.com:acme/iris.git',
      '/srv/git/iris.git',
    ]) {
      expect(redactUrl(url)).toBe(redactRepositoryUrl(url));
    }
    expect(redactUrl('https://tok@github.com/acme/iris.git')).toBe('https://***@github.com/acme/iris.git');
  });

  it('follow only web links from a host', () => {
    expect(webHref('https://github.com/acme/iris/commit/3f2a')).toBe('https://github.com/acme/iris/commit/3f2a');
    expect(webHref('javascript:alert(1)')).toBeUndefined();
    expect(webHref(null)).toBeUndefined();
  });
});
