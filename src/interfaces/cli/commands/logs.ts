import type { Command } from 'commander';
import { RepriseError } from '../../../core/errors.js';
import { isActive } from '../../../core/run-manifest.js';
import type { LogStream } from '../../../services/run-catalog.js';
import type { CliContext } from '../context.js';

/** Embedded: how often the files are read; through a server, the longest wait between events. */
const FOLLOW_POLL_MS = 300;
const FOLLOW_WAIT_MS = 5_000;
const STREAMS: readonly LogStream[] = ['combined', 'stdout', 'stderr'];

export function registerLogs(program: Command, ctx: CliContext): void {
  program
    .command('logs')
    .description('a run\'s output, stage by stage; --follow keeps printing while it runs')
    .argument('<run>', 'run id, unique id prefix, or name')
    .option('--stage <name>', 'only this stage (printed without the [stage] prefix)')
    .option('--stream <name>', 'combined (default), stdout or stderr', 'combined')
    .option('-f, --follow', 'keep printing new output until the run ends')
    .option('--json', 'print JSON lines: {"stage": ..., "line": ...}')
    .action(async (ref: string, opts: { stage?: string; stream: string; follow?: boolean; json?: boolean }) => {
      if (!STREAMS.includes(opts.stream as LogStream)) {
        throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--stream ${JSON.stringify(opts.stream)}: expected one of ${STREAMS.join(', ')}`);
      }
      const stream = opts.stream as LogStream;
      const app = await ctx.app();
      let run = await app.catalog.resolve(ref);
      const stages = app.catalog.stagesOf(run, opts.stage);
      const prefix = opts.stage === undefined;
      const offsets = new Map<string, number>(stages.map((s) => [s, 0]));
      const partial = new Map<string, string>();
      const done = new Set<string>();

      const emit = (stage: string, text: string, final: boolean): void => {
        const lines = ((partial.get(stage) ?? '') + text).split('\n');
        const rest = lines.pop() ?? '';
        partial.set(stage, final ? '' : rest);
        if (final && rest !== '') lines.push(rest);
        for (const line of lines) {
          if (opts.json) ctx.out(JSON.stringify({ stage, line }));
          else ctx.out(prefix ? `[${stage}] ${line}` : line);
        }
      };

      for (;;) {
        for (const stage of stages) {
          if (done.has(stage)) continue;
          const { data, complete } = await app.catalog.readLog(run, stage, stream, offsets.get(stage) ?? 0);
          offsets.set(stage, (offsets.get(stage) ?? 0) + data.length);
          emit(stage, data.toString('utf8'), complete);
          if (complete) done.add(stage);
          // Later stages' output must not come before this one's while it still runs.
          else if (opts.follow) break;
        }
        const active = isActive(run.status);
        if (!opts.follow || !active) {
          for (const stage of stages) if (!done.has(stage)) emit(stage, '', true);
          break;
        }
        await app.catalog.waitForActivity(run, app.mode === 'remote' ? FOLLOW_WAIT_MS : FOLLOW_POLL_MS);
        run = await app.catalog.refresh(run);
      }
    });
}
