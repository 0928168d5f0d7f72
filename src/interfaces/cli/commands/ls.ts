import type { Command } from 'commander';
import { RepriseError } from '../../../core/errors.js';
import { durationMs, type RunRecord } from '../../../core/run.js';
import { RUN_STATUSES, type MetricSummary, type RunStatus } from '../../../core/run-manifest.js';
import { describeOverrides } from '../../../core/params.js';
import type { Verdict } from '../../../core/verification.js';
import type { LinkedVerification } from '../../../services/verification-service.js';
import { latestCheckView, runListView } from '../../run-views.js';
import { gateCell, retentionCell } from '../gate-report.js';
import { failedGates } from '../../../core/gates.js';
import { isSystemMetric } from '../../../core/metric-goal.js';
import type { CliContext } from '../context.js';
import { clip, formatDuration, formatNumber, table } from '../format.js';

export function registerLs(program: Command, ctx: CliContext): void {
  program
    .command('ls')
    .description('list runs, newest first')
    .option('--project <name>', 'only this project\'s runs')
    .option('--status <list>', `only these statuses, comma-separated (${RUN_STATUSES.join(', ')})`)
    .option('--dev', 'only dev runs')
    .option('--no-dev', 'leave dev runs out')
    .option('--filter <expr>', "only runs matching, e.g. \"params.lr < 0.01 and metrics.acc >= 0.9 and status = 'succeeded'\" (see docs/search.md)")
    .option('--sweep <sweep>', 'only the runs of this sweep (its name, id or id prefix), in the order they were queued')
    .option('--order <field>', 'sort by one field, e.g. "metrics.acc desc" (default "created desc")')
    .option('-n, --limit <n>', 'at most this many runs', '50')
    .option('--cursor <cursor>', 'the next page (printed after a full page)')
    .option('--json', 'print JSON')
    .action(async (opts: { project?: string; status?: string; dev?: boolean; filter?: string; sweep?: string; order?: string; limit: string; cursor?: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (!Number.isSafeInteger(limit) || limit < 1) {
        throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--limit ${JSON.stringify(opts.limit)}: expected a whole number of at least 1`);
      }
      const statuses = opts.status?.split(',').map((s) => s.trim()).filter(Boolean) as RunStatus[] | undefined;
      const bad = statuses?.find((s) => !RUN_STATUSES.includes(s));
      if (bad) throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--status ${JSON.stringify(bad)}: expected one of ${RUN_STATUSES.join(', ')}`);
      const app = await ctx.app();
      const sweep = opts.sweep !== undefined ? await app.queue.resolveSweep(opts.sweep) : undefined;
      const filter = [opts.filter !== undefined ? `(${opts.filter})` : '', sweep ? `sweep = '${sweep.id}'` : ''].filter(Boolean).join(' and ');
      const order = opts.order ?? (sweep ? 'created asc' : undefined);
      const page = await app.catalog.list({
        ...(opts.project !== undefined ? { project: opts.project } : {}),
        ...(statuses ? { statuses } : {}),
        ...(opts.dev !== undefined ? { dev: opts.dev } : {}),
        ...(filter !== '' ? { filter } : {}),
        ...(order !== undefined ? { order } : {}),
        ...(opts.cursor !== undefined ? { cursor: opts.cursor } : {}),
        limit,
      });
      const listing = page.runs;
      // The next page's cursor goes to stderr, so stdout (and --json) stays a plain list.
      if (page.nextCursor) ctx.err(`reprise: more runs: add --cursor ${page.nextCursor}`);
      const now = Date.now();
      const checks = await app.verifications.latestOf(listing.map((l) => l.run.id));
      if (opts.json) {
        ctx.json(
          listing.map((l) => ({
            ...runListView(l.run, l.metrics, now),
            reproduces: l.run.manifest.run.reproduces ?? null,
            check: latestCheckView(checks.get(l.run.id)),
            gate: l.run.manifest.outputs.gate?.status ?? null,
            failedGates: l.run.manifest.outputs.gate ? failedGates(l.run.manifest.outputs.gate) : [],
            retention: l.retention,
          })),
        );
        return;
      }
      if (listing.length === 0) {
        ctx.out(opts.filter || opts.cursor ? 'no runs match' : 'no runs yet: start one with `reprise run` in a project');
        return;
      }
      const idLength = uniquePrefixLength(listing.map((l) => l.run.id));
      const repro = listing.map(({ run }) => reproLabel(run, checks.get(run.id)));
      // The column shows only when some listed run has been reproduced or is a reproduction.
      const withRepro = repro.some((r) => r !== '');
      // Queued work shows where it waits or ran; a sweep's runs show their sweep.
      const queued = listing.map(({ run }) => queueLabel(run));
      const withQueue = queued.some((q) => q !== '');
      ctx.out(
        table(
          ['ID', 'NAME', 'STATUS', ...(withQueue ? ['QUEUE'] : []), 'GATE', 'KEEP', 'DURATION', 'COMMIT', 'PARAMS', 'METRICS', ...(withRepro ? ['REPRODUCED'] : [])],
          listing.map(({ run, metrics, retention }, i) => [
            run.id.slice(0, idLength),
            run.dev ? `${run.name} (dev)` : run.name,
            run.status,
            ...(withQueue ? [clip(queued[i]!, 36)] : []),
            clip(gateCell(run.manifest.outputs.gate), 28),
            retentionCell(retention),
            formatDuration(durationMs(run, now)),
            commitLabel(run),
            clip(describeOverrides(run.manifest.params.overrides), 40),
            clip(metricsLabel(metrics), 60),
            ...(withRepro ? [repro[i]!] : []),
          ]),
        ),
      );
    });
}

const SHORT_VERDICTS: Record<Verdict, string> = { exact: 'exactly', within_tolerance: 'within tolerance', diverged: 'diverged' };

/** `reproduces NAME: exactly` for a reproduction, `by NAME: diverged` for a run reproduced. */
function reproLabel(run: RunRecord, check: LinkedVerification | undefined): string {
  const reproduces = run.manifest.run.reproduces;
  if (check && check.role === 'reproduction') return `reproduces ${check.other.name ?? check.other.id.slice(0, 12)}: ${SHORT_VERDICTS[check.verification.verdict]}`;
  if (reproduces) return `reproduces ${reproduces.slice(0, 12)}: not compared`;
  if (check) return `by ${check.other.name ?? check.other.id.slice(0, 12)}: ${SHORT_VERDICTS[check.verification.verdict]}`;
  return '';
}

/** `default · sweep brave-otter · on gpu-box`: where a submitted run waited, its sweep, its worker. */
function queueLabel(run: RunRecord): string {
  const s = run.manifest.submission;
  if (!s) return '';
  const w = run.manifest.execution.worker;
  return [s.queue, s.sweep ? `sweep ${s.sweep.name}` : '', s.attempt > 1 ? `try ${s.attempt}` : '', w ? `on ${w.name}` : ''].filter(Boolean).join(' · ');
}

function commitLabel(run: RunRecord): string {
  const code = run.manifest.code;
  // Nothing recorded: say who logged it rather than leave the cell empty.
  if (!code) return run.manifest.trigger?.kind === 'mlflow' ? 'mlflow' : 'none';
  if (code.kind === 'folder') return 'folder';
  return `${code.commit.slice(0, 7)}${code.dirty ? '+' : ''}`;
}

function metricsLabel(metrics: Record<string, MetricSummary>): string {
  return Object.entries(metrics)
    .filter(([k]) => !isSystemMetric(k))
    .map(([k, s]) => `${k}=${formatNumber(s.last)}`)
    .join(' ');
}

/** The shortest prefix length (at least 12) that tells the listed ids apart. */
function uniquePrefixLength(ids: readonly string[]): number {
  for (let n = 12; n < 26; n++) {
    if (new Set(ids.map((id) => id.slice(0, n))).size === ids.length) return n;
  }
  return 26;
}
