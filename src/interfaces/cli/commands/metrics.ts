import type { Command } from 'commander';
import { RepriseError } from '../../../core/errors.js';
import { pointsOf } from '../../../core/metric-series.js';
import { metricPointsView, metricsView } from '../../run-views.js';
import type { CliContext } from '../context.js';
import { formatNumber, formatTime, table } from '../format.js';

export function registerMetrics(program: Command, ctx: CliContext): void {
  program
    .command('metrics')
    .description('a run\'s metrics: every key summarised, or one key\'s whole series')
    .argument('<run>', 'run id, unique id prefix, or name')
    .argument('[key]', 'a metric name, to print its series')
    .option('--points <n>', 'downsample the series to at most this many points, keeping each stretch\'s min and max')
    .option('--json', 'print JSON')
    .action(async (ref: string, key: string | undefined, opts: { points?: string; json?: boolean }) => {
      let maxPoints: number | undefined;
      if (opts.points !== undefined) {
        maxPoints = Number(opts.points);
        if (!/^\d+$/.test(opts.points) || maxPoints < 2) throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--points ${JSON.stringify(opts.points)}: expected a whole number of at least 2`);
      }
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
      const h = await app.catalog.metricHistory(run, key, maxPoints !== undefined ? { maxPoints } : {});
      if (opts.json) {
        ctx.json({ run: run.id, name: run.name, key, total: h.total, downsampled: h.downsampled, points: metricPointsView(h.points) });
        return;
      }
      ctx.out(table(['STEP', 'VALUE', 'TIME'], pointsOf(key, h.points).map((p) => [String(p.step), formatNumber(p.value), formatTime(p.ts)])));
      if (h.downsampled) ctx.err(`reprise: ${h.points.steps.length} of ${h.total} points shown`);
    });
}
