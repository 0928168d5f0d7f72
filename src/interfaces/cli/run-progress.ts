/**
 * @module interfaces/cli/run-progress
 * What `reprise run` and `reprise reproduce` show while a run goes and when it ends:
 * progress on stderr, stage output on stdout (on stderr with --json, so stdout stays
 * JSON), and a run canceled by Ctrl-C or SIGTERM rather than abandoned.
 */
import type { RunRecord } from '../../core/run.js';
import { CANCEL_GRACE_MS } from '../../services/live-run.js';
import type { RunObserver } from '../../services/run-service.js';
import { failedGates } from '../../core/gates.js';
import { DEFAULT_FAILED_RETENTION } from '../../core/retention.js';
import { notRecorded } from '../run-views.js';
import type { CliContext } from './context.js';
import { formatBytes, formatDuration, formatNumber } from './format.js';

/** Exit codes of a command that ran a run, beyond 0: the run failed, or it was canceled (as a shell reports SIGINT). */
export const EXIT_RUN_FAILED = 1;
export const EXIT_RUN_CANCELED = 130;
/** `reprise ci --wait`: the run succeeded but failed its gates, so a pull request check fails. */
export const EXIT_GATES_FAILED = 3;
/** `reprise ci --wait --timeout`: the wait ended first (as timeout(1) exits); the run goes on. */
export const EXIT_WAIT_TIMED_OUT = 124;

export function say(ctx: CliContext, line: string): void {
  ctx.err(`reprise: ${line}`);
}

export function runObserver(ctx: CliContext, opts: { json?: boolean | undefined }): RunObserver {
  const stageOut = (line: string): void => (opts.json ? ctx.err(line) : ctx.out(line));
  const showProgress = !opts.json && (ctx.io.stderr as NodeJS.WriteStream).isTTY === true;
  return {
    created(run) {
      const code = run.manifest.code;
      const codeLabel = !code
        ? notRecorded(run.manifest)
        : code.kind === 'git'
          ? `${code.commit.slice(0, 12)}${code.dirty ? ` + ${code.changedFiles.length} uncommitted file(s)` : ''}`
          : `folder snapshot (${code.files} files)`;
      say(ctx, `run ${run.name} (${run.id})${run.dev ? ' [dev]' : ''} · project ${run.project} · code ${codeLabel} · seed ${run.manifest.pipeline.seed}`);
    },
    envProgress(line) {
      // pip's own output only where a person watches; logs and --json stay quiet.
      if (showProgress) ctx.err(`[env] ${line}`);
    },
    envReady(env) {
      const what = env.kind === 'system'
        ? `the system interpreter (python ${env.python.version})`
        : `environment ${env.hash?.slice(0, 12)} (python ${env.python.version}${env.pipVersion ? `, pip ${env.pipVersion}` : ''})`;
      say(ctx, `${what}: ${env.kind === 'system' ? 'used as it is' : env.cacheHit ? 'reused' : `built in ${formatDuration(env.buildMs)}`}`);
    },
    dataReady(input) {
      const snap = input.snapshot;
      if (!snap) return;
      const check = snap.check === 'matched' ? ', the source still gives the same rows' : snap.check === 'source-unavailable' ? ', the source is gone: the original run\'s copy is used' : '';
      say(ctx, `data ${input.name}: ${snap.rows} row(s) from ${input.source.name} as of ${new Date(input.asOf).toISOString()} (content hash ${snap.contentHash.slice(0, 12)}${check})`);
    },
    stageStarted(stage, i, total) {
      say(ctx, `stage ${stage} (${i + 1}/${total})`);
    },
    output(stage, stream, line) {
      if (stream === 'stderr') ctx.err(`[${stage}] ${line}`);
      else stageOut(`[${stage}] ${line}`);
    },
    stageEnded(s) {
      if (s.status === 'failed') say(ctx, `stage ${s.name} failed (${s.exitCode === null ? s.signal : `exit ${s.exitCode}`})`);
    },
    metricProblem(p) {
      say(ctx, `metrics line ${p.line} skipped: ${p.problem}`);
    },
    notice(message) {
      say(ctx, message);
    },
    warning(message) {
      say(ctx, `warning: ${message}`);
    },
  };
}

/** Cancels the run on SIGINT and SIGTERM while `work` goes on. */
export async function cancelOnSignals<T>(ctx: CliContext, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (!controller.signal.aborted) say(ctx, `${sig}: canceling the run (stages get ${CANCEL_GRACE_MS / 1000}s to stop)…`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The line that says how a run ended. */
export function sayFinished(ctx: CliContext, run: RunRecord): void {
  const m = run.manifest;
  const metrics = Object.entries(m.outputs.metrics).map(([k, v]) => `${k}=${formatNumber(Number(v.last))}`).join(' ');
  const artifactBytes = m.outputs.artifacts.reduce((n, a) => n + a.size, 0);
  const duration = formatDuration(run.endedAt !== null && run.startedAt !== null ? run.endedAt - run.startedAt : null);
  if (run.status === 'succeeded') {
    say(ctx, `run ${run.name} succeeded in ${duration}${metrics ? ` · ${metrics}` : ''} · ${m.outputs.artifacts.length} artifact(s), ${formatBytes(artifactBytes)}`);
    const gate = m.outputs.gate;
    if (gate?.status === 'passed') say(ctx, `gates passed (${gate.results.length}); promote it: reprise promote ${run.name}${m.outputs.model?.name ? '' : ' --model NAME'}`);
    if (gate?.status === 'failed') {
      say(ctx, `gates FAILED: ${failedGates(gate).join('; ')}`);
      say(ctx, `its artifacts are flagged for deletion after ${m.pipeline.retention?.failed ?? DEFAULT_FAILED_RETENTION} (reprise keep ${run.name} keeps them)`);
    }
  } else {
    say(ctx, `run ${run.name} ${run.status}: ${m.failure?.message ?? ''}`);
  }
}

export function exitCodeOf(run: RunRecord): number {
  return run.status === 'succeeded' ? 0 : run.status === 'canceled' ? EXIT_RUN_CANCELED : EXIT_RUN_FAILED;
}
