import type { Command } from 'commander';
import { resolve } from 'node:path';
import { RepriseError } from '../../../core/errors.js';
import { CANCEL_GRACE_MS } from '../../../services/live-run.js';
import { runDetailView } from '../../run-views.js';
import type { RunObserver } from '../../../services/run-service.js';
import type { CliContext } from '../context.js';
import { formatBytes, formatDuration, formatNumber } from '../format.js';

/** Exit codes of `reprise run` beyond 0: the run failed, or it was canceled (as a shell reports SIGINT). */
export const EXIT_RUN_FAILED = 1;
export const EXIT_RUN_CANCELED = 130;

interface RunOptions {
  param: string[];
  dev?: boolean;
  name?: string;
  seed?: string;
  git: boolean;
  lock?: string;
  systemEnv?: boolean;
  keepWorkspace?: boolean;
  json?: boolean;
}

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('run the project\'s pipeline in an isolated workspace and record everything about it')
    .option('-p, --param <key=value>', 'override a param; repeatable; values parse as JSON where they can; dotted keys reach into objects', collect, [])
    .option('--dev', 'mark the run as a dev run (a quick local try)')
    .option('--name <name>', 'the run\'s name (default: a generated one)')
    .option('--seed <n>', 'the run\'s seed (default: seed: in reprise.yaml, else a random one)')
    .option('--lock <file>', 'build the environment from this lock (a pip freeze) instead of the requirements')
    .option('--system-env', 'use the python on PATH as it is instead of building the environment (inside a built image)')
    .option('--no-git', 'snapshot the folder instead of pinning a git commit')
    .option('--keep-workspace', 'keep the run\'s folder (workspace, logs, outputs) after it ends')
    .option('--json', 'print the finished run as JSON on stdout; stage output goes to stderr')
    .action(async (opts: RunOptions) => {
      const app = await ctx.app();
      const controller = new AbortController();
      const say = (line: string): void => ctx.err(`reprise: ${line}`);
      const onSignal = (sig: NodeJS.Signals): void => {
        if (!controller.signal.aborted) say(`${sig}: canceling the run (stages get ${CANCEL_GRACE_MS / 1000}s to stop)…`);
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);

      const stageOut = (line: string): void => (opts.json ? ctx.err(line) : ctx.out(line));
      const showProgress = !opts.json && (ctx.io.stderr as NodeJS.WriteStream).isTTY === true;
      const observer: RunObserver = {
        created(run) {
          const code = run.manifest.code;
          const codeLabel = code.kind === 'git'
            ? `${code.commit.slice(0, 12)}${code.dirty ? ` + ${code.changedFiles.length} uncommitted file(s)` : ''}`
            : `folder snapshot (${code.files} files)`;
          say(`run ${run.name} (${run.id})${run.dev ? ' [dev]' : ''} · project ${run.project} · code ${codeLabel} · seed ${run.manifest.pipeline.seed}`);
        },
        envProgress(line) {
          // pip's own output only where a person watches; logs and --json stay quiet.
          if (showProgress) ctx.err(`[env] ${line}`);
        },
        envReady(env) {
          const what = env.kind === 'system'
            ? `the system interpreter (python ${env.python.version})`
            : `environment ${env.hash?.slice(0, 12)} (python ${env.python.version}${env.pipVersion ? `, pip ${env.pipVersion}` : ''})`;
          say(`${what}: ${env.kind === 'system' ? 'used as it is' : env.cacheHit ? 'reused' : `built in ${formatDuration(env.buildMs)}`}`);
        },
        stageStarted(stage, i, total) {
          say(`stage ${stage} (${i + 1}/${total})`);
        },
        output(stage, stream, line) {
          if (stream === 'stderr') ctx.err(`[${stage}] ${line}`);
          else stageOut(`[${stage}] ${line}`);
        },
        stageEnded(s) {
          if (s.status === 'failed') say(`stage ${s.name} failed (${s.exitCode === null ? s.signal : `exit ${s.exitCode}`})`);
        },
        metricProblem(p) {
          say(`metrics line ${p.line} skipped: ${p.problem}`);
        },
        notice(message) {
          say(message);
        },
        warning(message) {
          say(`warning: ${message}`);
        },
      };

      let seed: number | undefined;
      if (opts.seed !== undefined) {
        seed = Number(opts.seed);
        if (!/^\d+$/.test(opts.seed)) throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--seed ${JSON.stringify(opts.seed)}: expected a whole number`);
      }
      try {
        const run = await app.runs.run({
          cwd: ctx.io.cwd,
          overrides: opts.param,
          dev: opts.dev ?? false,
          ...(opts.name !== undefined ? { name: opts.name } : {}),
          ...(seed !== undefined ? { seed } : {}),
          noGit: !opts.git,
          systemEnv: opts.systemEnv ?? false,
          ...(opts.lock !== undefined ? { lockFile: resolve(ctx.io.cwd, opts.lock) } : {}),
          keepWorkspace: opts.keepWorkspace ?? false,
          signal: controller.signal,
          observer,
        });
        const m = run.manifest;
        const metrics = Object.entries(m.outputs.metrics).map(([k, v]) => `${k}=${formatNumber(Number(v.last))}`).join(' ');
        const artifactBytes = m.outputs.artifacts.reduce((n, a) => n + a.size, 0);
        const duration = formatDuration(run.endedAt !== null && run.startedAt !== null ? run.endedAt - run.startedAt : null);
        if (run.status === 'succeeded') {
          say(`run ${run.name} succeeded in ${duration}${metrics ? ` · ${metrics}` : ''} · ${m.outputs.artifacts.length} artifact(s), ${formatBytes(artifactBytes)}`);
        } else {
          say(`run ${run.name} ${run.status}: ${m.failure?.message ?? ''}`);
        }
        if (opts.keepWorkspace) say(`its folder is kept at ${app.home}/runs/${run.id}`);
        if (opts.json) {
          const details = await app.catalog.details(run.id);
          ctx.json(runDetailView(details.run, details.metrics, details.artifacts));
        } else {
          say(`details: reprise show ${run.name}`);
        }
        process.exitCode = run.status === 'succeeded' ? 0 : run.status === 'canceled' ? EXIT_RUN_CANCELED : EXIT_RUN_FAILED;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
