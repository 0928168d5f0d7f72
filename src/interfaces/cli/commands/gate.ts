import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { gateLine, gateTable } from '../gate-report.js';
import { EXIT_RUN_FAILED } from '../run-progress.js';

export function registerGate(program: Command, ctx: CliContext): void {
  program
    .command('gate')
    .description("evaluate a run's gates again, those of its own commit, on its metrics as stored now; exits 1 when a gate fails")
    .argument('<run>', 'id, unique id prefix, or name')
    .option('--json', 'print the outcome as JSON')
    .action(async (ref: string, opts: { json?: boolean }) => {
      const app = await ctx.app();
      const run = await app.catalog.resolve(ref);
      const { outcome, previous, source } = await app.gates.evaluate(run, ctx.io.cwd);
      if (opts.json) {
        ctx.json({ run: run.id, name: run.name, ...outcome, previous: previous?.status ?? null, source });
      } else {
        ctx.out(`gates of ${run.name}: ${gateLine(outcome)}${source === 'recorded code' ? ' (read from its recorded reprise.yaml)' : ''}`);
        if (outcome.results.length > 0) ctx.out(gateTable(outcome));
        if (previous && previous.status !== outcome.status) ctx.out(`was ${previous.status}, now ${outcome.status}`);
      }
      process.exitCode = outcome.status === 'failed' ? EXIT_RUN_FAILED : 0;
    });
}
