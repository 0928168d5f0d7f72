/**
 * Helpers for end-to-end tests: temporary git projects and the real `reprise` command,
 * run as a separate process against a private REPRISE_HOME.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const REPRISE_BIN = join(REPO_ROOT, 'bin', 'reprise.js');

const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: 'Reprise Tests',
  GIT_AUTHOR_EMAIL: 'tests@reprise.invalid',
  GIT_COMMITTER_NAME: 'Reprise Tests',
  GIT_COMMITTER_EMAIL: 'tests@reprise.invalid',
};

export interface Sandbox {
  /** Scratch folder holding the project(s) and REPRISE_HOME. */
  readonly root: string;
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  cleanup(): void;
}

export function sandbox(): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'reprise-e2e-'));
  const home = join(root, 'home');
  const env: NodeJS.ProcessEnv = { ...process.env, ...GIT_IDENTITY, REPRISE_HOME: home };
  for (const k of Object.keys(env)) if (k.startsWith('REPRISE_') && k !== 'REPRISE_HOME') delete env[k];
  return { root, home, env, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export function writeFiles(dir: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
}

export function git(dir: string, ...args: string[]): string {
  const res = spawnSync('git', args, { cwd: dir, env: { ...process.env, ...GIT_IDENTITY }, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${res.stderr}`);
  return res.stdout;
}

/** A new git repository holding `files`, committed. */
export function gitProject(sb: Sandbox, files: Record<string, string | Buffer>, name = 'proj'): string {
  const dir = join(sb.root, name);
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  writeFiles(dir, files);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'initial');
  return dir;
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function reprise(sb: Sandbox, cwd: string, args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = startReprise(sb, cwd, args, extraEnv);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

export function startReprise(sb: Sandbox, cwd: string, args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [REPRISE_BIN, ...args], { cwd, env: { ...sb.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `reprise <args> --json`, parsed; fails the test with the output when the command fails. */
export async function repriseJson<T = any>(sb: Sandbox, cwd: string, args: readonly string[]): Promise<T> {
  const res = await reprise(sb, cwd, [...args, '--json']);
  if (res.code !== 0) throw new Error(`reprise ${args.join(' ')} exited ${res.code}\n${res.stderr}\n${res.stdout}`);
  return JSON.parse(res.stdout) as T;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function yamlFor(stages: { name: string; cmd: string }[], extra = ''): string {
  return `name: proj\nparams: input.json\nseed: 7\n${extra}stages:\n${stages.map((s) => `  - name: ${s.name}\n    cmd: ${JSON.stringify(s.cmd)}\n`).join('')}`;
}
