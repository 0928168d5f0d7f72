import type { Command } from 'commander';
import { RepriseError } from '../../../core/errors.js';
import type { CliContext } from '../context.js';
import { formatTime, table } from '../format.js';

export function registerAudit(program: Command, ctx: CliContext): void {
  program
    .command('audit')
    .description('the audit log, newest first: promotions, alias moves, deletions, gc, role changes, users and tokens (through a server: admins)')
    .option('--limit <n>', 'how many entries', '50')
    .option('--by <user>', 'only what this user did')
    .option('--action <action>', 'an action (token.create) or its family (token, user, model, gc)')
    .option('--json', 'print the entries as JSON')
    .action(async (opts: { limit: string; by?: string; action?: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (!/^\d+$/.test(opts.limit) || limit < 1 || limit > 1000) throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--limit ${JSON.stringify(opts.limit)}: expected a number from 1 to 1000`, { details: { option: '--limit' } });
      const app = await ctx.app();
      const entries = await app.auditLog({ limit, ...(opts.by !== undefined ? { by: opts.by } : {}), ...(opts.action !== undefined ? { action: opts.action } : {}) });
      if (opts.json) {
        ctx.json(entries);
        return;
      }
      if (entries.length === 0) {
        ctx.out('the audit log is empty');
        return;
      }
      ctx.out(table(['WHEN', 'WHO', 'ACTION', 'TARGET', 'DETAILS'], entries.map((e) => [formatTime(e.at), e.by, e.action, e.target, JSON.stringify(e.details)])));
    });
}
