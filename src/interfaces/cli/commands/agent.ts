import type { Command } from 'commander';
import { hostname } from 'node:os';
import { REPRISE_VERSION } from '../../../app/assemble.js';
import { openRemote } from '../../../app/remote.js';
import { RepriseError } from '../../../core/errors.js';
import { newRunId } from '../../../core/ids.js';
import { parseGpuList, parseQueueList, parseWholeNumber } from '../../../core/queue.js';
import { QueueWorker } from '../../../services/queue-worker.js';
import type { CliContext } from '../context.js';
import { repeated } from '../repeated-option.js';
import { workerObserver } from '../worker-progress.js';

interface AgentOptions {
  server?: string;
  queue: string[];
  slots?: string;
  gpus?: string;
  name?: string;
  quiet?: boolean;
  run?: string;
  worker?: string;
}

/** `REPRISE_CLUSTER_JOB=ray:reprise-01J…`: the cluster job a single-run runner is, recorded on its run. */
function clusterJob(text: string | undefined): { executor: string; id: string } | undefined {
  const m = text ? /^([a-z]+):(.+)$/.exec(text) : null;
  return m ? { executor: m[1]!, id: m[2]! } : undefined;
}

export function registerAgent(program: Command, ctx: CliContext): void {
  program
    .command('agent')
    .description('run queued runs of a server on this machine: claim them, build or reuse their environments, run them, report everything to the server')
    .option('--server <url>', 'the Reprise server (default: REPRISE_SERVER)')
    .option('--queue <names>', 'the queues to take runs from, comma-separated or repeated (default: "default")', repeated, [])
    .option('--slots <n>', 'runs at a time (default: the number of --gpus, else 1)')
    .option('--gpus <list>', 'GPU indices to hand out, e.g. 0,1: each run gets its own as CUDA_VISIBLE_DEVICES')
    .option('--name <name>', 'how the agent is shown (default: this machine\'s name)')
    .option('--quiet', 'do not copy the runs\' output here')
    .option('--run <id>', 'single-run mode, what a Ray or Kubernetes job runs: execute this one run, claimed for --worker by the server, then exit')
    .option('--worker <id>', 'with --run: the worker id the server claimed the run for')
    .action(async (opts: AgentOptions) => {
      const server = opts.server ?? ctx.io.env.REPRISE_SERVER;
      if (!server) {
        throw new RepriseError('REPRISE_ERR_ARG_INVALID', 'an agent needs a server: pass --server URL (or set REPRISE_SERVER)', { hint: 'start one with `reprise server` and give its URL' });
      }
      if ((opts.run === undefined) !== (opts.worker === undefined)) {
        throw new RepriseError('REPRISE_ERR_ARG_INVALID', '--run and --worker go together: the server claims a run for a worker, then starts `reprise agent --run ID --worker WORKER`');
      }
      if (opts.run !== undefined && opts.worker !== undefined) {
        await runOne(ctx, server, opts.run, opts.worker, opts.quiet ?? false);
        return;
      }
      const queues = parseQueueList(opts.queue);
      const gpus = opts.gpus !== undefined ? parseGpuList(opts.gpus) : [];
      const slots = opts.slots !== undefined ? parseWholeNumber(opts.slots, '--slots', 1, 1024) : Math.max(1, gpus.length);
      const id = newRunId();
      const say = (m: string): void => ctx.err(`reprise agent: ${m}`);
      // Every request names the worker, so the server refuses reports on runs it no longer holds.
      const app = await openRemote({ server, env: ctx.io.env, say, worker: id });
      const worker = new QueueWorker({
        id,
        store: app.store,
        runs: app.runs,
        kind: 'agent',
        name: opts.name ?? hostname(),
        queues,
        slots,
        gpus,
        version: REPRISE_VERSION,
        near: ctx.io.cwd,
        say,
        ...(opts.quiet ? {} : { observer: (run) => workerObserver(ctx, run) }),
      });
      const onSignal = (sig: NodeJS.Signals): void => {
        say(`${sig}: stopping; runs in progress are canceled`);
        worker.stop(true, `agent ${worker.name} was stopped (${sig})`);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      say(`${worker.name} (${id}) takes queue(s) ${queues.join(', ')} from ${app.server} · ${slots} slot(s)${gpus.length ? ` · GPUs ${gpus.join(',')}` : ''}`);
      try {
        await worker.run();
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        // What the runs reported last is delivered before the agent goes.
        await app.close();
      }
      say('stopped');
    });
}

/** Single-run mode: the run claimed for `worker`, run here; the exit status says how it ended. */
async function runOne(ctx: CliContext, server: string, runId: string, worker: string, quiet: boolean): Promise<void> {
  const say = (m: string): void => ctx.err(`reprise agent: ${m}`);
  const app = await openRemote({ server, env: ctx.io.env, say, worker });
  const job = clusterJob(ctx.io.env.REPRISE_CLUSTER_JOB);
  const runner = new QueueWorker({
    id: worker,
    store: app.store,
    runs: app.runs,
    kind: 'agent',
    name: job ? `${job.executor} job ${job.id}` : hostname(),
    queues: [],
    slots: 1,
    gpus: [],
    version: REPRISE_VERSION,
    near: ctx.io.cwd,
    say,
    ...(quiet ? {} : { observer: (run) => workerObserver(ctx, run) }),
  });
  const onSignal = (sig: NodeJS.Signals): void => {
    say(`${sig}: canceling the run`);
    runner.stop(true, `its ${job ? `${job.executor} job` : 'runner'} was stopped (${sig})`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let ended;
  try {
    ended = await runner.runOne(runId, job);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await app.close();
  }
  say(`${ended.name} (${ended.id}) ended ${ended.status}`);
  if (ended.status !== 'succeeded') process.exitCode = 1;
}
