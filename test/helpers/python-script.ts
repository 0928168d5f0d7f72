/**
 * Python scripts the tests run as separate processes, with a venv's interpreter, and the
 * JSON they print on stdout.
 */
import { spawn } from 'node:child_process';

export interface ScriptResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface PythonScriptOptions {
  readonly cwd: string;
  /** The whole environment of the script. */
  readonly env: NodeJS.ProcessEnv;
  /** Past this the script is killed: a hung script would otherwise hang its test. */
  readonly timeoutMs: number;
}

/** Runs `scriptPath` with `python`, collecting what it prints; a script that fails still resolves, with its exit code. */
export function runPythonScript(python: string, scriptPath: string, args: readonly string[], opts: PythonScriptOptions): Promise<ScriptResult> {
  const { cwd, env, timeoutMs } = opts;
  return new Promise((resolve, reject) => {
    const child = spawn(python, [scriptPath, ...args], {
      cwd,
      // Unbuffered, so what a failing script printed last is not lost.
      env: { ...env, PYTHONUNBUFFERED: '1' },
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
  if (res.code !== 0) {
    // The end of stderr holds the failed check and what led to it.
    throw new Error(
      `${script} exited ${res.code}\n--- stderr (last 12000 characters) ---\n${res.stderr.slice(-12_000)}\n--- stdout (last 4000 characters) ---\n${res.stdout.slice(-4_000)}`,
    );
  }
  try {
    return JSON.parse(res.stdout) as T;
  } catch {
    throw new Error(`${script} succeeded but its stdout is not JSON:\n${res.stdout.slice(0, 4_000)}`);
  }
}
