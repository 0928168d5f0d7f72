import { describe, expect, it } from 'vitest';
import { describeTrigger, firstLine, triggerOf, type Trigger } from './trigger.js';

const MERGE: Trigger = {
  kind: 'merge',
  by: 'grace',
  provider: 'github',
  repository: 'https://github.com/acme/iris.git',
  branch: 'main',
  commit: '3f2a9c1d5e7b8a0c4d6e8f1a2b3c4d5e6f7a8b9c',
  before: null,
  author: { name: 'Ada Lovelace', email: 'ada@example.com' },
  message: 'Balance the classes before training\n\nThe smallest class was under-sampled.',
  delivery: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
  url: null,
  image: null,
};

describe('triggers', () => {
  it('are what the manifest recorded, else what its other fields imply', () => {
    const base = { run: {}, environment: { user: 'carol' } };
    expect(triggerOf({ ...base, trigger: MERGE })).toBe(MERGE);
    expect(triggerOf({ ...base, run: { reproduces: '01abc' } })).toEqual({ kind: 'reproduction', by: 'carol', of: '01abc' });
    expect(triggerOf({ ...base, submission: { by: 'dave', sweep: { name: 'lr-grid' } } })).toEqual({ kind: 'sweep', by: 'dave', sweep: 'lr-grid' });
    expect(triggerOf({ ...base, submission: { by: 'dave', sweep: null } })).toEqual({ kind: 'submit', by: 'dave' });
    expect(triggerOf(base)).toEqual({ kind: 'run', by: 'carol' });
  });

  it('read as one line', () => {
    expect(describeTrigger(MERGE)).toBe('merge to main (3f2a9c1d5e7b "Balance the classes before training" by Ada Lovelace), pushed by grace via github');
    expect(describeTrigger({ ...MERGE, provider: 'git' })).toContain('via a repository hook');
    expect(describeTrigger({ kind: 'ci', by: 'runner', system: 'gitlab-ci', url: null, ref: 'feature', pullRequest: '7' })).toBe('CI (gitlab-ci on feature, pull request 7) by runner');
    expect(describeTrigger({ kind: 'sweep', by: 'a', sweep: 'grid' })).toBe('sweep grid by a');
    expect(firstLine(`${'word '.repeat(30)}\nbody`)).toHaveLength(72);
  });
});
