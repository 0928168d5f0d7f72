/**
 * The real `mlflow` client for the tests under test/mlflow: the interpreter of
 * `.venv-mlflow` (made by scripts/ensure-venv.sh from test/mlflow/requirements.txt),
 * the environment it runs with, and the scripts run as separate processes.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/server.js';

export const MLFLOW_VENV_BIN = join(REPO_ROOT, '.venv-mlflow', 'bin');
export const MLFLOW_PYTHON = join(MLFLOW_VENV_BIN, 'python');
export const SCRIPTS_DIR = join(REPO_ROOT, 'test', 'mlflow');

/** A Reprise run id: the MLflow run id must be one. */
export const RUN_ID = /^[0-9a-hjkmnp-tv-z]{26}$/;

/** Fails with what to do when the venv is missing, instead of a spawn error. */
export function assertMlflowVenv(): void {
  if (!existsSync(MLFLOW_PYTHON)) {
    throw new Error(`no mlflow client at ${MLFLOW_PYTHON}; run \`bash scripts/ensure-venv.sh .venv-mlflow test/mlflow/requirements.txt\` first`);
  }
}

/**
 * What the client needs offline and in a hurry: no telemetry, and no retries, so a server
 * error fails the script at once instead of after minutes of backoff.
 */
export const MLFLOW_CLIENT_ENV: NodeJS.ProcessEnv = {
  MLFLOW_DISABLE_TELEMETRY: 'true',
  DO_NOT_TRACK: 'true',
  MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0',
  MLFLOW_HTTP_REQUEST_TIMEOUT: '60',
};

/** The test process's environment without anything that would point mlflow elsewhere. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('MLFLOW_') || k.startsWith('REPRISE_')) delete env[k];
  return env;
}

export interface ScriptResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs test/mlflow/<script> with the venv's interpreter against the server at `trackingUri`. */
export function runMlflowScript(script: string, args: readonly string[], trackingUri: string, timeoutMs = 240_000): Promise<ScriptResult> {
  assertMlflowVenv();
  return new Promise((resolve, reject) => {
    const child = spawn(MLFLOW_PYTHON, [join(SCRIPTS_DIR, script), ...args], {
      cwd: SCRIPTS_DIR,
      env: { ...cleanEnv(), ...MLFLOW_CLIENT_ENV, MLFLOW_TRACKING_URI: trackingUri, PYTHONUNBUFFERED: '1' },
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

/** The script's summary (the JSON it prints on stdout); fails with its stderr when it failed. */
export function summaryOf<T = any>(script: string, res: ScriptResult): T {
  if (res.code !== 0) {
    // The end of stderr holds the failed check and the HTTP exchanges before it.
    throw new Error(`${script} exited ${res.code}\n--- stderr (last 12000 characters) ---\n${res.stderr.slice(-12_000)}\n--- stdout ---\n${res.stdout}`);
  }
  try {
    return JSON.parse(res.stdout) as T;
  } catch {
    throw new Error(`${script} succeeded but its stdout is not its JSON summary:\n${res.stdout}`);
  }
}
