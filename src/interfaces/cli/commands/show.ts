import type { Command } from 'commander';
import { describeTrigger, triggerOf } from '../../../core/trigger.js';
import { describeOverrides, flattenParams, type ParamValue, type Params } from '../../../core/params.js';
import { durationMs, type RunRecord } from '../../../core/run.js';
import type { Artifact, MetricSummary, RunManifest } from '../../../core/run-manifest.js';
import { VERDICT_LABELS } from '../../../core/verification.js';
import type { LinkedVerification } from '../../../services/verification-service.js';
import { notRecorded, reproducibilityView, runDetailView } from '../../run-views.js';
import type { Retention } from '../../../core/retention.js';
import type { RunModelVersion } from '../../../core/model-store.js';
import type { CliContext } from '../context.js';
import { gateLine, gateTable, retentionLine } from '../gate-report.js';
import { formatBytes, formatDuration, formatNumber, formatTime, table } from '../format.js';

export function registerShow(program: Command, ctx: CliContext): void {
  program
    .command('show')
    .description('everything recorded about a run: code, params, environment, stages, metrics, artifacts')
    .argument('<run>', 'run id, unique id prefix, or name')
    .option('--json', 'print JSON (the whole manifest included)')
    .action(async (ref: string, opts: { json?: boolean }) => {
      const app = await ctx.app();
      const { run, metrics, artifacts, retention, models, params } = await app.catalog.details(ref);
      const checks = await app.verifications.of(run);
      const histograms = await app.store.histogramKeys(run.id);
      if (opts.json) {
        ctx.json({
          ...runDetailView(run, metrics, artifacts),
          // `params` holds the overrides, as `ls --json` does; these are every param, logged ones too.
          allParams: params,
          histograms,
          reproducibility: reproducibilityView(run, checks),
          gate: run.manifest.outputs.gate ?? null,
          retention,
          models,
        });
        return;
      }
      ctx.out(renderRun(run, metrics, artifacts, params));
      if (histograms.length > 0) {
        ctx.out(`histograms (${histograms.length})\n${indent(table(['KEY', 'POINTS', 'STEPS'], histograms.map((h) => [h.key, String(h.count), `${h.firstStep} to ${h.lastStep}`])))}`);
      }
      const queued = renderQueued(run);
      if (queued) ctx.out(queued);
      ctx.out(renderReproducibility(run, checks));
      ctx.out(renderKeeping(run, retention, models));
    });
}

/** How a queued run was submitted, its sweep and retries, and the worker that ran it; '' for a run started in the foreground. */
function renderQueued(run: RunRecord): string {
  const s = run.manifest.submission;
  if (!s) return '';
  const w = run.manifest.execution.worker;
  const out = ['queue'];
  out.push(`  submitted ${formatTime(s.at)} by ${s.by} (${s.via}) to queue ${s.queue}, priority ${s.priority}`);
  if (s.sweep) out.push(`  sweep     ${s.sweep.name} (${s.sweep.id}), run ${s.sweep.index + 1}`);
  out.push(`  attempt   ${s.attempt} of up to ${s.retries + 1}${s.retryOf ? `, retrying ${s.retryOf}` : ''}${s.retriedAs ? `; retried as ${s.retriedAs}` : ''}`);
  out.push(`  worker    ${w ? `${w.name} on ${w.host}, claimed ${formatTime(w.claimedAt)}${w.gpus.length ? `, GPU ${w.gpus.join(',')}` : ''}` : 'none yet'}`);
  return out.join('\n');
}

/** Gates, retention and the model versions made from the run. */
function renderKeeping(run: RunRecord, retention: Retention | null, models: readonly RunModelVersion[]): string {
  const out = ['gates'];
  const gate = run.manifest.outputs.gate;
  out.push(`  outcome   ${gateLine(gate)}`);
  if (gate && gate.results.length > 0) out.push(indent(gateTable(gate), '    '));
  out.push('retention');
  out.push(`  ${retentionLine(retention)}`);
  if (models.length > 0) {
    out.push('models');
    for (const m of models) out.push(`  ${m.model} v${m.version}${m.aliases.length ? ` (${m.aliases.join(', ')})` : ''}`);
  }
  return out.join('\n');
}

function indent(text: string, by = '  '): string {
  return text
    .split('\n')
    .map((l) => by + l)
    .join('\n');
}

