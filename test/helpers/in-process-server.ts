/**
 * A real Reprise server (HTTP on loopback, SQLite and blobs in a temporary folder) inside
 * the test process, for the contract suites of the HTTP adapters: they then talk to the
 * server exactly as a remote CLI does, at the cost of a port instead of a process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPRISE_VERSION } from '../../src/app/assemble.js';
import { openEmbedded, type EmbeddedApp } from '../../src/app/embedded.js';
import { buildServer } from '../../src/interfaces/http/server.js';
import { listen } from '../../src/interfaces/http/listen.js';

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
  const app = await openEmbedded({ home, env: { ...process.env, REPRISE_HOME: home } });
  const server = buildServer(
    { version: REPRISE_VERSION, store: app.store, blobs: app.blobs, catalog: app.catalog, tracking: app.tracking, events: app.events },
    { uploadDir: join(home, 'tmp') },
  );
  const url = await listen(server, '127.0.0.1', opts.port ?? 0);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await server.close();
    await app.close();
  };
  return {
    url,
    port: Number(new URL(url).port),
    home,
    app,
    stop,
    cleanup: async () => {
      await stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
