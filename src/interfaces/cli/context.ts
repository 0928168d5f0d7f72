/**
 * What every command needs: the embedded app, opened lazily (init needs no store), and
 * where to write. Keeping stdout for results and stderr for progress lets `--json`
 * output be piped while the terminal still shows what is happening.
 */
import { openEmbedded, type EmbeddedApp } from '../../app/embedded.js';

export interface CliIO {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export class CliContext {
  #app: EmbeddedApp | undefined;

  constructor(readonly io: CliIO) {}

  async app(): Promise<EmbeddedApp> {
    this.#app ??= await openEmbedded({ env: this.io.env });
    return this.#app;
  }

  out(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  err(text: string): void {
    this.io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  json(value: unknown): void {
    this.out(JSON.stringify(value, null, 2));
  }

  async close(): Promise<void> {
    await this.#app?.close();
  }
}
