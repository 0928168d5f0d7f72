import type { Command } from 'commander';
import { RepriseError } from '../../../core/errors.js';
import { DEFAULT_ALIAS } from '../../../core/model-store.js';
import type { CliContext } from '../context.js';
import { formatBytes, plural } from '../format.js';

export function registerPromote(program: Command, ctx: CliContext): void {
  program
    .command('promote')
    .description("register a run's model output as the next version of a model, move an alias to it and pin the run; only a run that succeeded and passed its gates")
    .argument('<run>', 'id, unique id prefix, or name')
    .option('--model <name>', 'the registered model (default: model.name of reprise.yaml)')
    .option('--alias <alias>', 'the alias moved to the new version', DEFAULT_ALIAS)
    .option('--note <text>', 'why, for the audit log')
    .option('--force', "an admin's promotion of a run that failed its gates (or was never judged); needs --reason")
    .option('--reason <text>', 'with --force: why the gates are waived, kept in the audit log')
    .option('--json', 'print the new version as JSON')
    .action(async (ref: string, opts: { model?: string; alias: string; note?: string; force?: boolean; reason?: string; json?: boolean }) => {
      if (opts.force && !opts.reason?.trim()) throw new RepriseError('REPRISE_ERR_ARG_INVALID', '--force needs --reason TEXT: why the gates are waived, for the audit log', { details: { option: '--reason' } });
      if (!opts.force && opts.reason !== undefined) throw new RepriseError('REPRISE_ERR_ARG_INVALID', '--reason goes with --force; a note for a plain promotion is --note', { details: { option: '--reason' } });
      const app = await ctx.app();
      const run = await app.catalog.resolve(ref);
      const { version, alias } = await app.models.promote({
        run,
        ...(opts.model !== undefined ? { model: opts.model } : {}),
        alias: opts.alias,
        ...(opts.note !== undefined ? { note: opts.note } : {}),
        ...(opts.force ? { force: { reason: opts.reason! } } : {}),
        by: ctx.actor(),
        near: ctx.io.cwd,
      });
      if (opts.json) {
        ctx.json({ ...version, aliasFrom: alias.from });
        return;
      }
      ctx.out(`promoted ${run.name} as ${version.model} v${version.version} (${plural(version.files.length, 'file')}, ${formatBytes(version.bytes)})`);
      ctx.out(`  ${version.model}@${alias.alias}: ${alias.from === null ? 'new' : `v${alias.from}`} -> v${alias.to}`);
      ctx.out(`  ${run.name} is pinned: its artifacts and reproduction bundle are never collected`);
      ctx.out(`  fetch it: reprise models get ${version.model}@${alias.alias} -o DIR`);
    });
}
