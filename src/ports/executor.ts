/**
 * @module ports/executor
 * Runs one stage command somewhere and streams it back. Adapters: local processes
 * (embedded default). A stage runs in its own process group, so ending it ends
 * everything it started.
 */
import type { Readable } from 'node:stream';

export interface ProcessSpec {
  /** A shell command line, run by /bin/sh. */
  readonly command: string;
  readonly cwd: string;
  /** The whole environment of the process. */
  readonly env: Readonly<Record<string, string>>;
}

export interface ProcessExit {
  /** Null when ended by a signal. */
  readonly exitCode: number | null;
  readonly signal: string | null;
}

export interface RunningProcess {
  readonly pid: number;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Settles when the process has ended and its output streams are drained. */
  readonly exited: Promise<ProcessExit>;
  /** Asks the whole process group to stop (SIGTERM), then forces it (SIGKILL) after `graceMs`. */
  terminate(graceMs: number): Promise<void>;
}

export interface Executor {
  /** Recorded in the manifest as the run's executor. */
  readonly name: string;
  /** Starts the process; REPRISE_ERR_INTERNAL if it cannot be spawned at all. */
  start(spec: ProcessSpec): RunningProcess;
}
