import { describe, expect, it } from 'vitest';
import { checkArtifactPath } from './artifact-path.js';

describe('checkArtifactPath', () => {
  it('accepts relative paths inside the outputs', () => {
    for (const ok of ['outputs/report.json', 'model/weights.bin', 'outputs/a%20b.txt', 'outputs/..hidden', 'outputs/a..b']) {
      expect(() => checkArtifactPath(ok), ok).not.toThrow();
    }
    expect(checkArtifactPath('outputs/a%20b.txt')).toBe('outputs/a b.txt');
  });

  it('refuses traversal, absolute paths, backslashes and NUL, plain or encoded', () => {
    const bad = ['../x', 'outputs/../../etc/passwd', '..%2f..%2fetc%2fpasswd', '%2e%2e/x', '%252e%252e%252fx', '/etc/passwd', '%2fetc%2fpasswd', 'a\\b', 'a%5cb', 'a%00b', 'C:/x', './x', ''];
    for (const p of bad) expect(() => checkArtifactPath(p), p).toThrowError(expect.objectContaining({ code: 'REPRISE_ERR_PATH_UNSAFE' }) as Error);
  });
});
