import type { Command } from 'commander';
import { parseDuration } from '../../../core/duration.js';
import type { EnvironmentListing } from '../../../services/environment-service.js';
import type { CliContext } from '../context.js';
import { formatBytes, formatTime, table } from '../format.js';

export function registerEnv(program: Command, ctx: CliContext): void {
  const env = program.command('env').description('the cached Python environments runs use');

  env
    .command('ls')
    .description('list cached environments: hash, python, size, last used, runs that used it')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const app = await ctx.app();
      const envs = await app.environments.list();
      if (opts.json) {
        ctx.json(envs);
        return;
      }
      if (envs.length === 0) {
        ctx.out('no cached environments yet: a run whose reprise.yaml names env.requirements builds one');
        return;
      }
      ctx.out(table(['HASH', 'PYTHON', 'SIZE', 'LAST USED', 'RUNS', 'FROM'], envs.map(row)));
    });

  env
    .command('prune')
    .description('remove environments unused for a while (never one a queued or running run needs)')
    .option('--older-than <duration>', 'last used longer ago than this, e.g. 30d, 12h, 0 for all', '30d')
    .option('--dry-run', 'say what would be removed, remove nothing')
    .option('--json', 'print JSON')
    .action(async (opts: { olderThan: string; dryRun?: boolean; json?: boolean }) => {
      const olderThanMs = parseDuration(opts.olderThan, '--older-than');
      const app = await ctx.app();
      const res = await app.environments.prune({ olderThanMs, dryRun: opts.dryRun ?? false });
      if (opts.json) {
        ctx.json(res);
        return;
      }
      const verb = res.dryRun ? 'would remove' : 'removed';
      const freed = res.removed.reduce((n, e) => n + e.sizeBytes, 0);
      for (const e of res.removed) ctx.out(`${verb} ${e.hash.slice(0, 12)}  python ${e.pythonVersion}  ${formatBytes(e.sizeBytes)}  last used ${formatTime(e.lastUsedAt)}`);
      for (const k of res.kept) ctx.out(`kept ${k.env.hash.slice(0, 12)}: ${k.reason}`);
      if (res.orphans) ctx.out(`removed ${res.orphans} folder(s) left by interrupted builds`);
      ctx.out(`${verb} ${res.removed.length} environment(s), ${formatBytes(freed)}`);
    });
}

function row(e: EnvironmentListing): string[] {
  return [e.hash.slice(0, 12), e.pythonVersion, formatBytes(e.sizeBytes), formatTime(e.lastUsedAt), String(e.runs), e.source];
}