/** `params`: all the run's params under dotted keys; those beyond the params file (logged as the run went, e.g. through MLflow) are shown apart. */
export function renderRun(run: RunRecord, metrics: Record<string, MetricSummary>, artifacts: Artifact[], params: Readonly<Record<string, ParamValue>> = {}): string {
  const m = run.manifest;
  const out: string[] = [];
  out.push(`run ${run.name}${run.dev ? ' (dev)' : ''}  ${run.id}`);
  out.push(`  project   ${run.project}`);
  out.push(`  status    ${run.status}`);
  out.push(`  created   ${formatTime(run.createdAt)}   duration ${formatDuration(durationMs(run, Date.now()))}`);
  const trigger = triggerOf(m);
  out.push(`  started   by ${describeTrigger(trigger)}`);
  if (trigger.kind === 'merge') {
    if (trigger.delivery) out.push(`            delivery ${trigger.delivery}${trigger.url ? ` · ${trigger.url}` : ''}`);
    const img = trigger.image;
    if (img) out.push(`  image     ${img.error ? `not built: ${img.error.split('\n')[0]}` : `${img.ref}${img.digest ? ` (${img.digest})` : ''}`}`);
  }
  if (trigger.kind === 'ci' && trigger.url) out.push(`            job ${trigger.url}`);
  if (m.failure) {
    out.push(`  reason    ${m.failure.message}`);
    if (m.failure.stderrTail.length) out.push('  last lines of stderr:', indent(m.failure.stderrTail.join('\n'), '    | '));
  }

  out.push('code');
  const code = m.code;
  if (!code) {
    out.push(`  ${notRecorded(m)}`);
    // What the client said of its script; Reprise holds none of it.
    if (trigger.kind === 'mlflow' && (trigger.source || trigger.commit)) {
      out.push(`  source    ${trigger.source ?? '(not given)'}${trigger.commit ? ` at commit ${trigger.commit}` : ''} (as the client reported; Reprise keeps no copy)`);
    }
  } else if (code.kind === 'git') {
    out.push(`  commit    ${code.commit}${code.branch ? ` on ${code.branch}` : ' (detached)'}`);
    out.push(`  remote    ${code.remoteUrl ?? '(none)'}`);
    out.push(`  changes   ${code.dirty ? `${code.changedFiles.length} uncommitted file(s), patch ${formatBytes(code.patch?.size ?? 0)}: ${code.changedFiles.slice(0, 8).join(', ')}${code.changedFiles.length > 8 ? ', …' : ''}` : 'none (clean tree)'}`);
    if (code.subdir) out.push(`  project   ${code.subdir}/ in the repository`);
    if (code.archive) out.push(`  files     a copy of the commit's files came with a bundle (${formatBytes(code.archive.size)})`);
  } else {
    out.push(`  folder snapshot: ${code.files} files, ${formatBytes(code.bytes)} (not a git repository)`);
  }

  if (m.data?.length) {
    out.push('data');
    for (const d of m.data) {
      const pinned = d.pinnedAs === 'submit' ? 'pinned at submit' : `pinned as ${d.pinnedAs}`;
      out.push(`  ${d.name.padEnd(9)} ${d.source.name}${d.source.url ? ` (${d.source.url})` : ''} as of ${new Date(d.asOf).toISOString()} (${pinned}) · ${d.format}`);
      out.push(`            ${d.query}`);
      const s = d.snapshot;
      if (!s) {
        out.push('            not materialized');
        continue;
      }
      const check = s.check === 'matched' ? '; the source still gives the same rows' : s.check === 'source-unavailable' ? "; the source is gone: the original's copy was used" : '';
      out.push(`            ${s.rows} row(s), content hash ${s.contentHash.slice(0, 16)}…, file ${formatBytes(s.blob.size)}${s.from === 'recorded' ? " (the original run's)" : ''}${check}`);
      out.push(`            columns ${s.schema.map((c) => `${c.name} ${c.type}`).join(', ')}`);
    }
  }

  out.push('params');
  out.push(`  file      ${m.params.file ?? '(none)'}   hash ${m.params.hash}`);
  if (m.params.overrides.length) out.push(`  overrides ${describeOverrides(m.params.overrides)}`);
  out.push(`  values    ${JSON.stringify(m.params.values)}`);
  const fromFile = flattenParams(m.params.values as Params);
  const logged = Object.fromEntries(Object.entries(params).filter(([k]) => !(k in fromFile)));
  if (Object.keys(logged).length > 0) out.push(`  logged    ${JSON.stringify(logged)}`);

  out.push('environment');
  out.push(...environmentLines(m));

  out.push(...pipelineLines(m));

  const keys = Object.entries(metrics);
  out.push(`metrics (${keys.length})`);
  if (keys.length) {
    out.push(indent(table(['KEY', 'LAST', 'STEP', 'MIN', 'MAX', 'COUNT'], keys.map(([k, s]) => [k, formatNumber(s.last), String(s.lastStep), formatNumber(s.min), formatNumber(s.max), String(s.count)]))));
  }
  const mp = m.outputs.metricProblems;
  if (mp.count > 0) {
    out.push(`  ${mp.count} metrics line(s) could not be read:`);
    for (const p of mp.examples) out.push(`    line ${p.line}: ${p.problem}`);
  }
  const tb = m.outputs.tensorboard;
  if (tb) {
    out.push(`tensorboard: ${tb.records} record(s) read from ${tb.files} event file(s)${tb.skipped ? `, ${tb.skipped} skipped:` : ''}`);
    for (const p of tb.examples) out.push(`    ${p.file} at byte ${p.offset}: ${p.problem}`);
  }

  const total = artifacts.reduce((n, a) => n + a.size, 0);
  out.push(`artifacts (${artifacts.length}, ${formatBytes(total)})`);
  if (artifacts.length) out.push(indent(table(['PATH', 'SIZE', 'SHA256'], artifacts.map((a) => [a.path, formatBytes(a.size), a.sha256.slice(0, 12)]))));
  if (m.outputs.model) out.push(`model: ${m.outputs.model.files} file(s), ${formatBytes(m.outputs.model.bytes)}${m.outputs.model.name ? ` (registers as ${m.outputs.model.name})` : ''}`);
  return out.join('\n');
}

