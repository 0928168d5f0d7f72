/**
 * `reprise tensorboard` writes runs as a TensorBoard log directory and opens TensorBoard on
 * it; `reprise import-tb` brings TensorBoard log directories in as runs.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { shellQuote } from '../../../core/shell-quote.js';
import { findOnPath } from '../../../platform/find-on-path.js';
import { pathSafeName } from '../../../services/tensorboard-export.js';
import type { CliContext } from '../context.js';
import { plural, table } from '../format.js';

export function registerTensorboard(program: Command, ctx: CliContext): void {
  program
    .command('tensorboard')
    .description("write runs' scalars, histograms, notes and params as TensorBoard event files (one directory per run, with an hparams session each), then start `tensorboard --logdir` if it is installed")
    .argument('[runs...]', 'run ids, unique id prefixes, or names')
    .option('--project <name>', 'every run of this project (without naming runs)')
    .option('--filter <expr>', 'every run matching, e.g. "metrics.acc >= 0.9" (see docs/search.md); with or without --project')
    .option('--logdir <dir>', 'where to write (default: tensorboard/<project> under REPRISE_HOME); runs written there before are replaced, others kept')
    .option('--port <n>', "TensorBoard's port (default: its own, 6006)")
    .option('--no-start', 'only write the files and print the command that shows them')
    .option('--json', 'print what was written as JSON (and start nothing)')
    .action(async (refs: string[], opts: { project?: string; filter?: string; logdir?: string; port?: string; start: boolean; json?: boolean }) => {
      const app = await ctx.app();
      const runs = await app.catalog.select({ refs, ...(opts.project !== undefined ? { project: opts.project } : {}), ...(opts.filter !== undefined ? { filter: opts.filter } : {}) }, 'write');
      const logdir = opts.logdir !== undefined ? resolve(ctx.io.cwd, opts.logdir) : join(app.home, 'tensorboard', pathSafeName(opts.project ?? 'runs'));
      const written = await app.tensorboard.export.write(runs, logdir, (r) => {
        if (!opts.json) ctx.err(`reprise: ${r.dir}: ${plural(r.scalars, 'scalar')}, ${plural(r.histograms, 'histogram')}, ${plural(r.notes, 'note')}, ${plural(r.params, 'param')}`);
      });
      const args = ['--logdir', logdir, ...(opts.port !== undefined ? ['--port', opts.port] : [])];
      const command = ['tensorboard', ...args].map(shellQuote).join(' ');
      if (opts.json) {
        ctx.json({ logdir, runs: written, command });
        return;
      }
      ctx.out(`wrote ${plural(written.length, 'run')} to ${logdir}`);
      const tensorboard = opts.start ? await findOnPath('tensorboard', ctx.io.env.PATH ?? '') : undefined;
      if (!tensorboard) {
        ctx.out(opts.start ? `tensorboard is not installed here (pip install tensorboard); then run:\n  ${command}` : `show them with:\n  ${command}`);
        return;
      }
      ctx.out(`starting ${command} (Ctrl-C stops it)`);
      await new Promise<void>((done, fail) => {
        const child = spawn(tensorboard, args, { stdio: 'inherit', env: ctx.io.env });
        child.on('error', fail);
        child.on('exit', () => done());
      });
    });

  program
    .command('import-tb')
    .description('bring TensorBoard logs in as finished runs: every directory holding event files becomes a run with its scalars, histograms, text (as notes) and hparams (as params)')
    .argument('<logdir>', "the log directory (TensorBoard's --logdir)")
    .option('--project <name>', 'the project the runs go to', 'Default')
    .option('--again', 'import runs imported before once more, as new runs')
    .option('--json', 'print what was imported as JSON')
    .action(async (dir: string, opts: { project: string; again?: boolean; json?: boolean }) => {
      const app = await ctx.app();
      const result = await app.tensorboard.import.import({
        logdir: resolve(ctx.io.cwd, dir),
        project: opts.project,
        by: ctx.actor(),
        again: opts.again ?? false,
        onRun: (r) => {
          if (r.read.skipped > 0 && !opts.json) ctx.err(`reprise: warning: ${r.tbRun}: ${plural(r.read.skipped, 'damaged record')} skipped (${r.read.examples[0]?.problem ?? ''})`);
        },
      });
      if (opts.json) {
        ctx.json(result);
        return;
      }
      const rows = [
        ...result.imported.map((r) => [r.tbRun, r.id, r.name, r.status, String(r.scalars), String(r.histograms), String(r.notes), String(r.params), String(r.read.skipped)]),
        ...result.skipped.map((s) => [s.tbRun, s.id, s.name, 'imported before', '', '', '', '', '']),
      ];
      ctx.out(table(['TB RUN', 'ID', 'NAME', 'RESULT', 'SCALARS', 'HISTOGRAMS', 'NOTES', 'PARAMS', 'SKIPPED'], rows));
      ctx.out(`imported ${plural(result.imported.length, 'run')} into project ${result.project}${result.skipped.length ? `; ${result.skipped.length} imported before (--again imports them once more)` : ''}`);
    });
}
