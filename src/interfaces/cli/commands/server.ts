import type { Command } from 'commander';
import { RepriseError } from '../../../core/errors.js';
import { REPRISE_VERSION } from '../../../app/assemble.js';
import { openEmbedded } from '../../../app/embedded.js';
import { HEARTBEAT_MS } from '../../../services/run-service.js';
import { buildServer, DEFAULT_BODY_LIMIT } from '../../http/server.js';
import { listen } from '../../http/listen.js';
import type { CliContext } from '../context.js';

export function registerServer(program: Command, ctx: CliContext): void {
  program
    .command('server')
    .description('serve this machine\'s store over HTTP: the API at /api/v1 (set REPRISE_SERVER=<url> to use it from the CLI)')
    .option('--host <address>', 'address to listen on (loopback only for now)', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0: any free one)', '7878')
    .option('--body-limit <bytes>', 'largest JSON body accepted', String(DEFAULT_BODY_LIMIT))
    .option('--log-requests', 'log every request (JSON lines on stdout)')
    .action(async (opts: { host: string; port: string; bodyLimit: string; logRequests?: boolean }) => {
      const port = Number(opts.port);
      if (!/^\d+$/.test(opts.port) || port > 65535) throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--port ${JSON.stringify(opts.port)}: expected a port number from 0 to 65535`);
      const bodyLimit = Number(opts.bodyLimit);
      if (!/^\d+$/.test(opts.bodyLimit) || bodyLimit < 1024) throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--body-limit ${JSON.stringify(opts.bodyLimit)}: expected a number of bytes, at least 1024`);
      if (ctx.io.env.REPRISE_SERVER) ctx.err('reprise: note: REPRISE_SERVER is ignored by `reprise server`, which serves this machine\'s store');
      const app = await openEmbedded({ env: ctx.io.env });
      // Runs whose process died while no server ran are settled before anyone asks.
      await app.catalog.reconcile();
      const server = buildServer(
        { version: REPRISE_VERSION, store: app.store, blobs: app.blobs, catalog: app.catalog, tracking: app.tracking, events: app.events },
        { bodyLimit, uploadDir: `${app.home}/tmp`, logRequests: opts.logRequests ?? false },
      );
      const url = await listen(server, opts.host, port);
      ctx.out(`reprise server ${REPRISE_VERSION} listening on ${url} (store ${app.home})`);
      ctx.err(`reprise: use it with: export REPRISE_SERVER=${url}`);
      // Reads through the API do not settle lost runs each time; this does, at heartbeat pace.
      const sweep = setInterval(() => void app.catalog.reconcile().catch(() => undefined), HEARTBEAT_MS);
      await new Promise<void>((resolve) => {
        const stop = (sig: NodeJS.Signals): void => {
          ctx.err(`reprise: ${sig}: stopping the server`);
          resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      clearInterval(sweep);
      await server.close();
      await app.close();
    });
}
