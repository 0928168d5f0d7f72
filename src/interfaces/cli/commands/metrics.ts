import type { Command } from 'commander';
import { metricPointsView, metricsView } from '../../run-views.js';
import type { CliContext } from '../context.js';
import { formatNumber, formatTime, table } from '../format.js';

export function registerMetrics(program: Command, ctx: CliContext): void {
  program
    .command('metrics')
    .description('a run\'s metrics: every key summarised, or one key\'s whole series')
    .argument('<run>', 'run id, unique id prefix, or name')
    .argument('[key]', 'a metric name, to print its series')
    .option('--json', 'print JSON')
    .action(async (ref: string, key: string | undefined, opts: { json?: boolean }) => {
      const app = await ctx.app();
      if (key === undefined) {
        const { run, metrics } = await app.catalog.details(ref);
        if (opts.json) {
          ctx.json({ run: run.id, name: run.name, metrics: metricsView(metrics) });
          return;
        }
        const rows = Object.entries(metrics).map(([k, s]) => [k, formatNumber(s.last), String(s.lastStep), formatNumber(s.min), formatNumber(s.max), String(s.count)]);
        ctx.out(rows.length ? table(['KEY', 'LAST', 'STEP', 'MIN', 'MAX', 'COUNT'], rows) : `run ${run.name} has no metrics`);
        return;
      }
      const run = await app.catalog.resolve(ref);
      const points = await app.catalog.metricSeries(run, key);
      if (opts.json) {
        ctx.json({ run: run.id, name: run.name, key, points: metricPointsView(points) });
        return;
      }
      ctx.out(table(['STEP', 'VALUE', 'TIME'], points.map((p) => [String(p.step), formatNumber(p.value), formatTime(p.ts)])));
    });
}
