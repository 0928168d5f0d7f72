import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunFolderLogStore } from './run-folder-log-store.js';

describe('RunFolderLogStore', () => {
  let dir: string;
  let logs: RunFolderLogStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reprise-logs-'));
    logs = new RunFolderLogStore({ runsDir: dir });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('appends at offsets into the run folder, where local stages write', async () => {
    expect(await logs.append('r1', 'train', 'stdout', 0, Buffer.from('hello '))).toEqual({ size: 6, appended: 6 });
    expect(await logs.append('r1', 'train', 'stdout', 6, Buffer.from('world\n'))).toEqual({ size: 12, appended: 6 });
    expect(readFileSync(join(dir, 'r1', 'logs', 'train.stdout'), 'utf8')).toBe('hello world\n');
    expect((await logs.read('r1', 'train', 'stdout', 6)).toString()).toBe('world\n');
    expect((await logs.read('r1', 'train', 'combined', 0)).length).toBe(0);
  });

  it('skips bytes it holds, so a resend (whole or overlapping) is harmless', async () => {
    await logs.append('r1', 'train', 'combined', 0, Buffer.from('abcdef'));
    expect(await logs.append('r1', 'train', 'combined', 0, Buffer.from('abcdef'))).toEqual({ size: 6, appended: 0 });
    expect(await logs.append('r1', 'train', 'combined', 4, Buffer.from('efgh'))).toEqual({ size: 8, appended: 2 });
    expect(await logs.append('r1', 'train', 'combined', 1, Buffer.from('b'))).toEqual({ size: 8, appended: 0 });
    expect((await logs.read('r1', 'train', 'combined', 0)).toString()).toBe('abcdefgh');
  });

  it('refuses a piece that would leave a gap, saying how much it holds', async () => {
    await logs.append('r1', 'eval', 'stderr', 0, Buffer.from('12345'));
    await expect(logs.append('r1', 'eval', 'stderr', 9, Buffer.from('x'))).rejects.toMatchObject({ code: 'REPRISE_ERR_LOG_GAP', details: { size: 5 } });
  });

  it('keeps concurrent appends to one file in order', async () => {
    const parts = Array.from({ length: 50 }, (_, i) => `line ${i}\n`);
    let offset = 0;
    await Promise.all(
      parts.map((p) => {
        const at = offset;
        offset += p.length;
        return logs.append('r1', 'train', 'stdout', at, Buffer.from(p));
      }),
    );
    expect((await logs.read('r1', 'train', 'stdout', 0)).toString()).toBe(parts.join(''));
  });

  it('never builds a path from a stage name that is not one', async () => {
    await expect(logs.append('r1', '../../x', 'stdout', 0, Buffer.from('x'))).rejects.toThrow(/not a stage name/);
  });
});

describe('RunFolderLogStore.discard', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reprise-logs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('removes the copies of a run that ran elsewhere', async () => {
    const logs = new RunFolderLogStore({ runsDir: dir });
    await logs.append('r1', 'train', 'combined', 0, Buffer.from('x\n'));
    await logs.discard('r1');
    expect(existsSync(join(dir, 'r1'))).toBe(false);
    await logs.discard('never-seen');
  });

  it('leaves the folder of a run that ran here to its runner', async () => {
    const logs = new RunFolderLogStore({ runsDir: dir });
    mkdirSync(join(dir, 'r2', 'workspace'), { recursive: true });
    await logs.append('r2', 'train', 'combined', 0, Buffer.from('x\n'));
    await logs.discard('r2');
    expect((await logs.read('r2', 'train', 'combined', 0)).toString()).toBe('x\n');
  });
});
