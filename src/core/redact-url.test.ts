import { describe, expect, it } from 'vitest';
import { redactRepositoryUrl } from './redact-url.js';

describe('redactRepositoryUrl', () => {
  it('hides a password or token in the user-info', () => {
    expect(redactRepositoryUrl('https://oauth2:glpat-xyz@gitlab.example.com/a/b.git')).toBe('https://oauth2:***@gitlab.example.com/a/b.git');
    expect(redactRepositoryUrl('https://x-access-token:ghs_abc@github.com/org/repo.git')).toBe('https://x-access-token:***@github.com/org/repo.git');
    expect(redactRepositoryUrl('https://ghp_token@github.com/org/repo.git')).toBe('https://***@github.com/org/repo.git');
    expect(redactRepositoryUrl('ssh://git:pw@host/x.git')).toBe('ssh://git:***@host/x.git');
    expect(redactRepositoryUrl('https://user:p@ss@host/x')).toBe('https://user:***@host/x');
  });

  it('leaves URLs without a secret as they are', () => {
    for (const url of ['https://github.com/org/repo.git', 'git@github.com:org/repo.git', 'ssh://git@github.com/org/repo.git', '/srv/git/ml.git', 'file:///srv/git/ml.git', 'https://github.com/org/repo?ref=a@b']) {
      expect(redactRepositoryUrl(url)).toBe(url);
    }
  });
});
