/**
 * Live logs as files in each run's folder, `<runs>/<run id>/logs/<stage>.{log,stdout,stderr}`:
 * where a local run's stages write them, and where the server keeps those of runs it
 * receives. Appends to one file are serialised, so concurrent resends cannot interleave.
 */
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RepriseError } from '../../../core/errors.js';
import { pathExists } from '../../../platform/path-exists.js';
import { logFileName, type LogAppend, type LogFile, type RunLogStore } from '../../../ports/run-log-store.js';

export class RunFolderLogStore implements RunLogStore {
  readonly #runsDir: string;
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(opts: { runsDir: string }) {
    this.#runsDir = opts.runsDir;
  }

  #path(runId: string, stage: string, file: LogFile): string {
    return join(this.#runsDir, runId, 'logs', logFileName(stage, file));
  }

  async append(runId: string, stage: string, file: LogFile, offset: number, data: Buffer): Promise<LogAppend> {
    const path = this.#path(runId, stage, file);
    const prev = this.#queues.get(path) ?? Promise.resolve();
    const next = prev.then(
      () => this.#append(path, offset, data),
      () => this.#append(path, offset, data),
    );
    this.#queues.set(path, next);
    void next.finally(() => {
      if (this.#queues.get(path) === next) this.#queues.delete(path);
    }).catch(() => undefined);
    return next;
  }

  async #append(path: string, offset: number, data: Buffer): Promise<LogAppend> {
    const size = (await stat(path).catch(() => undefined))?.size ?? 0;
    if (offset > size) {
      throw new RepriseError('REPRISE_ERR_LOG_GAP', `log piece starts at byte ${offset} but ${size} bytes are held`, { details: { size } });
    }
    const fresh = data.subarray(Math.min(data.length, size - offset));
    if (fresh.length === 0) return { size, appended: 0 };
    await mkdir(join(path, '..'), { recursive: true });
    const fh = await open(path, 'a');
    try {
      await fh.write(fresh);
    } finally {
      await fh.close();
    }
    return { size: size + fresh.length, appended: fresh.length };
  }

  async discard(runId: string): Promise<void> {
    const root = join(this.#runsDir, runId);
    // A workspace beside the logs means the run ran on this machine: its runner cleans up.
    if (await pathExists(join(root, 'workspace'))) return;
    await rm(root, { recursive: true, force: true });
  }

  async read(runId: string, stage: string, file: LogFile, offset: number): Promise<Buffer> {
    let fh;
    try {
      fh = await open(this.#path(runId, stage, file), 'r');
    } catch {
      return Buffer.alloc(0);
    }
    try {
      const { size } = await fh.stat();
      if (size <= offset) return Buffer.alloc(0);
      const buf = Buffer.alloc(size - offset);
      await fh.read(buf, 0, buf.length, offset);
      return buf;
    } finally {
      await fh.close();
    }
  }
}
