import type { Command } from 'commander';
import { runListView } from '../../run-views.js';
import type { CliContext } from '../context.js';
import { formatDuration, formatTime, table } from '../format.js';

export function registerQueue(program: Command, ctx: CliContext): void {
  program
    .command('queue')
    .description('the queue now: each queue\'s waiting and active runs, those runs, and the workers with their slots, GPUs and runs')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const app = await ctx.app();
      await app.catalog.reconcile();
      const now = Date.now();
      const o = await app.queue.overview(now);
      if (opts.json) {
        ctx.json({ queues: o.queues, runs: o.runs.map((r) => runListView(r, {}, now)), workers: o.workers });
        return;
      }
      ctx.out(o.queues.length === 0 ? 'no queues yet: queue a run with `reprise submit`' : table(['QUEUE', 'WAITING', 'ACTIVE'], o.queues.map((q) => [q.name, String(q.queued), String(q.active)])));
      if (o.runs.length > 0) {
        ctx.out('');
        ctx.out(
          table(
            ['RUN', 'STATUS', 'QUEUE', 'PRIORITY', 'WORKER', 'WAITING/RUNNING FOR'],
            o.runs.map((r) => {
              const s = r.manifest.submission;
              const w = r.manifest.execution.worker;
              const since = r.status === 'queued' ? r.createdAt : (r.startedAt ?? w?.claimedAt ?? r.createdAt);
              return [`${r.name} (${r.id.slice(0, 12)})`, r.status, s?.queue ?? '-', String(s?.priority ?? '-'), w ? `${w.name}${w.gpus.length ? ` GPU ${w.gpus.join(',')}` : ''}` : '-', formatDuration(now - since)];
            }),
          ),
        );
      }
      ctx.out('');
      ctx.out(
        o.workers.length === 0
          ? 'no workers seen in the last day: start one with `reprise server --workers N` or `reprise agent --server URL`'
          : table(
              ['WORKER', 'KIND', 'STATE', 'HOST', 'QUEUES', 'SLOTS', 'GPUS', 'RUNS', 'SEEN'],
              o.workers.map((w) => [
                w.name,
                w.kind,
                w.state,
                w.host,
                w.queues.join(','),
                `${w.runs.length}/${w.slots}`,
                w.gpus.join(',') || '-',
                w.runs.map((id) => id.slice(0, 12)).join(' ') || '-',
                formatTime(w.seenAt),
              ]),
            ),
      );
    });
}
