/**
 * The real TensorBoard packages for the tests under test/tensorboard: the interpreter of
 * `.venv-tensorboard` (made by scripts/ensure-venv.sh from test/tensorboard/requirements.txt:
 * tensorboard and tensorboardX, no TensorFlow), and the scripts it runs.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/server.js';

export const TENSORBOARD_VENV_BIN = join(REPO_ROOT, '.venv-tensorboard', 'bin');
export const TENSORBOARD_PYTHON = join(TENSORBOARD_VENV_BIN, 'python');
export const TENSORBOARD_SCRIPTS_DIR = join(REPO_ROOT, 'test', 'tensorboard');

/** Fails with what to do when the venv is missing, instead of a spawn error. */
export function assertTensorboardVenv(): void {
  if (!existsSync(TENSORBOARD_PYTHON)) {
    throw new Error(
      `no TensorBoard venv at ${TENSORBOARD_PYTHON}; run \`bash scripts/ensure-venv.sh .venv-tensorboard test/tensorboard/requirements.txt\` first`,
    );
  }
}

export interface ScriptResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs test/tensorboard/<script> with the venv's interpreter, e.g. write_fixtures.py or read_events.py. */
export function runTensorboardScript(script: string, args: readonly string[], timeoutMs = 120_000): Promise<ScriptResult> {
  assertTensorboardVenv();
  return new Promise((resolve, reject) => {
    const child = spawn(TENSORBOARD_PYTHON, [join(TENSORBOARD_SCRIPTS_DIR, script), ...args], {
      cwd: TENSORBOARD_SCRIPTS_DIR,
      // Unbuffered, so what a failing script printed last is not lost.
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The JSON a script printed on stdout; fails with its stderr when it failed. */
export function jsonOf<T = any>(script: string, res: ScriptResult): T {
  if (res.code !== 0) throw new Error(`${script} exited ${res.code}\n--- stderr ---\n${res.stderr.slice(-12_000)}\n--- stdout ---\n${res.stdout.slice(-4_000)}`);
  try {
    return JSON.parse(res.stdout) as T;
  } catch {
    throw new Error(`${script} succeeded but its stdout is not JSON:\n${res.stdout.slice(0, 4_000)}`);
  }
}
