import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { replaceFile } from './replace-file.js';

describe('replaceFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-replace-'));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lets many writers of one process replace the same file at once, leaving one whole version and no leftovers', async () => {
    const path = join(dir, 'cache.json');
    const versions = Array.from({ length: 20 }, (_, i) => JSON.stringify({ writer: i, pad: 'x'.repeat(10_000) }));
    await Promise.all(versions.map((v) => replaceFile(path, v)));
    expect(versions).toContain(readFileSync(path, 'utf8'));
    expect(readdirSync(dir)).toEqual(['cache.json']);
  });
});
