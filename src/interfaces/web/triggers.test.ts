import { describe, expect, it } from 'vitest';
import { webHref } from './triggers.js';

describe('links from a host', () => {
  it('are followed only when they are web pages', () => {
    expect(webHref('https://github.com/acme/iris/commit/3f2a')).toBe('https://github.com/acme/iris/commit/3f2a');
    expect(webHref('http://gitea.internal/acme/iris/commit/3f2a')).toBe('http://gitea.internal/acme/iris/commit/3f2a');
    expect(webHref('javascript:alert(1)')).toBeUndefined();
    expect(webHref('/srv/git/iris.git')).toBeUndefined();
    expect(webHref(null)).toBeUndefined();
  });
});
