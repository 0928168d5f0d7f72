/**
 * The real `mlflow` client for the tests under test/mlflow: the interpreter of
 * `.venv-mlflow` (made by scripts/ensure-venv.sh from test/mlflow/requirements.txt),
 * the environment it runs with, and the scripts run as separate processes.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { jsonOf, runPythonScript, type ScriptResult } from '../helpers/python-script.js';
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

export type { ScriptResult } from '../helpers/python-script.js';

/** Runs test/mlflow/<script> with the venv's interpreter against the server at `trackingUri`. */
export function runMlflowScript(script: string, args: readonly string[], trackingUri: string, timeoutMs = 240_000): Promise<ScriptResult> {
  assertMlflowVenv();
  return runPythonScript(MLFLOW_PYTHON, join(SCRIPTS_DIR, script), args, {
    cwd: SCRIPTS_DIR,
    env: { ...cleanEnv(), ...MLFLOW_CLIENT_ENV, MLFLOW_TRACKING_URI: trackingUri },
    timeoutMs,
  });
}

/** The script's summary: the JSON it prints on stdout. */
export const summaryOf = jsonOf;
