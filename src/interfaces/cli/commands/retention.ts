import type { Command } from 'commander';
import { parseDuration } from '../../../core/duration.js';
import type { CliContext } from '../context.js';
import { formatBytes, formatDuration, plural } from '../format.js';
import { retentionLine } from '../gate-report.js';

export function registerRetention(program: Command, ctx: CliContext): void {
  program
    .command('keep')
    .description("keep a run's artifacts whatever its outcome (until it is flagged)")
    .argument('<run>', 'id, unique id prefix, or name')
    .option('--json', 'print the retention as JSON')
    .action(async (ref: string, opts: { json?: boolean }) => {
      const app = await ctx.app();
      const run = await app.catalog.resolve(ref);
      const r = await app.retention.keep(run, ctx.actor());
      if (opts.json) ctx.json({ run: run.id, retention: r });
      else ctx.out(`${run.name}: ${retentionLine(r)}`);
    });

  program
    .command('flag')
    .description("flag a run's artifacts for deletion by gc once the delay has passed")
    .argument('<run>', 'id, unique id prefix, or name')
    .option('--after <duration>', 'how long they stay first: 0, 12h, 7d', '0')
    .option('--json', 'print the retention as JSON')
    .action(async (ref: string, opts: { after: string; json?: boolean }) => {
      const afterMs = parseDuration(opts.after, '--after');
      const app = await ctx.app();
      const run = await app.catalog.resolve(ref);
      const r = await app.retention.flag(run, afterMs, ctx.actor());
      if (opts.json) ctx.json({ run: run.id, retention: r });
      else ctx.out(`${run.name}: ${retentionLine(r)}`);
    });

  program
    .command('gc')
    .description('delete the artifacts of runs whose flag date has passed; a blob stays while any kept, pinned or running run or model version uses it')
    .option('--dry-run', 'say what would be freed, delete nothing')
    .option('--grace <duration>', 'keep blobs written this long before gc started (writers that have not recorded them yet)', '1m')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { dryRun?: boolean; grace: string; json?: boolean }) => {
      const graceMs = parseDuration(opts.grace, '--grace');
      const app = await ctx.app();
      let last = '';
      const report = await app.collectGarbage({
        dryRun: opts.dryRun ?? false,
        graceMs,
        by: ctx.actor(),
        onProgress: (p) => {
          const line = p.phase === 'scanning' ? `gc: checked ${p.done} runs` : `gc: ${p.done}/${p.total} blobs ${opts.dryRun ? 'checked' : 'deleted or kept'}`;
          if (line !== last) ctx.err(line);
          last = line;
        },
      });
      if (opts.json) {
        ctx.json(report);
        return;
      }
      const verb = report.dryRun ? 'would free' : 'freed';
      ctx.out(`${verb} ${plural(report.blobsFreed, 'blob')} (${formatBytes(report.bytesFreed)}) of ${plural(report.runsCollected.length, 'run')}; checked ${plural(report.runsChecked, 'run')} in ${formatDuration(report.ms)}`);
      if (report.blobsShared > 0) ctx.out(`kept ${plural(report.blobsShared, 'blob')} that runs or model versions which stay also use`);
      if (report.blobsInUse > 0) ctx.out(`kept ${plural(report.blobsInUse, 'blob')} written by runs in flight or within --grace ${opts.grace} before gc started`);
      for (const r of report.runsCollected.slice(0, 20)) ctx.out(`  ${r.name}  ${r.id}  ${r.project}`);
      if (report.runsCollected.length > 20) ctx.out(`  … and ${report.runsCollected.length - 20} more`);
      if (report.dryRun) ctx.out('nothing was deleted (--dry-run)');
    });
}
