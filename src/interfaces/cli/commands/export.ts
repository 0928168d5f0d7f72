import { resolve } from 'node:path';
import type { Command } from 'commander';
import { RepriseError } from '../../../core/errors.js';
import type { CliContext } from '../context.js';
import { formatBytes, plural } from '../format.js';

export function registerExport(program: Command, ctx: CliContext): void {
  program
    .command('export')
    .description('write finished runs, with everything needed to look at and reproduce them elsewhere, into one .tar.gz bundle (see docs/bundles.md)')
    .argument('[runs...]', 'run ids, unique id prefixes, or names')
    .requiredOption('-o, --output <file>', 'the bundle to write, e.g. runs.tar.gz (replaced if it exists)')
    .option('--project <name>', "every run of this project (without naming runs)")
    .option('--filter <expr>', 'every run matching, e.g. "metrics.acc >= 0.9" (see docs/search.md); with or without --project')
    .option('--json', 'print a summary as JSON')
    .action(async (refs: string[], opts: { output: string; project?: string; filter?: string; json?: boolean }) => {
      if (opts.output.trim() === '') throw new RepriseError('REPRISE_ERR_ARG_INVALID', '-o: expected the path of the bundle to write');
      const app = await ctx.app();
      const output = resolve(ctx.io.cwd, opts.output);
      const summary = await app.bundles.export({
        refs,
        ...(opts.project !== undefined ? { project: opts.project } : {}),
        ...(opts.filter !== undefined ? { filter: opts.filter } : {}),
        output,
        cwd: ctx.io.cwd,
        onWarning: (message) => ctx.err(`reprise: warning: ${message}`),
        onProgress: (p) => ctx.err(`reprise: [${p.done}/${p.total}] ${p.run.name} (${p.run.id}): ${formatBytes(p.bytes)} so far`),
      });
      if (opts.json) {
        ctx.json(summary);
        return;
      }
      ctx.out(
        `exported ${plural(summary.runs.length, 'run')}, ${plural(summary.blobs, 'blob')}, ${plural(summary.verifications, 'verification')} ` +
          `to ${opts.output} (${formatBytes(summary.bytes)}, ${formatBytes(summary.contentBytes)} uncompressed)`,
      );
    });
}
