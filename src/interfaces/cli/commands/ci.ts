import type { Command } from 'commander';
import { ciFactsFromEnv } from '../../../core/ci-environment.js';
import { parseDuration } from '../../../core/duration.js';
import { RepriseError } from '../../../core/errors.js';
import { isActive } from '../../../core/run-manifest.js';
import type { RunRecord } from '../../../core/run.js';
import type { CliContext } from '../context.js';
import { formatDuration, runPageUrl } from '../format.js';
import { EXIT_GATES_FAILED, EXIT_WAIT_TIMED_OUT, exitCodeOf, say, sayFinished } from '../run-progress.js';
import { addQueueOptions, queueRequest, type QueueOptions } from './submit.js';

/** How long a wait for news lasts before the run is read again anyway. */
const WAIT_SLICE_MS = 2_000;

export function registerCi(program: Command, ctx: CliContext): void {
  addQueueOptions(
    program
      .command('ci')
      .description("for a CI job: queue the pipeline at the current commit on REPRISE_SERVER, print the run's URL; with --wait, follow it and exit non-zero if it fails or fails its gates")
      .option('--name <name>', "the run's name (default: a generated one)")
      .option('--wait', 'follow the run to its end; exit 1 if it fails, 3 if it fails its gates')
      .option('--timeout <duration>', 'with --wait, stop waiting after this long (like 45m) and exit 124; the run goes on'),
  ).action(async (opts: QueueOptions & { name?: string; wait?: boolean; timeout?: string }) => {
    const server = ctx.io.env.REPRISE_SERVER;
    if (!server) {
      throw new RepriseError('REPRISE_ERR_ARG_INVALID', 'reprise ci queues the run on a server: set REPRISE_SERVER to its URL', {
        hint: 'in the CI job: REPRISE_SERVER=https://reprise.example.com reprise ci --wait',
        details: { variable: 'REPRISE_SERVER' },
      });
    }
    const timeoutMs = opts.timeout !== undefined ? parseDuration(opts.timeout, '--timeout') : undefined;
    if (opts.timeout !== undefined && !opts.wait) throw new RepriseError('REPRISE_ERR_ARG_INVALID', '--timeout only means something with --wait', { details: { flag: '--timeout' } });
    const app = await ctx.app();
    const by = ctx.actor();
    const done = await app.runs.submit({
      ...queueRequest(ctx, opts),
      ...(opts.name !== undefined ? { name: opts.name } : {}),
      trigger: { kind: 'ci', by, ...ciFactsFromEnv(ctx.io.env) },
    });
    const queued = done.runs[0]!;
    const url = runPageUrl(server, queued.id);
    if (!opts.wait) {
      if (opts.json) ctx.json({ id: queued.id, name: queued.name, url, status: queued.status });
      else ctx.out(`queued ${queued.name} (${queued.id}): ${url}`);
      return;
    }
    say(ctx, `queued ${queued.name} (${queued.id}) in queue ${queued.manifest.submission!.queue}: ${url}`);
    const run = await follow(ctx, queued, timeoutMs, (r) => app.catalog.waitForActivity(r, WAIT_SLICE_MS), (id) => app.catalog.resolve(id));
    if (run === null) {
      say(ctx, `still not finished after ${opts.timeout}; the run goes on: ${url}`);
      process.exitCode = EXIT_WAIT_TIMED_OUT;
      return;
    }
    sayFinished(ctx, run);
    if (opts.json) ctx.json({ id: run.id, name: run.name, url, status: run.status, gate: run.manifest.outputs.gate?.status ?? null });
    else ctx.out(`${run.name} ${run.status}${run.manifest.outputs.gate ? `, gates ${run.manifest.outputs.gate.status}` : ''}: ${url}`);
    process.exitCode = run.status === 'succeeded' && run.manifest.outputs.gate?.status === 'failed' ? EXIT_GATES_FAILED : exitCodeOf(run);
  });
}

/** Prints each change of the run's status and stages until it ends; null when the timeout came first. */
async function follow(
  ctx: CliContext,
  start: RunRecord,
  timeoutMs: number | undefined,
  wait: (run: RunRecord) => Promise<void>,
  read: (id: string) => Promise<RunRecord>,
): Promise<RunRecord | null> {
  const t0 = Date.now();
  let run = start;
  let said = '';
  const stagesSaid = new Set<string>();
  for (;;) {
    const w = run.manifest.execution.worker;
    const status = `${run.status}${w ? ` on ${w.name}` : ''}`;
    if (status !== said) {
      say(ctx, `${run.name} is ${status} (${formatDuration(Date.now() - t0)})`);
      said = status;
    }
    for (const s of run.manifest.execution.stages) {
      const key = `${s.name}:${s.status}`;
      if (s.status !== 'pending' && !stagesSaid.has(key)) {
        stagesSaid.add(key);
        say(ctx, `stage ${s.name} ${s.status}`);
      }
    }
    if (!isActive(run.status)) return run;
    if (timeoutMs !== undefined && Date.now() - t0 >= timeoutMs) return null;
    await wait(run);
    run = await read(run.id);
  }
}
