import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractCommitArchive } from './commit-archive.js';

type Entry = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo'; data?: string; mode?: number; linkname?: string };

async function tarOf(entries: Entry[]): Promise<Readable> {
  const pack = tar.pack();
  for (const e of entries) {
    const { data, ...header } = e;
    await new Promise<void>((resolve, reject) => pack.entry({ type: 'file', mode: 0o644, ...header }, data ?? '', (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Readable.from([Buffer.concat(chunks)]);
}

describe('extractCommitArchive', () => {
  let dest: string;
  beforeEach(() => {
    dest = mkdtempSync(join(tmpdir(), 'reprise-archive-'));
  });
  afterEach(() => rmSync(dest, { recursive: true, force: true }));

  it('lays out files with their executable bit, folders and links', async () => {
    await extractCommitArchive(
      await tarOf([
        { name: 'pax_global_header', type: 'file', data: '' },
        { name: 'src/', type: 'directory', mode: 0o755 },
        { name: 'src/run.sh', data: '#!/bin/sh\n', mode: 0o775 },
        { name: 'src/lib.py', data: 'X = 1\n' },
        { name: 'alias.py', type: 'symlink', linkname: 'src/lib.py' },
      ]),
      dest,
    );
    expect(statSync(join(dest, 'src/run.sh')).mode & 0o777).toBe(0o755);
    expect(statSync(join(dest, 'src/lib.py')).mode & 0o777).toBe(0o644);
    expect(lstatSync(join(dest, 'alias.py')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dest, 'alias.py'))).toBe('src/lib.py');
    expect(readFileSync(join(dest, 'alias.py'), 'utf8')).toBe('X = 1\n');
  });

  it('refuses entries that would land outside, and entries that are not files, folders or links', async () => {
    for (const bad of [{ name: '../evil', data: 'x' }, { name: '/etc/evil', data: 'x' }, { name: 'a/../../evil', data: 'x' }, { name: 'pipe', type: 'fifo' as const }]) {
      await expect(extractCommitArchive(await tarOf([bad]), dest)).rejects.toMatchObject({ code: 'REPRISE_ERR_CODE_PATH_UNSAFE' });
    }
    expect(() => statSync(join(dest, '..', 'evil'))).toThrow();
  });

  it('never writes a file through a link the archive made', async () => {
    // Links are made after every file, so a file "under" a link lands in a real folder, and the link is refused.
    const res = extractCommitArchive(await tarOf([{ name: 'out', type: 'symlink', linkname: '/tmp' }, { name: 'out/x.txt', data: 'x' }]), dest);
    await expect(res).rejects.toMatchObject({ code: 'REPRISE_ERR_CODE_PATH_UNSAFE', message: expect.stringContaining('"out"') });
    expect(lstatSync(join(dest, 'out')).isDirectory()).toBe(true);
    expect(readFileSync(join(dest, 'out/x.txt'), 'utf8')).toBe('x');
  });
});
