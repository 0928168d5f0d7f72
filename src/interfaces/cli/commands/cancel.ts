import type { Command } from 'commander';
import { RepriseError } from '../../../core/errors.js';
import type { CancelOutcome } from '../../../services/queue-service.js';
import type { CliContext } from '../context.js';

const SAID: Record<CancelOutcome, string> = {
  canceled: 'canceled (it had not started)',
  stopping: 'asked to stop; it ends canceled within seconds, wherever it runs',
  finished: 'had already ended; nothing to do',
};

export function registerCancel(program: Command, ctx: CliContext): void {
  program
    .command('cancel')
    .description('cancel queued or running runs, wherever they run: by run, or every run of a sweep')
    .argument('[runs...]', 'runs by id, id prefix or name')
    .option('--sweep <sweep>', 'every run of this sweep (name, id or id prefix) that has not ended')
    .option('--json', 'print what happened as JSON')
    .action(async (refs: string[], opts: { sweep?: string; json?: boolean }) => {
      if (refs.length === 0 && opts.sweep === undefined) {
        throw new RepriseError('REPRISE_ERR_ARG_INVALID', 'name the runs to cancel, or a sweep with --sweep', { hint: 'reprise cancel RUN… | reprise cancel --sweep NAME' });
      }
      const app = await ctx.app();
      const by = ctx.actor();
      const runs = [];
      for (const ref of refs) runs.push(await app.catalog.resolve(ref));
      const results: { id: string; name: string; outcome: CancelOutcome }[] = [];
      for (const run of runs) results.push({ id: run.id, name: run.name, outcome: await app.queue.cancel(run, by) });
      let sweep: { id: string; name: string; counts: Record<CancelOutcome, number> } | undefined;
      if (opts.sweep !== undefined) {
        const s = await app.queue.resolveSweep(opts.sweep);
        sweep = { id: s.id, name: s.name, counts: await app.queue.cancelSweep(s, by) };
      }
      if (opts.json) {
        ctx.json({ runs: results, ...(sweep ? { sweep } : {}) });
        return;
      }
      for (const r of results) ctx.out(`${r.name} (${r.id}): ${SAID[r.outcome]}`);
      if (sweep) {
        const c = sweep.counts;
        ctx.out(`sweep ${sweep.name} (${sweep.id}): ${c.canceled} queued run(s) canceled, ${c.stopping} running run(s) asked to stop`);
      }
    });
}
