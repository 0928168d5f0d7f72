/**
 * @module ports/run-log-store
 * The output of stages that are still running, readable while it grows. Once a stage
 * ends its logs become blobs; this holds them until then. Each file (a stage's stdout,
 * stderr or combined log) only grows, so a reader asks for the bytes past what it has,
 * and a writer that resends bytes already held is harmless. Adapters: the run folder
 * under REPRISE_HOME (embedded, and what the server keeps), the server's API (remote).
 */
import { RepriseError } from '../core/errors.js';
import { STAGE_NAME } from '../core/project-config.js';

export const LOG_FILES = ['combined', 'stdout', 'stderr'] as const;
export type LogFile = (typeof LOG_FILES)[number];

const SUFFIX: Record<LogFile, string> = { combined: 'log', stdout: 'stdout', stderr: 'stderr' };

/** `<stage>.log`, `<stage>.stdout`, `<stage>.stderr`; a stage name is letters, digits, `-` and `_` only. */
export function logFileName(stage: string, file: LogFile): string {
  if (!STAGE_NAME.test(stage)) throw new RepriseError('REPRISE_ERR_PATH_UNSAFE', `not a stage name: ${JSON.stringify(stage.slice(0, 100))}`);
  return `${stage}.${SUFFIX[file]}`;
}

export interface LogAppend {
  readonly size: number;
  readonly appended: number;
}

export interface RunLogStore {
  /**
   * Writes `data` at byte `offset` of the file. Bytes already held there are skipped, so a
   * resend is harmless; an offset past the end is REPRISE_ERR_LOG_GAP. Returns the size
   * after and how many of the bytes were new.
   */
  append(runId: string, stage: string, file: LogFile, offset: number, data: Buffer): Promise<LogAppend>;

  /** The bytes from `offset` on (none when the file does not exist yet). */
  read(runId: string, stage: string, file: LogFile, offset: number): Promise<Buffer>;

  /**
   * Forgets a finished run's live copies, once its logs are stored as blobs. Copies that
   * share a folder with the run's own workspace (the run ran here) are left to the run.
   */
  discard(runId: string): Promise<void>;
}
