/**
 * The real TensorBoard packages for the tests under test/tensorboard: the interpreter of
 * `.venv-tensorboard` (made by scripts/ensure-venv.sh from test/tensorboard/requirements.txt:
 * tensorboard and tensorboardX, no TensorFlow), and the scripts it runs.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runPythonScript, type ScriptResult } from '../helpers/python-script.js';
import { REPO_ROOT } from '../helpers/server.js';

export const TENSORBOARD_VENV_BIN = join(REPO_ROOT, '.venv-tensorboard', 'bin');
export const TENSORBOARD_PYTHON = join(TENSORBOARD_VENV_BIN, 'python');
export const TENSORBOARD_SCRIPTS_DIR = join(REPO_ROOT, 'test', 'tensorboard');

/** Fails with what to do when the venv is missing, instead of a spawn error. */
export function assertTensorboardVenv(): void {
  if (!existsSync(TENSORBOARD_PYTHON)) {
    throw new Error(
      `no TensorBoard venv at ${TENSORBOARD_PYTHON}; run \`bash scripts/ensure-venv.sh .venv-tensorboard test/tensorboard/requirements.txt --system-site-packages\` first`,
    );
  }
}

export { jsonOf, type ScriptResult } from '../helpers/python-script.js';

/** Runs test/tensorboard/<script> with the venv's interpreter, e.g. write_fixtures.py or read_events.py. */
export function runTensorboardScript(script: string, args: readonly string[], timeoutMs = 120_000): Promise<ScriptResult> {
  assertTensorboardVenv();
  return runPythonScript(TENSORBOARD_PYTHON, join(TENSORBOARD_SCRIPTS_DIR, script), args, { cwd: TENSORBOARD_SCRIPTS_DIR, env: process.env, timeoutMs });
}
