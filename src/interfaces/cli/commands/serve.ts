import type { Command } from 'commander';
import { REPRISE_VERSION } from '../../../app/assemble.js';
import { startServer } from '../../../app/server.js';
import type { ServingOptions } from '../../../app/serving.js';
import { API_PREFIX } from '../../../core/api-version.js';
import { RepriseError } from '../../../core/errors.js';
import type { ServedAlias } from '../../../core/model-monitoring.js';
import { parseWholeNumber } from '../../../core/queue.js';
import { notPromoted, parseServeTarget } from '../../../services/model-serving.js';
import type { CliContext } from '../context.js';

/** `--serve` and `reprise serve`'s models, with the workers and the lines the process prints. */
export function servingOptions(ctx: CliContext, targets: readonly string[], workers: string | undefined, who: string): ServingOptions {
  for (const t of targets) parseServeTarget(t);
  return {
    targets,
    ...(workers !== undefined ? { workers: parseWholeNumber(workers, '--workers', 1, 64) } : {}),
    say: (m: string) => ctx.err(`${who}: ${m}`),
  };
}

export function describeServed(s: ServedAlias): string {
  return `${s.model}@${s.alias} (version ${s.version}, ${s.runtime})`;
}

export function predictPath(s: Pick<ServedAlias, 'model' | 'alias'>): string {
  return `${API_PREFIX}/models/${encodeURIComponent(s.model)}/${encodeURIComponent(s.alias)}/predict`;
}

export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description(
      'serve a promoted model version: POST /api/v1/models/NAME/ALIAS/predict with {"inputs": [...]} answers {"outputs": [...], "version": N}. ' +
        'NAME@ALIAS follows the alias (a new version starts beside the old one and takes over once it answers); NAME@N serves that version. ' +
        "The version runs its recorded reprise.yaml's serve.cmd in its recorded code and environment, or its model.onnx in this process",
    )
    .argument('<model...>', 'NAME@ALIAS or NAME@VERSION (a run id is refused unless it was promoted)')
    .option('--port <n>', 'port to listen on (0: any free one)', '8080')
    .option('--host <address>', 'address to listen on (beyond loopback only with --auth)', '127.0.0.1')
    .option('--auth', "each request must carry a token of a user with read access to the model's project")
    .option('--workers <n>', 'processes per served version (default: serve.workers of its reprise.yaml, else 1)')
    .action(async (targets: string[], opts: { port: string; host: string; auth?: boolean; workers?: string }) => {
      const port = Number(opts.port);
      if (!/^\d+$/.test(opts.port) || port > 65535) throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--port ${JSON.stringify(opts.port)}: expected a port number from 0 to 65535`, { details: { option: '--port' } });
      if (ctx.io.env.REPRISE_SERVER && !ctx.io.env.REPRISE_DB) {
        throw new RepriseError('REPRISE_ERR_SERVE_REFUSED', `reprise serve reads the model store and records its traffic there itself, so it runs beside the store, not through REPRISE_SERVER (${ctx.io.env.REPRISE_SERVER})`, {
          hint: `serve it from the server: reprise server --serve ${targets[0] ?? 'NAME@ALIAS'}; or set REPRISE_DB (and REPRISE_ARTIFACTS) to the team's PostgreSQL database and bucket`,
          details: { field: 'REPRISE_SERVER' },
        });
      }
      const checked = await Promise.all(targets.map((t) => checkTarget(ctx, t)));
      const auth = opts.auth === true || /^(1|true|yes|on)$/i.test(ctx.io.env.REPRISE_AUTH ?? '');
      const server = await startServer({ host: opts.host, port, auth, env: ctx.io.env, servingOnly: true, serve: servingOptions(ctx, checked, opts.workers, 'reprise serve') });
      ctx.out(`reprise serve ${REPRISE_VERSION} listening on ${server.url}`);
      for (const s of server.serving?.serving.status() ?? []) ctx.out(`serving ${describeServed(s)}: POST ${server.url}${predictPath(s)}`);
      await new Promise<void>((resolve) => {
        const stop = (sig: NodeJS.Signals): void => {
          ctx.err(`reprise serve: ${sig}: draining and stopping`);
          resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
    });
}

/** A run named instead of NAME@REF: refused, saying whether it was promoted and what to serve instead. */
async function checkTarget(ctx: CliContext, target: string): Promise<string> {
  if (target.includes('@')) return target;
  const app = await ctx.app();
  const run = await app.catalog.resolve(target).catch(() => undefined);
  if (!run) return target; // parseServeTarget says what is expected
  const versions = (await app.store.modelVersionsOfRuns([run.id])).get(run.id) ?? [];
  if (versions.length === 0) throw notPromoted(run);
  const names = versions.map((v) => `${v.model}@${v.version}`).join(' or ');
  throw new RepriseError('REPRISE_ERR_ARG_INVALID', `${target} is a run; serve the model version it became: ${names}`, { hint: `reprise serve ${versions[0]!.model}@${versions[0]!.version}`, details: { field: 'model' } });
}
