/**
 * @module app/local-mlflow-endpoint
 * The MLflow-compatible endpoint of an embedded `reprise run`: no server runs, so this
 * process opens one on loopback while any of its runs executes stages, over the same
 * store and services, and closes it after. Inside `reprise server` it is not needed: the
 * server's own address is used once it listens, with a token of the run's own when the
 * server asks who calls.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { registerMlflowApi } from '../interfaces/mlflow/mlflow-api.js';
import type { MlflowDeps } from '../interfaces/mlflow/mlflow-route.js';
import type { MlflowEndpoint } from '../services/mlflow-endpoint.js';

/** Tokens of one run: made when its stages start, revoked when they are done. */
export interface RunTokens {
  issue(runId: string): Promise<string>;
  revoke(runId: string): Promise<unknown>;
}

export class LocalMlflowEndpoint implements MlflowEndpoint {
  #fixed: string | null = null;
  #runToken: RunTokens | null = null;
  #users = 0;
  #server: Promise<{ app: FastifyInstance; url: string }> | null = null;

  /** `deps` is read when the first run needs the endpoint, once the app is assembled. */
  constructor(private readonly deps: () => MlflowDeps) {}

  /** From now on, runs are sent to this listening server instead; with `runTokens` (the server asks who calls), each run's stages get a token of that run. */
  serveAt(url: string, runTokens?: RunTokens): void {
    this.#fixed = url;
    this.#runToken = runTokens ?? null;
  }

  async open(runId: string): Promise<{ readonly url: string; readonly token?: string; close(): Promise<void> }> {
    if (this.#fixed !== null) {
      const tokens = this.#runToken;
      if (!tokens) return { url: this.#fixed, close: async () => undefined };
      const token = await tokens.issue(runId);
      return { url: this.#fixed, token, close: async () => void (await tokens.revoke(runId)) };
    }
    this.#users++;
    this.#server ??= this.#start();
    let server;
    try {
      server = await this.#server;
    } catch (e) {
      this.#users--;
      this.#server = null;
      throw e;
    }
    let closed = false;
    return {
      url: server.url,
      close: async () => {
        if (closed) return;
        closed = true;
        if (--this.#users > 0) return;
        this.#server = null;
        await server.app.close();
      },
    };
  }

  async #start(): Promise<{ app: FastifyInstance; url: string }> {
    const app = Fastify({ logger: false, forceCloseConnections: true });
    registerMlflowApi(app, this.deps());
    await app.listen({ host: '127.0.0.1', port: 0 });
    // Never what keeps the process alive: the run's own work does that while it needs the endpoint.
    app.server.unref();
    const addr = app.server.address();
    if (addr === null || typeof addr === 'string') throw new Error('the MLflow endpoint did not get a TCP port');
    return { app, url: `http://127.0.0.1:${addr.port}` };
  }
}
