import type { Command } from 'commander';
import { RepriseError } from '../../../core/errors.js';
import { DEFAULT_MONITOR_SETTINGS, type Alert, type MonitorSettings, type MonitorSettingsChange } from '../../../core/model-monitoring.js';
import type { CliContext } from '../context.js';
import { formatTime, table } from '../format.js';
import { repeated } from '../repeated-option.js';

export function registerProduction(program: Command, ctx: CliContext): void {
  program
    .command('production')
    .description('production models and their health in plain words: traffic and p99 in the last hour, drift in the last window, open alerts')
    .argument('[model]', "one model: its drift per feature in the last windows too")
    .option('--json', 'print JSON')
    .action(async (model: string | undefined, opts: { json?: boolean }) => {
      const app = await ctx.app();
      if (model !== undefined) {
        const page = await app.monitoring.model(model);
        if (opts.json) return ctx.json(page);
        const s = page.summary;
        ctx.out(`${s.model}: ${s.words}`);
        for (const a of s.served) ctx.out(`  serving ${a.alias} → version ${a.version} (${a.runtime})${a.pending ? `; version ${a.pending.version} ${a.pending.error ? `failed to start: ${a.pending.error}` : 'starting'}` : ''}`);
        if (page.reference?.error) ctx.out(`  reference: ${page.reference.error}`);
        const windows = page.windows.slice(-5);
        if (windows.length > 0) {
          ctx.out('');
          ctx.out(
            table(
              ['WINDOW', 'VERSION', 'ROWS', 'DRIFTED', 'NOTE'],
              windows.map((w) => [formatTime(w.start), String(w.version), String(w.rows), w.features.filter((f) => f.drifted).map((f) => `${f.feature} (psi ${f.psi.toFixed(2)})`).join(', ') || '-', w.skipped ?? '']),
            ),
          );
        }
        printAlerts(ctx, page.alerts.filter((a) => a.ackedAt === null));
        return;
      }
      const models = await app.monitoring.summaries();
      if (opts.json) return ctx.json(models);
      if (models.length === 0) {
        ctx.out('no model is in production: serve one with reprise serve NAME@ALIAS (or reprise server --serve NAME@ALIAS)');
        return;
      }
      ctx.out(table(['MODEL', 'SERVING', 'HEALTH', 'ALERTS', 'IN WORDS'], models.map((m) => [m.model, m.served.map((s) => `${s.alias}→v${s.version}`).join(', ') || '-', m.health, String(m.openAlerts), m.words])));
    });

  const alerts = program.command('alerts').description('alerts of production models: drift, errors, latency, accuracy, versions that failed to take over');
  alerts
    .command('ls', { isDefault: true })
    .description('alerts, newest first')
    .option('--model <name>', "one model's")
    .option('--open', 'only those not yet acknowledged')
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'print JSON')
    .action(async (opts: { model?: string; open?: boolean; limit: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (!/^\d+$/.test(opts.limit) || limit < 1 || limit > 10_000) throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--limit ${JSON.stringify(opts.limit)}: expected a number from 1 to 10000`, { details: { option: '--limit' } });
      const app = await ctx.app();
      const list = await app.monitoring.alerts({ ...(opts.model !== undefined ? { model: opts.model } : {}), ...(opts.open ? { open: true } : {}), limit });
      if (opts.json) return ctx.json(list);
      if (list.length === 0) return ctx.out(opts.open ? 'no open alerts' : 'no alerts');
      printAlerts(ctx, list);
    });
  alerts
    .command('ack')
    .description('acknowledge an alert: who and when are kept (observers and admins)')
    .argument('<id>', 'the alert id (reprise alerts)')
    .option('--note <text>', 'what was done about it')
    .option('--json', 'print JSON')
    .action(async (idText: string, opts: { note?: string; json?: boolean }) => {
      if (!/^\d+$/.test(idText)) throw new RepriseError('REPRISE_ERR_ARG_INVALID', `alert id ${JSON.stringify(idText)}: expected a number (reprise alerts lists them)`, { details: { field: 'id' } });
      const app = await ctx.app();
      const a = await app.monitoring.ack(Number(idText), ctx.actor(), opts.note ?? null);
      if (opts.json) return ctx.json(a);
      ctx.out(`alert ${a.id} acknowledged by ${a.ackedBy} at ${formatTime(a.ackedAt!)}${a.ackNote ? `: ${a.ackNote}` : ''}`);
    });
}

function printAlerts(ctx: CliContext, list: readonly Alert[]): void {
  if (list.length === 0) return;
  ctx.out('');
  ctx.out(
    table(
      ['ID', 'RAISED', 'MODEL', 'KIND', 'MESSAGE', 'ACKNOWLEDGED'],
      list.map((a) => [String(a.id), formatTime(a.raisedAt), `${a.model}${a.version !== null ? ` v${a.version}` : ''}`, a.kind, a.message, a.ackedAt !== null ? `${a.ackedBy} ${formatTime(a.ackedAt)}` : '-']),
    ),
  );
}

/** `reprise models monitor NAME [...]`: a model's monitoring settings, shown or changed. */
export function registerModelMonitor(models: Command, ctx: CliContext): void {
  models
    .command('monitor')
    .description("a model's monitoring settings, shown, or changed with the options (admins through a server)")
    .argument('<name>', 'the registered model')
    .option('--sample-rate <share>', 'share of prediction requests kept for drift scoring, 0 to 1', parseShare)
    .option('--retention <duration>', 'how long sampled requests are kept, e.g. 30d')
    .option('--window <duration>', 'length of a drift window, e.g. 1h or 10m')
    .option('--min-rows <n>', 'fewest sampled rows a window needs to be scored', (v) => parseCount(v, '--min-rows'))
    .option('--threshold <name=value>', `a threshold, repeated: ${Object.keys(DEFAULT_MONITOR_SETTINGS.thresholds).join(', ')} (value "off" for latencyP99Ms and accuracy)`, repeated, [])
    .option('--webhook <url>', 'an incoming webhook told of every alert (replaces the list), repeated', repeated, [])
    .option('--no-webhooks', 'tell no webhook')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { sampleRate?: number; retention?: string; window?: string; minRows?: number; threshold: string[]; webhook: string[]; webhooks: boolean; json?: boolean }) => {
      const thresholds: Record<string, number | null> = {};
      for (const t of opts.threshold) {
        const m = /^([A-Za-z0-9]+)=(.+)$/.exec(t);
        if (!m) throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--threshold ${JSON.stringify(t)}: expected NAME=VALUE, e.g. psi=0.25`, { details: { option: '--threshold' } });
        const value = m[2] === 'off' ? null : Number(m[2]);
        if (value !== null && !Number.isFinite(value)) throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--threshold ${m[1]}: ${JSON.stringify(m[2])} is not a number`, { details: { option: '--threshold' } });
        thresholds[m[1]!] = value;
      }
      const change: MonitorSettingsChange = {
        ...(opts.sampleRate !== undefined ? { sampleRate: opts.sampleRate } : {}),
        ...(opts.retention !== undefined ? { retention: opts.retention } : {}),
        ...(opts.window !== undefined ? { window: opts.window } : {}),
        ...(opts.minRows !== undefined ? { minRows: opts.minRows } : {}),
        ...(Object.keys(thresholds).length > 0 ? { thresholds } : {}),
        ...(opts.webhook.length > 0 ? { webhooks: opts.webhook } : !opts.webhooks ? { webhooks: [] } : {}),
      };
      const app = await ctx.app();
      const settings = Object.keys(change).length > 0 ? await app.monitoring.changeSettings(name, change, ctx.actor()) : await app.monitoring.settings(name);
      if (opts.json) return ctx.json(settings);
      printSettings(ctx, name, settings);
    });
}

function printSettings(ctx: CliContext, name: string, s: MonitorSettings): void {
  const t = s.thresholds;
  ctx.out(`${name}: sample ${Math.round(s.sampleRate * 1000) / 10}% of requests, kept ${s.retentionMs / 86_400_000} days; drift windows of ${s.windowMs / 60_000} min, scored from ${s.minRows} rows`);
  ctx.out(`thresholds: psi ${t.psi}, ks ${t.ks}, js ${t.js}, error rate ${t.errorRate}, p99 latency ${t.latencyP99Ms ?? 'off'}${t.latencyP99Ms !== null ? ' ms' : ''}, accuracy ${t.accuracy ?? 'off'}`);
  ctx.out(`webhooks: ${s.webhooks.length ? s.webhooks.length : 'none'}`);
}

function parseShare(v: string): number {
  const n = Number(v);
  if (!/^\d*\.?\d+$/.test(v) || n < 0 || n > 1) throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--sample-rate ${JSON.stringify(v)}: expected a share from 0 to 1, e.g. 0.1`, { details: { option: '--sample-rate' } });
  return n;
}

function parseCount(v: string, option: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new RepriseError('REPRISE_ERR_ARG_INVALID', `${option} ${JSON.stringify(v)}: expected a whole number, at least 1`, { details: { option } });
  return Number(v);
}
