import type { Command } from 'commander';
import { resolve } from 'node:path';
import { RepriseError } from '../../../core/errors.js';
import { REPRISE_VERSION } from '../../../app/assemble.js';
import { startServer, type ServerOptions } from '../../../app/server.js';
import { checkExecutorName, clusterExecutor, defaultRunner } from '../../../app/cluster.js';
import { DEFAULT_BODY_LIMIT } from '../../http/server.js';
import { parseGpuList, parseQueueList, parseWholeNumber } from '../../../core/queue.js';
import type { RunRecord } from '../../../core/run.js';
import { workerObserver } from '../worker-progress.js';
import type { CliContext } from '../context.js';
import { repeated } from '../repeated-option.js';
import { describeServed, predictPath, servingOptions } from './serve.js';

interface ServerCliOptions {
  auth?: boolean;
  trustProxy?: boolean;
  host: string;
  port: string;
  bodyLimit: string;
  logRequests?: boolean;
  workers?: string;
  queue: string[];
  gpus?: string;
  lake?: string;
  db?: string;
  artifacts?: string;
  executor: string;
  rayAddress?: string;
  k8sNamespace?: string;
  k8sImage?: string;
  maxJobs: string;
  runner?: string;
  runnerEnv: string[];
  publicUrl?: string;
  serve: string[];
  serveWorkers?: string;
}

/** `--executor ray|kubernetes` and its settings, checked; undefined for the local executor. */
async function clusterOptions(ctx: CliContext, opts: ServerCliOptions, env: NodeJS.ProcessEnv): Promise<NonNullable<ServerOptions['cluster']> | undefined> {
  const kind = checkExecutorName(opts.executor);
  if (kind === 'local') {
    const clusterOnly = { rayAddress: '--ray-address', k8sNamespace: '--k8s-namespace', k8sImage: '--k8s-image', runner: '--runner', publicUrl: '--public-url' } as const;
    const stray = (Object.keys(clusterOnly) as (keyof typeof clusterOnly)[]).find((k) => opts[k] !== undefined);
    if (stray) throw new RepriseError('REPRISE_ERR_EXECUTOR_INVALID', `${clusterOnly[stray]} is a setting of --executor ray or kubernetes`, { details: { option: clusterOnly[stray] } });
    return undefined;
  }
  if (opts.workers !== undefined) throw new RepriseError('REPRISE_ERR_EXECUTOR_INVALID', `--workers runs queued runs on this machine; with --executor ${kind} the cluster runs them: use one or the other`, { details: { option: '--workers' } });
  const runnerEnv: Record<string, string> = {};
  for (const kv of opts.runnerEnv) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(kv);
    if (!m) throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--runner-env ${JSON.stringify(kv)}: expected KEY=VALUE`, { details: { option: '--runner-env' } });
    runnerEnv[m[1]!] = m[2]!;
  }
  const publicUrl = opts.publicUrl ?? env.REPRISE_PUBLIC_URL;
  const image = opts.k8sImage ?? env.REPRISE_K8S_IMAGE;
  const namespace = opts.k8sNamespace ?? env.REPRISE_K8S_NAMESPACE;
  const rayAddress = opts.rayAddress ?? env.REPRISE_RAY_ADDRESS;
  return {
    kind,
    executor: await clusterExecutor({ executor: kind, env, ...(rayAddress ? { rayAddress } : {}), ...(namespace ? { namespace } : {}), ...(image ? { image } : {}) }),
    queues: parseQueueList(opts.queue),
    maxJobs: parseWholeNumber(opts.maxJobs, '--max-jobs', 1, 10_000),
    runner: opts.runner !== undefined ? splitCommand(opts.runner) : defaultRunner(kind),
    ...(publicUrl ? { publicUrl: checkPublicUrl(publicUrl) } : {}),
    runnerEnv,
    image: image ?? null,
    say: (m: string) => ctx.err(`reprise server: ${m}`),
  };
}

function checkPublicUrl(text: string): string {
  let u: URL | undefined;
  try {
    u = new URL(text);
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) {
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--public-url ${JSON.stringify(text)}: expected an http:// or https:// URL that the cluster's nodes reach this server at`, { details: { option: '--public-url' } });
  }
  return u.toString().replace(/\/+$/, '');
}

/** `--runner "node /opt/reprise/bin/reprise.js"`: words split on spaces (quote nothing). */
function splitCommand(text: string): string[] {
  const words = text.trim().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) throw new RepriseError('REPRISE_ERR_ARG_INVALID', '--runner is empty: give the command that starts Reprise on the cluster\'s nodes', { details: { option: '--runner' } });
  return words;
}

