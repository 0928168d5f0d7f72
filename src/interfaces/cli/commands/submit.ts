import type { Command } from 'commander';
import { RepriseError } from '../../../core/errors.js';
import { parseWholeNumber } from '../../../core/queue.js';
import type { RepriseApp } from '../../../app/assemble.js';
import type { Submitted } from '../../../services/run-service.js';
import { runListView } from '../../run-views.js';
import type { CliContext } from '../context.js';
import { repeated } from '../repeated-option.js';
import { say } from '../run-progress.js';

/** What `submit` and `sweep` share: how a queued run is fixed and where it waits. */
export interface QueueOptions {
  param: string[];
  dev?: boolean;
  seed?: string;
  git: boolean;
  systemEnv?: boolean;
  queue?: string;
  priority?: string;
  retries?: string;
  json?: boolean;
}

export function addQueueOptions(cmd: Command): Command {
  return cmd
    .option('-p, --param <key=value>', 'override a param; repeatable; values parse as JSON where they can', repeated, [])
    .option('--queue <name>', 'the queue to wait in (default: resources.queue of reprise.yaml, else "default")')
    .option('--priority <n>', 'higher runs first (default: resources.priority, else 0)')
    .option('--retries <n>', 'times a run lost with its worker is queued again (default: resources.retries, else 1)')
    .option('--dev', 'mark the run(s) as dev runs')
    .option('--seed <n>', 'the seed of every run (default: seed: in reprise.yaml, else a random one per run)')
    .option('--system-env', 'run with the worker\'s python as it is instead of building the environment')
    .option('--no-git', 'snapshot the folder instead of pinning a git commit')
    .option('--json', 'print the queued runs as JSON');
}

/** The request fields `submit` and `sweep` take from the shared flags. */
export function queueRequest(ctx: CliContext, opts: QueueOptions) {
  if (opts.seed !== undefined && !/^\d+$/.test(opts.seed)) throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--seed ${JSON.stringify(opts.seed)}: expected a whole number`);
  return {
    cwd: ctx.io.cwd,
    overrides: opts.param,
    dev: opts.dev ?? false,
    noGit: !opts.git,
    systemEnv: opts.systemEnv ?? false,
    by: ctx.actor(),
    ...(opts.seed !== undefined ? { seed: Number(opts.seed) } : {}),
    ...(opts.queue !== undefined ? { queue: opts.queue } : {}),
    ...(opts.priority !== undefined ? { priority: parseWholeNumber(opts.priority, '--priority', -1000, 1000) } : {}),
    ...(opts.retries !== undefined ? { retries: parseWholeNumber(opts.retries, '--retries', 0, 100) } : {}),
  };
}

/** Says what was queued, and how it will run when nothing would take it yet. */
export async function reportQueued(ctx: CliContext, app: RepriseApp, done: Submitted, json: boolean | undefined): Promise<void> {
  if (json) {
    ctx.json({ sweep: done.sweep, runs: done.runs.map((r) => runListView(r, {})) });
  } else {
    for (const r of done.runs.slice(0, 20)) {
      const s = r.manifest.submission!;
      ctx.out(`queued ${r.name} (${r.id}) · queue ${s.queue}${s.priority !== 0 ? ` · priority ${s.priority}` : ''} · ${describeParams(r.manifest.params.overrides)}`);
    }
    if (done.runs.length > 20) ctx.out(`… and ${done.runs.length - 20} more`);
  }
  const queue = done.runs[0]!.manifest.submission!.queue;
  const workers = (await app.queue.overview()).workers.filter((w) => w.state === 'online' && w.queues.includes(queue));
  if (workers.length === 0) {
    say(ctx, `no worker takes queue ${queue} now; start one: \`reprise server --workers 2\` on this machine${app.server ? '' : ' (same REPRISE_HOME)'}, or \`reprise agent --server URL --queue ${queue}\` on another`);
  } else {
    say(ctx, `${workers.length} worker(s) take queue ${queue}: ${workers.map((w) => w.name).join(', ')}`);
  }
  say(ctx, done.sweep ? `follow it: reprise ls --sweep ${done.sweep.name}` : `follow it: reprise logs --follow ${done.runs[0]!.name}`);
}

function describeParams(overrides: readonly { key: string; value: unknown }[]): string {
  return overrides.length === 0 ? 'params as in the params file' : overrides.map((o) => `${o.key}=${JSON.stringify(o.value)}`).join(' ');
}

export function registerSubmit(program: Command, ctx: CliContext): void {
  addQueueOptions(
    program
      .command('submit')
      .description('queue a run of the project\'s pipeline for a worker (reprise server --workers, reprise agent); its code, params and seed are fixed now')
      .option('--name <name>', 'the run\'s name (default: a generated one)'),
  ).action(async (opts: QueueOptions & { name?: string }) => {
    const app = await ctx.app();
    const done = await app.runs.submit({ ...queueRequest(ctx, opts), ...(opts.name !== undefined ? { name: opts.name } : {}) });
    await reportQueued(ctx, app, done, opts.json);
  });
}
