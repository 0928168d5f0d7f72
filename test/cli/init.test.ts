/**
 * `reprise init` guesses a runnable reprise.yaml from the project's files and never
 * overwrites one without --force.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitProject, git, reprise, sandbox, type Sandbox } from '../helpers/cli.js';

describe('reprise init', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await sandbox();
  });
  afterAll(() => sb.cleanup());

  it('writes a commented reprise.yaml from what it finds, which then runs', async () => {
    const dir = gitProject(sb, {
      'input.json': '{"epochs": 1}',
      'requirements.txt': '# standard library only\n',
      'load_data.py': 'print("load")\n',
      'train.py': 'import json; print("train", json.load(open("input.json")))\n',
      'evaluate.py': 'print("evaluate")\n',
      'helper.py': '',
    });
    const res = await reprise(sb, dir, ['init']);
    expect(res.code, res.stderr).toBe(0);
    const text = readFileSync(join(dir, 'reprise.yaml'), 'utf8');
    expect(text).toContain('params: input.json');
    expect(text).toContain('requirements: requirements.txt');
    expect(text).toMatch(/- \{ name: load, cmd: python load_data\.py \}\n\s+- \{ name: train, cmd: python train\.py \}\n\s+- \{ name: evaluate, cmd: python evaluate\.py \}/);
    expect(text).toMatch(/^# /m);
    git(dir, 'add', 'reprise.yaml');
    git(dir, 'commit', '-q', '-m', 'add reprise.yaml');
    const run = await reprise(sb, dir, ['run', '-p', 'epochs=3']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("[train] train {'epochs': 3}");
  });

  it('never overwrites without --force', async () => {
    const dir = gitProject(sb, { 'train.py': '' }, 'second');
    writeFileSync(join(dir, 'reprise.yaml'), 'mine: true\n');
    const res = await reprise(sb, dir, ['init']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('already exists');
    expect(res.stderr).toContain('--force');
    expect(readFileSync(join(dir, 'reprise.yaml'), 'utf8')).toBe('mine: true\n');
    const forced = await reprise(sb, dir, ['init', '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, 'reprise.yaml'), 'utf8')).toContain('- { name: train, cmd: python train.py }');
  });
});
