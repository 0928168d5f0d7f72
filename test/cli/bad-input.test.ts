/**
 * Bad input gets a clear message naming the key, line, path or value, a non-zero exit,
 * and no run left behind without its manifest or its reason.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitProject, reprise, repriseJson, sandbox, writeFiles, yamlFor, type Sandbox } from '../helpers/cli.js';

describe('bad input', () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = await sandbox();
  });
  afterEach(() => sb.cleanup());

  const project = (files: Record<string, string>): string =>
    gitProject(sb, { 'input.json': '{"epochs": 1}', 'ok.py': 'print("ok")\n', ...files });

  /**
   * Embedded, bad input creates no database at all, or one without runs; through a
   * server (whose database exists from its start), the server holds no runs. The client's
   * home never gets a database of its own in server mode.
   */
  const noRuns = async (dir: string): Promise<void> => {
    if (sb.mode === 'server') expect(existsSync(join(sb.home, 'reprise.db'))).toBe(false);
    if (!existsSync(join(sb.storeHome, 'reprise.db'))) return;
    expect(await repriseJson<any[]>(sb, dir, ['ls'])).toEqual([]);
  };

  it('rejects an unknown key in reprise.yaml with its line, and starts no run', async () => {
    const dir = project({ 'reprise.yaml': 'name: proj\nparams: input.json\nstagse: []\nstages:\n  - { name: a, cmd: python ok.py }\n' });
    const res = await reprise(sb, dir, ['run']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('reprise.yaml:3: stagse: unknown key "stagse"');
    expect(res.stderr).toContain('REPRISE_ERR_CONFIG_INVALID');
    await noRuns(dir);
  });

  it('rejects a stage without cmd and a wrong type, naming key and line', async () => {
    const dir = project({ 'reprise.yaml': 'name: proj\nseed: lots\nstages:\n  - name: a\n    cmd: python ok.py\n  - name: b\n' });
    const res = await reprise(sb, dir, ['run']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('reprise.yaml:2: seed: expected number');
    expect(res.stderr).toMatch(/reprise\.yaml:6: stages\[1\]\.cmd: missing required key "cmd"/);
    await noRuns(dir);
  });

  it('names a missing params file', async () => {
    const dir = project({ 'reprise.yaml': yamlFor([{ name: 'a', cmd: 'python ok.py' }]).replace('input.json', 'params/missing.json') });
    const res = await reprise(sb, dir, ['run']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(join(dir, 'params/missing.json'));
    expect(res.stderr).toContain('REPRISE_ERR_PARAMS_FILE_MISSING');
    await noRuns(dir);
  });

  it('rejects a malformed -p and an override into a non-object', async () => {
    const dir = project({ 'reprise.yaml': yamlFor([{ name: 'a', cmd: 'python ok.py' }]) });
    const noEq = await reprise(sb, dir, ['run', '-p', 'epochs']);
    expect(noEq.code).toBe(2);
    expect(noEq.stderr).toContain('-p "epochs": expected key=value');
    const deep = await reprise(sb, dir, ['run', '-p', 'epochs.x=1']);
    expect(deep.code).toBe(2);
    expect(deep.stderr).toContain('cannot set epochs.x because epochs is a number');
    await noRuns(dir);
  });

  it('fails a run whose stage command does not exist, saying so', async () => {
    const dir = project({ 'reprise.yaml': yamlFor([{ name: 'a', cmd: 'no-such-command-xyz --flag' }, { name: 'b', cmd: 'python ok.py' }]) });
    const res = await reprise(sb, dir, ['run']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('command not found (exit 127)');
    const [run] = await repriseJson<any[]>(sb, dir, ['ls']);
    const details = await repriseJson(sb, dir, ['show', run.id]);
    expect(details.status).toBe('failed');
    expect(details.failure).toMatchObject({ stage: 'a', exitCode: 127 });
    expect(details.failure.stderrTail.join('\n')).toContain('no-such-command-xyz');
    expect(details.manifest.execution.stages.map((s: any) => s.status)).toEqual(['failed', 'skipped']);
  });

  it('records which stage failed, its exit code and the last lines of stderr', async () => {
    const dir = project({
      'reprise.yaml': yamlFor([{ name: 'prep', cmd: 'python ok.py' }, { name: 'train', cmd: 'python boom.py' }, { name: 'eval', cmd: 'python ok.py' }]),
      'boom.py': 'import sys\nfor i in range(30): print(f"line {i}", file=sys.stderr)\nsys.exit(3)\n',
    });
    const res = await reprise(sb, dir, ['run']);
    expect(res.code).toBe(1);
    const [run] = await repriseJson<any[]>(sb, dir, ['ls']);
    const details = await repriseJson(sb, dir, ['show', run.id]);
    expect(details.failure).toMatchObject({ stage: 'train', exitCode: 3, message: 'stage train failed with exit code 3' });
    expect(details.failure.stderrTail).toHaveLength(20);
    expect(details.failure.stderrTail.at(-1)).toBe('line 29');
    expect(details.manifest.execution.stages.map((s: any) => s.status)).toEqual(['succeeded', 'failed', 'skipped']);
    const text = await reprise(sb, dir, ['show', run.name]);
    expect(text.stdout).toContain('reason    stage train failed with exit code 3');
  });

  it('refuses a folder outside git unless --no-git, which snapshots it', async () => {
    const dir = join(sb.root, 'plain');
    writeFiles(dir, {
      'reprise.yaml': yamlFor([{ name: 'a', cmd: 'python -c "print(open(\'data.bin\',\'rb\').read().hex())"' }]),
      'input.json': '{}',
      'data.bin': Buffer.from([0, 255, 7]) as unknown as string,
    });
    const refused = await reprise(sb, dir, ['run']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('is not inside a git repository');
    expect(refused.stderr).toContain('--no-git');
    const res = await reprise(sb, dir, ['run', '--no-git']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('[a] 00ff07');
    const [run] = await repriseJson<any[]>(sb, dir, ['ls']);
    const details = await repriseJson(sb, dir, ['show', run.id]);
    expect(details.manifest.code).toMatchObject({ kind: 'folder', files: 3 });
  });

  it('explains a repository without commits', async () => {
    const dir = join(sb.root, 'fresh');
    writeFiles(dir, { 'reprise.yaml': yamlFor([{ name: 'a', cmd: 'true' }]), 'input.json': '{}' });
    const { spawnSync } = await import('node:child_process');
    spawnSync('git', ['init', '-q'], { cwd: dir });
    const res = await reprise(sb, dir, ['run']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('has no commit yet');
  });

  it('explains a missing reprise.yaml', async () => {
    const dir = join(sb.root, 'empty');
    writeFiles(dir, { 'x.txt': '' });
    const res = await reprise(sb, dir, ['run']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('no reprise.yaml');
    expect(res.stderr).toContain('reprise init');
    expect(existsSync(join(sb.home, 'runs')) ? readdirSync(join(sb.home, 'runs')) : []).toEqual([]);
  });

  it('answers --json errors as JSON', async () => {
    const dir = join(sb.root, 'empty2');
    writeFiles(dir, { 'x.txt': '' });
    const res = await reprise(sb, dir, ['show', 'nothing', '--json']);
    expect(res.code).toBe(2);
    expect(JSON.parse(res.stdout).error.code).toBe('REPRISE_ERR_RUN_NOT_FOUND');
  });
});
