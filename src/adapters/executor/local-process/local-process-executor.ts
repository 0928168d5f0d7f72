/**
 * Stages as child processes of this one, each the leader of its own process group
 * (`detached`), so a Ctrl-C or a cancel ends the stage and everything it spawned.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Executor, ProcessExit, ProcessSpec, RunningProcess } from '../../../ports/executor.js';

/** How long a finished stage's pipes may stay open before what holds them is ended. */
const DRAIN_MS = 2000;

export class LocalProcessExecutor implements Executor {
  readonly name = 'local';

  start(spec: ProcessSpec): RunningProcess {
    const child = spawn('/bin/sh', ['-c', spec.command], {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    const closed = once(child, 'close');
    const exited = (async (): Promise<ProcessExit> => {
      await spawned;
      const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
      // Output is complete once the pipes close; a process the stage left running in the
      // background could hold them open forever, so it gets a moment and is then ended.
      const timer = setTimeout(() => {
        signalGroup('SIGKILL');
        child.stdout.destroy();
        child.stderr.destroy();
      }, DRAIN_MS);
      await closed.catch(() => undefined);
      clearTimeout(timer);
      return { exitCode: code, signal };
    })();
    let ended = false;
    void exited.then(() => (ended = true), () => (ended = true));

    const signalGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // The group is already gone.
      }
    };

    return {
      pid: child.pid ?? -1,
      stdout: child.stdout,
      stderr: child.stderr,
      exited,
      async terminate(graceMs: number): Promise<void> {
        if (ended) return;
        signalGroup('SIGTERM');
        const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
        try {
          await exited.catch(() => undefined);
        } finally {
          clearTimeout(timer);
        }
        // Grandchildren that ignored SIGTERM may outlive the leader.
        signalGroup('SIGKILL');
      },
    };
  }
}
