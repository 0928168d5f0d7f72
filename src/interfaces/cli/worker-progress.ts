/**
 * @module interfaces/cli/worker-progress
 * What a worker (`reprise agent`, `reprise server --workers`) prints of the runs it
 * runs: one line per event and per line of output, each prefixed with the run's name,
 * since several runs go at once.
 */
import type { RunRecord } from '../../core/run.js';
import type { RunObserver } from '../../services/run-service.js';
import type { CliContext } from './context.js';

export function workerObserver(ctx: CliContext, run: RunRecord): RunObserver {
  const tag = `[${run.name}]`;
  return {
    envReady(env) {
      ctx.err(`${tag} environment ${env.kind === 'system' ? 'system interpreter' : `${env.hash?.slice(0, 12)} ${env.cacheHit ? 'reused' : 'built'}`}`);
    },
    stageStarted(stage, i, total) {
      ctx.err(`${tag} stage ${stage} (${i + 1}/${total})`);
    },
    output(stage, _stream, line) {
      ctx.err(`${tag}[${stage}] ${line}`);
    },
    notice(message) {
      ctx.err(`${tag} ${message}`);
    },
    warning(message) {
      ctx.err(`${tag} warning: ${message}`);
    },
  };
}
