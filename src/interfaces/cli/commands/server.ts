import type { Command } from 'commander';
import { resolve } from 'node:path';
import { RepriseError } from '../../../core/errors.js';
import { REPRISE_VERSION } from '../../../app/assemble.js';
import { startServer } from '../../../app/server.js';
import { DEFAULT_BODY_LIMIT } from '../../http/server.js';
import { parseGpuList, parseQueueList, parseWholeNumber } from '../../../core/queue.js';
import type { RunRecord } from '../../../core/run.js';
import { workerObserver } from '../worker-progress.js';
import type { CliContext } from '../context.js';
import { repeated } from '../repeated-option.js';

export function registerServer(program: Command, ctx: CliContext): void {
  program
    .command('server')
    .description('serve this machine\'s store over HTTP: the API at /api/v1 (set REPRISE_SERVER=<url> to use it from the CLI)')
    .option('--host <address>', 'address to listen on (loopback only for now)', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0: any free one)', '7878')
    .option('--body-limit <bytes>', 'largest JSON body accepted', String(DEFAULT_BODY_LIMIT))
    .option('--log-requests', 'log every request (JSON lines on stdout)')
    .option('--workers <n>', 'also run queued runs on this machine, this many at a time')
    .option('--queue <names>', 'with --workers: the queues they take runs from, comma-separated (default: "default")', repeated, [])
    .option('--gpus <list>', 'with --workers: GPU indices to hand out, each run its own as CUDA_VISIBLE_DEVICES')
    .option('--lake <dir>', 'the lake\'s folder (default: $REPRISE_LAKE, else lake/ under the store)')
    .action(async (opts: { host: string; port: string; bodyLimit: string; logRequests?: boolean; workers?: string; queue: string[]; gpus?: string; lake?: string }) => {
      const port = Number(opts.port);
      if (!/^\d+$/.test(opts.port) || port > 65535) throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--port ${JSON.stringify(opts.port)}: expected a port number from 0 to 65535`);
      const bodyLimit = Number(opts.bodyLimit);
      if (!/^\d+$/.test(opts.bodyLimit) || bodyLimit < 1024) throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--body-limit ${JSON.stringify(opts.bodyLimit)}: expected a number of bytes, at least 1024`);
      if (ctx.io.env.REPRISE_SERVER) ctx.err('reprise: note: REPRISE_SERVER is ignored by `reprise server`, which serves this machine\'s store');
      if (opts.workers === undefined && (opts.queue.length > 0 || opts.gpus !== undefined)) {
        throw new RepriseError('REPRISE_ERR_ARG_INVALID', '--queue and --gpus say what the server\'s workers take: add --workers N');
      }
      const workers =
        opts.workers !== undefined
          ? {
              slots: parseWholeNumber(opts.workers, '--workers', 1, 1024),
              queues: parseQueueList(opts.queue),
              gpus: opts.gpus !== undefined ? parseGpuList(opts.gpus) : [],
              say: (m: string) => ctx.err(`reprise server: ${m}`),
              observer: (run: RunRecord) => workerObserver(ctx, run),
            }
          : undefined;
      const env = opts.lake !== undefined ? { ...ctx.io.env, REPRISE_LAKE: resolve(ctx.io.cwd, opts.lake) } : ctx.io.env;
      const server = await startServer({ host: opts.host, port, bodyLimit, logRequests: opts.logRequests ?? false, env, ...(workers ? { workers } : {}) });
      ctx.out(`reprise server ${REPRISE_VERSION} listening on ${server.url} (store ${server.home})`);
      ctx.err(`reprise: open ${server.url}/ in a browser for the web UI${server.webUi ? '' : ' (not built here: run `npm run build` in the Reprise folder)'}`);
      ctx.err(`reprise: use it with: export REPRISE_SERVER=${server.url}`);
      if (workers) ctx.err(`reprise: running queued runs of queue(s) ${workers.queues.join(', ')} here, ${workers.slots} at a time${workers.gpus.length ? ` on GPUs ${workers.gpus.join(',')}` : ''}`);
      await new Promise<void>((resolve) => {
        const stop = (sig: NodeJS.Signals): void => {
          ctx.err(`reprise: ${sig}: stopping the server`);
          resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
    });
}
