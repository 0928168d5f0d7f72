import type { Command } from 'commander';
import { registerModelMonitor } from './production.js';
import { resolve } from 'node:path';
import { describeGate } from '../../../core/gates.js';
import { decodeNumber } from '../../../core/json-number.js';
import { describeRef, parseModelRef, parseVersionRef, type ModelVersion } from '../../../core/model-store.js';
import { RepriseError } from '../../../core/errors.js';
import { checkRegisterFrom } from '../../../core/project-record.js';
import type { CliContext } from '../context.js';
import { clip, formatBytes, formatNumber, formatTime, plural, table } from '../format.js';

function metricsCell(v: ModelVersion): string {
  return Object.entries(v.lineage.metrics)
    .slice(0, 3)
    .map(([k, m]) => `${k}=${formatNumber(decodeNumber(m.last))}`)
    .join(' ');
}

/** The COMMIT cell: a version from a run the MLflow client logged has no recorded code. */
function codeCell(code: ModelVersion['lineage']['code']): string {
  if (!code) return 'mlflow';
  return code.kind === 'git' ? `${code.commit.slice(0, 12)}${code.dirty ? '+patch' : ''}` : 'folder';
}

export function registerModels(program: Command, ctx: CliContext): void {
  const models = program.command('models').description('the model store: registered models, their versions, aliases and lineage');
  registerModelMonitor(models, ctx);

  models
    .command('ls')
    .description('every registered model with its latest version and aliases')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await (await ctx.app()).models.list();
      if (opts.json) return ctx.json({ models: list });
      if (list.length === 0) return ctx.out('no registered models yet: reprise promote RUN --model NAME registers one');
      ctx.out(
        table(
          ['NAME', 'VERSIONS', 'LATEST', 'ALIASES', 'UPDATED'],
          list.map((m) => [m.name, String(m.versions), `v${m.latestVersion}`, Object.entries(m.aliases).map(([a, v]) => `${a}=v${v}`).join(' ') || '—', formatTime(m.updatedAt)]),
        ),
      );
    });

  models
    .command('show')
    .description("a model's versions (run, metrics, aliases), each version's lineage, and the audit log")
    .argument('<name>', 'the registered model')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const { model, versions, audit } = await (await ctx.app()).models.show(name);
      if (opts.json) return ctx.json({ model, versions, audit });
      ctx.out(`${model.name}: ${plural(model.versions, 'version')}; aliases ${Object.entries(model.aliases).map(([a, v]) => `${a} -> v${v}`).join(', ') || 'none'}`);
      ctx.out('');
      ctx.out(
        table(
          ['VERSION', 'ALIASES', 'RUN', 'COMMIT', 'METRICS', 'FILES', 'CREATED', 'BY'],
          versions.map((v) => [
            `v${v.version}`,
            v.aliases.join(' ') || '—',
            `${v.runName} (${v.runId.slice(0, 10)})`,
            codeCell(v.lineage.code),
            clip(metricsCell(v), 40),
            `${v.files.length} (${formatBytes(v.bytes)})`,
            formatTime(v.createdAt),
            v.createdBy,
          ]),
        ),
      );
      const latest = versions[0];
      if (latest) {
        ctx.out('');
        ctx.out(`lineage of v${latest.version}:`);
        ctx.out(`  run         ${latest.runName} ${latest.runId} (project ${latest.project})`);
        const c = latest.lineage.code;
        ctx.out(`  code        ${!c ? 'not recorded: logged through the MLflow client, outside `reprise run`' : c.kind === 'git' ? `${c.commit}${c.branch ? ` on ${c.branch}` : ''}${c.dirty ? ' with a patch' : ''}` : 'a folder snapshot'}`);
        ctx.out(`  params      ${clip(JSON.stringify(latest.lineage.params), 100)} (hash ${latest.lineage.paramsHash.slice(0, 12)})`);
        ctx.out(`  environment Python ${latest.lineage.environment.python ?? 'not recorded'}${latest.lineage.environment.lock ? `, lock ${latest.lineage.environment.lock.sha256.slice(0, 12)}` : ''}`);
        const gate = latest.lineage.gate;
        ctx.out(`  gates       ${gate ? `${gate.status}${gate.results.length ? `: ${gate.results.map((r) => `${describeGate(r)} (${String(r.actual)})`).join(', ')}` : ''}` : '—'}`);
        if (latest.note) ctx.out(`  note        ${latest.note}`);
      }
      if (audit.length > 0) {
        ctx.out('');
        ctx.out('audit log:');
        ctx.out(
          table(
            ['WHEN', 'WHO', 'ACTION', 'ALIAS', 'FROM', 'TO', 'NOTE'],
            audit.map((e) => [formatTime(e.at), e.by, e.action, e.alias || '—', e.fromVersion === null ? '—' : `v${e.fromVersion}`, e.toVersion === 0 ? '—' : `v${e.toVersion}`, clip(e.note ?? '', 50)]),
          ),
        );
      }
    });

  models
    .command('get')
    .description("write a version's files into a folder, each checked against its sha256")
    .argument('<ref>', 'NAME@ALIAS or NAME@VERSION, e.g. churn@production or churn@3')
    .requiredOption('-o, --output <dir>', 'a new or empty folder')
    .option('--json', 'print what was written as JSON')
    .action(async (text: string, opts: { output: string; json?: boolean }) => {
      const { name, ref } = parseModelRef(text);
      const app = await ctx.app();
      const dir = resolve(ctx.io.cwd, opts.output);
      const got = await app.models.fetch(name, ref, dir, (path, size) => {
        if (!opts.json) ctx.err(`  ${path} (${formatBytes(size)})`);
      });
      if (opts.json) return ctx.json({ model: name, version: got.version.version, dir: got.dir, files: got.version.files });
      ctx.out(`${describeRef(name, ref)} is v${got.version.version} (run ${got.version.runName}): ${plural(got.files, 'file')}, ${formatBytes(got.bytes)} written to ${got.dir}, every hash checked`);
    });

  models
    .command('alias')
    .description('point an alias (production, candidate, any name) at a version; the move is audited')
    .argument('<name>', 'the registered model')
    .argument('<version>', 'the version number')
    .argument('<alias>', 'the alias')
    .option('--note <text>', 'why, for the audit log')
    .option('--json', 'print the move as JSON')
    .action(async (name: string, versionText: string, alias: string, opts: { note?: string; json?: boolean }) => {
      const ref = parseVersionRef(versionText.replace(/^v/, ''), 'version');
      if (!('version' in ref)) throw new RepriseError('REPRISE_ERR_MODEL_INVALID', `version ${JSON.stringify(versionText)}: expected a number, e.g. 3`, { details: { field: 'version' } });
      const move = await (await ctx.app()).models.moveAlias({ model: name, version: ref.version, alias, ...(opts.note !== undefined ? { note: opts.note } : {}), by: ctx.actor() });
      if (opts.json) return ctx.json(move);
      ctx.out(`${name}@${move.alias}: ${move.from === null ? 'new' : `v${move.from}`} -> v${move.to}`);
    });

  models
    .command('policy')
    .description('which runs of a project a model version may be registered from through the MLflow API: promoted runs only (the default), or any run that passed')
    .argument('<project>', 'the project')
    .option('--register-from <which>', 'promoted | passed')
    .option('--json', 'print the project record as JSON')
    .action(async (project: string, opts: { registerFrom?: string; json?: boolean }) => {
      const app = await ctx.app();
      const record =
        opts.registerFrom !== undefined ? await app.models.setPolicy(project, checkRegisterFrom(opts.registerFrom, '--register-from')) : await app.models.policy(project);
      if (!record) throw new RepriseError('REPRISE_ERR_PROJECT_NOT_FOUND', `no project named ${JSON.stringify(project)}`, { details: { project } });
      if (opts.json) return ctx.json({ project: record });
      ctx.out(
        record.registerFrom === 'promoted'
          ? `${record.name}: the MLflow API registers versions from promoted runs only (reprise promote RUN --model NAME promotes one)`
          : `${record.name}: the MLflow API registers versions from any run that succeeded and passed its gates (registering promotes it)`,
      );
    });
}
