/**
 * A real Reprise server (HTTP on loopback, SQLite and blobs in a temporary folder) inside
 * the test process, for the contract suites of the HTTP adapters: they then talk to the
 * server exactly as a remote CLI does, at the cost of a port instead of a process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmbeddedApp } from '../../src/app/embedded.js';
import { startServer } from '../../src/app/server.js';

export interface InProcessServer {
  readonly url: string;
  readonly port: number;
  readonly home: string;
  readonly app: EmbeddedApp;
  /** Stops listening and closes the store; the folder stays (for a restart) until `cleanup`. */
  stop(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function startInProcessServer(opts: { home?: string; port?: number } = {}): Promise<InProcessServer> {
  const home = opts.home ?? mkdtempSync(join(tmpdir(), 'reprise-server-'));
  const server = await startServer({ host: '127.0.0.1', port: opts.port ?? 0, env: { ...process.env, REPRISE_HOME: home } });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await server.close();
  };
  return {
    url: server.url,
    port: Number(new URL(server.url).port),
    home,
    app: server.app,
    stop,
    cleanup: async () => {
      await stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
