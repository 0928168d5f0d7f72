import type { Command } from 'commander';
import { resolve } from 'node:path';
import { RepriseError } from '../../../core/errors.js';
import { runDetailView } from '../../run-views.js';
import type { CliContext } from '../context.js';
import { repeated } from '../repeated-option.js';
import { cancelOnSignals, exitCodeOf, runObserver, say, sayFinished } from '../run-progress.js';

interface RunOptions {
  param: string[];
  dev?: boolean;
  name?: string;
  seed?: string;
  git: boolean;
  lock?: string;
  systemEnv?: boolean;
  keepWorkspace?: boolean;
  json?: boolean;
}

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('run the project\'s pipeline in an isolated workspace and record everything about it')
    .option('-p, --param <key=value>', 'override a param; repeatable; values parse as JSON where they can; dotted keys reach into objects', repeated, [])
    .option('--dev', 'mark the run as a dev run (a quick local try)')
    .option('--name <name>', 'the run\'s name (default: a generated one)')
    .option('--seed <n>', 'the run\'s seed (default: seed: in reprise.yaml, else a random one)')
    .option('--lock <file>', 'build the environment from this lock (a pip freeze) instead of the requirements')
    .option('--system-env', 'use the python on PATH as it is instead of building the environment (inside a built image)')
    .option('--no-git', 'snapshot the folder instead of pinning a git commit')
    .option('--keep-workspace', 'keep the run\'s folder (workspace, logs, outputs) after it ends')
    .option('--json', 'print the finished run as JSON on stdout; stage output goes to stderr')
    .action(async (opts: RunOptions) => {
      const app = await ctx.app();
      let seed: number | undefined;
      if (opts.seed !== undefined) {
        seed = Number(opts.seed);
        if (!/^\d+$/.test(opts.seed)) throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--seed ${JSON.stringify(opts.seed)}: expected a whole number`);
      }
      const run = await cancelOnSignals(ctx, (signal) =>
        app.runs.run({
          cwd: ctx.io.cwd,
          by: ctx.actor(),
          overrides: opts.param,
          dev: opts.dev ?? false,
          ...(opts.name !== undefined ? { name: opts.name } : {}),
          ...(seed !== undefined ? { seed } : {}),
          noGit: !opts.git,
          systemEnv: opts.systemEnv ?? false,
          ...(opts.lock !== undefined ? { lockFile: resolve(ctx.io.cwd, opts.lock) } : {}),
          keepWorkspace: opts.keepWorkspace ?? false,
          signal,
          observer: runObserver(ctx, opts),
        }),
      );
      sayFinished(ctx, run);
      if (opts.keepWorkspace) say(ctx, `its folder is kept at ${app.home}/runs/${run.id}`);
      if (opts.json) {
        const details = await app.catalog.details(run.id);
        ctx.json(runDetailView(details.run, details.metrics, details.artifacts));
      } else {
        say(ctx, `details: reprise show ${run.name}`);
      }
      process.exitCode = exitCodeOf(run);
    });
}