function environmentLines(m: RunManifest): string[] {
  const e = m.environment;
  if (!e) return [`  ${notRecorded(m)}`];
  const out: string[] = [];
  out.push(`  python    ${e.python ? `${e.python.version} (${e.python.path})` : '(none found)'}`);
  out.push(`  machine   ${e.hostname} · ${e.os.type} ${e.os.release} · ${e.arch} · ${e.cpu.model} × ${e.cpu.cores} · ${formatBytes(e.memoryBytes)}`);
  out.push(`  gpus      ${e.gpus.length ? e.gpus.map((g) => `${g.name}${g.memoryMiB ? ` ${g.memoryMiB} MiB` : ''}`).join(', ') : 'none'}`);
  out.push(`  user      ${e.user} · reprise ${e.repriseVersion} · node ${e.nodeVersion}`);
  for (const r of e.requirements) out.push(`  requires  ${r.path} sha256:${r.sha256.slice(0, 16)}…`);
  if (e.image) out.push(`  image     ${e.image.ref}${e.image.digest ? ` (${e.image.digest})` : ''}`);
  const env = e.resolved;
  if (env) {
    const how = env.kind === 'system' ? 'the interpreter as it is' : `venv ${env.hash?.slice(0, 12)} from ${env.source}, ${env.cacheHit ? 'reused' : `built in ${formatDuration(env.buildMs)}`}`;
    out.push(`  env       ${how}${env.rebuiltBecause ? ` (rebuilt: ${env.rebuiltBecause})` : ''}`);
    out.push(`  lock      pip freeze sha256:${env.lock.sha256.slice(0, 16)}… (${formatBytes(env.lock.size)})${env.pipVersion ? ` · pip ${env.pipVersion}` : ''}`);
  }
  return out;
}

function pipelineLines(m: RunManifest): string[] {
  // A run the MLflow client logged ran no stages of Reprise's: its seed and executor mean nothing.
  if (m.execution.stages.length === 0 && m.trigger?.kind === 'mlflow') return ['pipeline', `  none: logged through the MLflow client, outside \`reprise run\``];
  if (m.execution.stages.length === 0 && m.trigger?.kind === 'tensorboard') return ['pipeline', '  none: imported from TensorBoard event files'];
  const head = `pipeline (seed ${m.pipeline.seed}, ${m.pipeline.seedSource}; executor ${m.pipeline.executor})`;
  if (m.execution.stages.length === 0) return [head, '  no stages'];
  return [
    head,
    indent(
      table(
        ['STAGE', 'STATUS', 'EXIT', 'DURATION', 'COMMAND'],
        m.execution.stages.map((s) => [
          s.name,
          s.status,
          s.exitCode === null ? (s.signal ?? '-') : String(s.exitCode),
          formatDuration(s.startedAt !== null && s.endedAt !== null ? s.endedAt - s.startedAt : null),
          s.cmd,
        ]),
      ),
    ),
  ];
}

/** How the run stands with its reproductions, or how to reproduce it. */
export function renderReproducibility(run: RunRecord, checks: readonly LinkedVerification[]): string {
  const out = ['reproducibility'];
  const named = (o: LinkedVerification['other']) => `${o.name ?? '(deleted run)'} (${o.id})`;
  const reproduces = run.manifest.run.reproduces;
  if (reproduces && !checks.some((c) => c.role === 'reproduction' && c.other.id === reproduces)) {
    out.push(`  reproduces     ${reproduces}: not compared yet`);
  }
  for (const c of checks) {
    const v = c.verification;
    const label = `${VERDICT_LABELS[v.verdict]}${v.differences.length ? ` (${v.differences.length} difference(s))` : ''} · checked ${formatTime(v.checkedAt)}`;
    out.push(c.role === 'reproduction' ? `  reproduces     ${named(c.other)}: ${label}` : `  reproduced by  ${named(c.other)}: ${label}`);
  }
  // Only a run with recorded code and environment can be reproduced; don't suggest it otherwise.
  const reproducible = run.manifest.code !== null && run.manifest.environment !== null;
  const why = run.manifest.trigger?.kind === 'mlflow' ? ' (logged through the MLflow client, outside `reprise run`)' : '';
  if (out.length === 1 && !reproducible) out.push(`  cannot be reproduced: its code and environment were not recorded${why}`);
  else if (out.length === 1) out.push(`  not reproduced yet${run.status === 'succeeded' ? `: reprise reproduce ${run.name}` : ''}`);
  return out.join('\n');
}
