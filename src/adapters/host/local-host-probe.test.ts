/**
 * The host probe against real programs on a PATH made for each test. A GPU cannot be had
 * here, so `nvidia-smi` is a script printing what the real one prints for
 * `--query-gpu=name,memory.total,driver_version --format=csv,noheader,nounits`.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RepriseError } from '../../core/errors.js';
import { LocalHostProbe } from './local-host-probe.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'reprise-probe-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('LocalHostProbe.facts', () => {
  it('lists each GPU nvidia-smi reports', async () => {
    script('nvidia-smi', 'printf "NVIDIA H100 80GB HBM3, 81559, 550.54.15\\nNVIDIA A10G, 23028, 550.54.15\\n"');
    const facts = await new LocalHostProbe({ env: { PATH: dir } }).facts();
    expect(facts.gpus).toEqual([
      { name: 'NVIDIA H100 80GB HBM3', memoryMiB: 81559, driver: '550.54.15' },
      { name: 'NVIDIA A10G', memoryMiB: 23028, driver: '550.54.15' },
    ]);
    expect(facts.cpu.cores).toBeGreaterThan(0);
    expect(facts.memoryBytes).toBeGreaterThan(0);
  });

  it('records no GPU without nvidia-smi, or when it fails', async () => {
    expect((await new LocalHostProbe({ env: { PATH: dir } }).facts()).gpus).toEqual([]);
    script('nvidia-smi', 'echo "NVIDIA-SMI has failed" >&2; exit 9');
    expect((await new LocalHostProbe({ env: { PATH: dir } }).facts()).gpus).toEqual([]);
  });
});

describe('LocalHostProbe.findPython', () => {
  const fakePython = (version: string): string =>
    script('python3', `echo "$0" >> "${join(dir, 'calls')}"\necho "${join(dir, 'python3')}"\necho "${version}"`);

  it('asks the interpreter once, then answers from the cache until the interpreter changes', async () => {
    const py = fakePython('3.12.4');
    const cacheFile = join(dir, 'cache.json');
    const probe = (): LocalHostProbe => new LocalHostProbe({ env: { PATH: dir }, cacheFile });
    expect(await probe().findPython({ projectDir: dir })).toEqual({ path: py, version: '3.12.4' });
    expect(await probe().findPython({ projectDir: dir })).toEqual({ path: py, version: '3.12.4' });
    expect(readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n')).toHaveLength(1);

    fakePython('3.12.5');
    utimesSync(py, new Date(), new Date(Date.now() + 5_000));
    expect(await probe().findPython({ projectDir: dir })).toEqual({ path: py, version: '3.12.5' });
    expect(readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('asks again when the project pins another version (.python-version)', async () => {
    fakePython('3.12.4');
    const cacheFile = join(dir, 'cache.json');
    await new LocalHostProbe({ env: { PATH: dir }, cacheFile }).findPython({ projectDir: dir });
    writeFileSync(join(dir, '.python-version'), '3.11\n');
    await new LocalHostProbe({ env: { PATH: dir }, cacheFile }).findPython({ projectDir: dir });
    expect(readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('refuses a version that is not installed, listing those found', async () => {
    fakePython('3.12.4');
    const err = await new LocalHostProbe({ env: { PATH: dir } }).findPython({ projectDir: dir, version: '3.9' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RepriseError);
    expect((err as RepriseError).code).toBe('REPRISE_ERR_INTERPRETER_NOT_FOUND');
    expect((err as RepriseError).message).toContain('Python 3.9');
    expect((err as RepriseError).message).toContain('found: 3.12.4 (python3)');
  });

  it('finds no interpreter on a PATH without one', async () => {
    expect(await new LocalHostProbe({ env: { PATH: dir } }).findPython({ projectDir: dir })).toBeNull();
  });
});
