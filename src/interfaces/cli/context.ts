/**
 * What every command needs: the app, opened lazily (init needs no store) in the mode the
 * environment asks for (REPRISE_SERVER set: through that server; otherwise embedded),
 * and where to write. Keeping stdout for results and stderr for progress lets `--json`
 * output be piped while the terminal still shows what is happening.
 */
import { userInfo } from 'node:os';
import type { RepriseApp } from '../../app/assemble.js';
import { openEmbedded } from '../../app/embedded.js';
import { openRemote } from '../../app/remote.js';

export interface CliIO {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export class CliContext {
  #app: RepriseApp | undefined;

  constructor(readonly io: CliIO) {}

  async app(): Promise<RepriseApp> {
    const server = this.io.env.REPRISE_SERVER;
    this.#app ??= server
      ? await openRemote({ server, env: this.io.env, say: (m) => this.err(`reprise: ${m}`) })
      : await openEmbedded({ env: this.io.env });
    return this.#app;
  }

  /** Who is acting, for audit logs: REPRISE_USER, else the OS account. */
  actor(): string {
    if (this.io.env.REPRISE_USER) return this.io.env.REPRISE_USER;
    try {
      return userInfo().username;
    } catch {
      return 'unknown';
    }
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
