/**
 * A small, promise-based way to run a helper program (git, tar, python) and collect its
 * output, with the command line in the error when it fails.
 */
import { spawn } from 'node:child_process';

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

export interface CommandOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: Buffer | string;
}

/**
 * Runs a program to its end and collects its output. With `timeoutMs`, a program that
 * runs longer (a hung nvidia-smi over a wedged driver) is killed and the promise
 * rejects; its pipes are dropped too, so a child it left holding them cannot hold the
 * answer either.
 */
export function runCommand(file: string, args: readonly string[], options: CommandOptions & { readonly timeoutMs?: number } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill('SIGKILL');
            child.stdout.destroy();
            child.stderr.destroy();
            reject(new Error(`${file} ${args.join(' ')} ran over ${options.timeoutMs} ms and was stopped`));
          }, options.timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input);
  });
}

/** Runs a program, handing each line of its stdout and stderr to `onLine` as it comes. */
export function streamCommand(
  file: string,
  args: readonly string[],
  options: CommandOptions & { onLine: (line: string) => void },
): Promise<{ code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const lines = (partial + chunk).split(/\r?\n|\r/);
        partial = lines.pop() ?? '';
        for (const line of lines) if (line.trim() !== '') options.onLine(line);
      });
      stream.on('end', () => {
        if (partial.trim() !== '') options.onLine(partial);
      });
    }
    child.once('error', reject);
    child.once('close', (code) => resolve({ code }));
  });
}