export function registerServer(program: Command, ctx: CliContext): void {
  program
    .command('server')
    .description('serve this machine\'s store over HTTP: the API at /api/v1 (set REPRISE_SERVER=<url> to use it from the CLI)')
    .option('--host <address>', 'address to listen on (beyond loopback only with --auth)', '127.0.0.1')
    .option('--trust-proxy', 'behind a reverse proxy: take each client\'s address and scheme from X-Forwarded-For and X-Forwarded-Proto (sign-in throttling per address, Secure cookies behind https)')
    .option('--auth', 'every request must say who sends it: a token, a password or a web sign-in, each checked against the user\'s role (default: on when $REPRISE_AUTH is 1)')
    .option('--port <n>', 'port to listen on (0: any free one)', '7878')
    .option('--body-limit <bytes>', 'largest JSON body accepted', String(DEFAULT_BODY_LIMIT))
    .option('--log-requests', 'log every request (JSON lines on stdout)')
    .option('--workers <n>', 'also run queued runs on this machine, this many at a time')
    .option('--queue <names>', 'with --workers: the queues they take runs from, comma-separated (default: "default")', repeated, [])
    .option('--gpus <list>', 'with --workers: GPU indices to hand out, each run its own as CUDA_VISIBLE_DEVICES')
    .option('--lake <dir>', 'the lake\'s folder (default: $REPRISE_LAKE, else lake/ under the store)')
    .option('--db <url>', 'keep the metadata in this PostgreSQL database, postgres://USER:PASSWORD@HOST:PORT/DB (default: $REPRISE_DB, else SQLite under REPRISE_HOME)')
    .option('--artifacts <url>', 'keep artifacts in this S3-compatible bucket, s3://BUCKET/PREFIX, with the AWS_* environment\'s endpoint and credentials, or in this folder (default: $REPRISE_ARTIFACTS, else blobs/ under REPRISE_HOME)')
    .option('--executor <name>', 'where queued runs go: local (agents and --workers), ray (Ray jobs) or kubernetes (Kubernetes Jobs)', 'local')
    .option('--ray-address <url>', 'with --executor ray: Ray\'s job API, http://HEAD:8265 (default: $REPRISE_RAY_ADDRESS)')
    .option('--k8s-namespace <ns>', 'with --executor kubernetes: the namespace of the Jobs (default: $REPRISE_K8S_NAMESPACE, else the kubeconfig\'s)')
    .option('--k8s-image <image>', 'with --executor kubernetes: the image of runs whose merge built none (default: $REPRISE_K8S_IMAGE)')
    .option('--max-jobs <n>', 'with --executor ray|kubernetes: jobs submitted at once', '16')
    .option('--runner <command>', 'with --executor ray|kubernetes: how the cluster\'s nodes start Reprise (default: this Node and installation for Ray, `reprise` in the image for Kubernetes)')
    .option('--runner-env <KEY=VALUE>', 'with --executor ray|kubernetes: an environment variable for every runner, repeated', repeated, [])
    .option('--serve <NAME@ALIAS>', 'serve a promoted model at /api/v1/models/NAME/ALIAS/predict, following the alias as it moves; repeated', repeated, [])
    .option('--serve-workers <n>', 'with --serve: processes per served version (default: serve.workers of its reprise.yaml, else 1)')
    .option('--public-url <url>', 'the server\'s URL as runners on other machines reach it (default: $REPRISE_PUBLIC_URL, else the URL it listens on)')
    .action(async (opts: ServerCliOptions) => {
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
      const env = {
        ...ctx.io.env,
        ...(opts.lake !== undefined ? { REPRISE_LAKE: resolve(ctx.io.cwd, opts.lake) } : {}),
        ...(opts.db !== undefined ? { REPRISE_DB: opts.db } : {}),
        ...(opts.artifacts !== undefined ? { REPRISE_ARTIFACTS: opts.artifacts } : {}),
      };
      const cluster = await clusterOptions(ctx, opts, env);
      const auth = opts.auth === true || /^(1|true|yes|on)$/i.test(ctx.io.env.REPRISE_AUTH ?? '');
      if (opts.serveWorkers !== undefined && opts.serve.length === 0) throw new RepriseError('REPRISE_ERR_ARG_INVALID', '--serve-workers says how many processes each served model gets: add --serve NAME@ALIAS', { details: { option: '--serve-workers' } });
      const serve = opts.serve.length > 0 ? servingOptions(ctx, opts.serve, opts.serveWorkers, 'reprise server') : undefined;
      const server = await startServer({ host: opts.host, port, bodyLimit, auth, trustProxy: opts.trustProxy ?? false, logRequests: opts.logRequests ?? false, env, ...(workers ? { workers } : {}), ...(cluster ? { cluster } : {}), ...(serve ? { serve } : {}) });
      const store = server.app.storeLocation;
      ctx.out(`reprise server ${REPRISE_VERSION} listening on ${server.url} (store ${store.kind === 'sqlite' ? server.home : store.where}${env.REPRISE_ARTIFACTS ? `, artifacts ${env.REPRISE_ARTIFACTS}` : ''})`);
      ctx.err(`reprise: open ${server.url}/ in a browser for the web UI${server.webUi ? '' : ' (not built here: run `npm run build` in the Reprise folder)'}`);
      ctx.err(`reprise: use it with: export REPRISE_SERVER=${server.url}${auth ? ' REPRISE_TOKEN=<a token from reprise tokens create>' : ''}`);
      ctx.err(auth ? 'reprise: authentication is on: every request is checked against its user\'s role' : 'reprise: authentication is off (one user, loopback only): turn it on with --auth');
      if (cluster) ctx.err(`reprise: submitting queued runs of queue(s) ${cluster.queues.join(', ')} to ${cluster.kind} at ${cluster.executor.address}, up to ${cluster.maxJobs} jobs at a time`);
      for (const s of server.serving?.serving.status() ?? []) ctx.err(`reprise: serving ${describeServed(s)} at ${server.url}${predictPath(s)}`);
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
