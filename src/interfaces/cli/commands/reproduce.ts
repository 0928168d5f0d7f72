import type { Command } from 'commander';
import { isReproduced } from '../../../core/verification.js';
import { runDetailView } from '../../run-views.js';
import type { CliContext } from '../context.js';
import { cancelOnSignals, EXIT_RUN_CANCELED, EXIT_RUN_FAILED, runObserver, say, sayFinished } from '../run-progress.js';
import { renderVerification } from '../verification-report.js';
import { addVerifyOptions, rulesFromFlags, type VerifyFlags } from '../verify-options.js';

interface ReproduceOptions extends VerifyFlags {
  name?: string;
  keepWorkspace?: boolean;
  json?: boolean;
}

export function registerReproduce(program: Command, ctx: CliContext): void {
  addVerifyOptions(
    program
      .command('reproduce')
      .description("run a finished run again from its manifest alone (its commit and patch, params, seed, stages, and an environment from its lock), then compare the results with the original's")
      .argument('<run>', 'run id, unique id prefix, or name')
      .option('--name <name>', "the new run's name (default: a generated one)")
      .option('--keep-workspace', "keep the new run's folder after it ends"),
  )
    .option('--json', 'print the new run and the comparison as JSON on stdout; stage output goes to stderr')
    .action(async (ref: string, opts: ReproduceOptions) => {
      const extra = rulesFromFlags(opts);
      const app = await ctx.app();
      const original = await app.catalog.resolve(ref);
      say(ctx, `reproducing ${original.name} (${original.id}) from its manifest`);
      const run = await cancelOnSignals(ctx, (signal) =>
        app.runs.reproduce({
          original,
          cwd: ctx.io.cwd,
          by: ctx.actor(),
          ...(opts.name !== undefined ? { name: opts.name } : {}),
          keepWorkspace: opts.keepWorkspace ?? false,
          signal,
          observer: runObserver(ctx, opts),
        }),
      );
      sayFinished(ctx, run);
      if (run.status === 'canceled') {
        process.exitCode = EXIT_RUN_CANCELED;
        return;
      }
      const verification = await app.verifications.verify(original, run, extra);
      if (opts.json) {
        const details = await app.catalog.detailsOf(run);
        ctx.json({ run: runDetailView(details.run, details.metrics, details.artifacts), verification });
      } else {
        ctx.out(renderVerification(verification, original, run));
      }
      process.exitCode = isReproduced(verification.verdict) ? 0 : EXIT_RUN_FAILED;
    });
}
