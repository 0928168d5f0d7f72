import type { Command } from 'commander';
import { randomInt } from 'node:crypto';
import { parseWholeNumber } from '../../../core/queue.js';
import { parseParamFlag, sweepSpec } from '../../../core/sweep.js';
import type { CliContext } from '../context.js';
import { repeated } from '../repeated-option.js';
import { formatTime, table } from '../format.js';
import { addQueueOptions, queueRequest, reportQueued, type QueueOptions } from './submit.js';

interface SweepOptions extends QueueOptions {
  grid: string[];
  random?: string;
  param: string[];
  sweepSeed?: string;
  name?: string;
}

export function registerSweep(program: Command, ctx: CliContext): void {
  addQueueOptions(
    program
      .command('sweep')
      .description('queue many runs: a grid (every combination) or a random search, grouped as one sweep')
      .option('--grid <key=v1,v2,...>', 'a grid axis; repeatable; the sweep is every combination, e.g. --grid lr=0.1,0.01 --grid layers=[32],[64]', repeated, [])
      .option('--random <n>', 'draw this many runs at random: each -p/--param given as uniform(a,b), loguniform(a,b), int(a,b), normal(mean,sd) or choice(v1,v2,...) is drawn per run')
      .option('--sweep-seed <n>', 'the seed random draws come from (default: a random one, recorded)')
      .option('--name <name>', 'the sweep\'s name; its runs are NAME-1, NAME-2, … (default: a generated one)'),
  ).action(async (opts: SweepOptions) => {
    // -p/--param is a fixed override, or a distribution a random sweep draws from.
    const drawn = opts.random !== undefined ? opts.param : opts.param.filter((p) => parseParamFlag(p).dist.kind !== 'fixed');
    const fixed = opts.random !== undefined ? [] : opts.param.filter((p) => !drawn.includes(p));
    const spec = sweepSpec(
      {
        grid: opts.grid,
        params: drawn,
        ...(opts.random !== undefined ? { random: parseWholeNumber(opts.random, '--random', 1, 10_000) } : {}),
        ...(opts.sweepSeed !== undefined ? { seed: parseWholeNumber(opts.sweepSeed, '--sweep-seed', 0, 2 ** 31 - 1) } : {}),
      },
      () => randomInt(0, 2 ** 31 - 1),
    );
    const app = await ctx.app();
    const done = await app.runs.submit({ ...queueRequest(ctx, { ...opts, param: fixed }), sweep: { spec, ...(opts.name !== undefined ? { name: opts.name } : {}) } });
    if (!opts.json) ctx.out(`sweep ${done.sweep!.name} (${done.sweep!.id}): ${done.sweep!.description}`);
    await reportQueued(ctx, app, done, opts.json);
  });

  program
    .command('sweeps')
    .description('list sweeps with how their runs stand (newest first)')
    .option('--project <name>', 'only this project\'s sweeps')
    .option('--json', 'print JSON')
    .action(async (opts: { project?: string; json?: boolean }) => {
      const app = await ctx.app();
      const sweeps = await app.queue.sweeps(opts.project);
      if (opts.json) {
        ctx.json(sweeps);
        return;
      }
      if (sweeps.length === 0) {
        ctx.out('no sweeps yet: queue one with `reprise sweep --grid key=v1,v2`');
        return;
      }
      ctx.out(
        table(
          ['ID', 'NAME', 'PROJECT', 'CREATED', 'RUNS', 'STATUS', 'SPEC'],
          sweeps.map((s) => [
            s.id.slice(0, 12),
            s.name,
            s.project,
            formatTime(s.createdAt),
            String(s.runs),
            Object.entries(s.byStatus).map(([k, n]) => `${n} ${k}`).join(', '),
            s.description,
          ]),
        ),
      );
      ctx.err('reprise: a sweep\'s runs: reprise ls --sweep NAME');
    });
}
