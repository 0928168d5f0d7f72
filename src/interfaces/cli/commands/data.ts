import type { Command } from 'commander';
import { resolve } from 'node:path';
import { ERROR_CODES, RepriseError } from '../../../core/errors.js';
import { checkFormat, formatOfPath, type DataFormat } from '../../../core/lake.js';
import { parseWholeNumber } from '../../../core/queue.js';
import type { CliContext } from '../context.js';
import { clip, formatBytes, plural, table } from '../format.js';

/** Commit times are what `--as-of` takes: shown whole, in UTC, to the millisecond. */
const iso = (ms: number): string => new Date(ms).toISOString();

/** A cell of a previewed row: JSON values as a person reads them. */
function cell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

export function registerData(program: Command, ctx: CliContext): void {
  const data = program
    .command('data')
    .description('the append-only lake: append files to tables, query them as of a time, see what each run read');

  data
    .command('append')
    .description('append the rows of a CSV (with a header), Parquet or JSON-lines file to a table as a new commit')
    .argument('<table>', 'the table (created by its first append): lower-case letters, digits, _')
    .argument('<file>', 'the file to append')
    .option('--format <format>', 'csv, parquet or jsonl (default: from the file name)')
    .option('--schema-evolve', 'accept columns added to or missing from the table (a changed type is never accepted)')
    .option('--json', 'print the commit as JSON')
    .action(async (tableName: string, file: string, opts: { format?: string; schemaEvolve?: boolean; json?: boolean }) => {
      const app = await ctx.app();
      const commit = await app.data.append(tableName, resolve(ctx.io.cwd, file), {
        ...(opts.format !== undefined ? { format: checkFormat(opts.format) } : {}),
        schemaEvolve: opts.schemaEvolve ?? false,
        by: ctx.actor(),
      });
      if (opts.json) return ctx.json({ commit });
      ctx.out(`appended ${plural(commit.rows, 'row')} to ${commit.table} as commit ${commit.id} (#${commit.seq}) at ${iso(commit.committedAt)}`);
      ctx.out(`  file ${commit.file} (${formatBytes(commit.bytes)}), sha256 ${commit.sha256}`);
      if (commit.evolved) {
        const parts = [...commit.evolved.added.map((c) => `+${c}`), ...commit.evolved.missing.map((c) => `-${c}`)];
        ctx.out(`  schema evolved: ${parts.join(' ')}`);
      }
    });

  data
    .command('query')
    .description('run a read-only SQL query over the lake as of a time: print its rows, or write them to a file')
    .argument('<sql>', 'a single SELECT over the lake\'s tables')
    .option('--as-of <time>', 'read only what was committed at or before this ISO 8601 time (UTC unless zoned); default now')
    .option('-o, --output <file>', 'write every row to this file (.parquet, .csv or .jsonl) instead of printing')
    .option('--format <format>', 'the output file\'s format when its name does not say: parquet, csv or jsonl')
    .option('--limit <n>', 'rows printed at most (default 50; -o writes all)', '50')
    .option('--json', 'print the rows (or the written file\'s facts) as JSON')
    .action(async (sql: string, opts: { asOf?: string; output?: string; format?: string; limit: string; json?: boolean }) => {
      const app = await ctx.app();
      const req = { sql, ...(opts.asOf !== undefined ? { asOf: opts.asOf } : {}) };
      if (opts.output !== undefined) {
        const dest = resolve(ctx.io.cwd, opts.output);
        const format: DataFormat | undefined = opts.format !== undefined ? checkFormat(opts.format) : formatOfPath(dest);
        if (!format) {
          throw new RepriseError('REPRISE_ERR_ARG_INVALID', `-o ${JSON.stringify(opts.output)}: name it .parquet, .csv or .jsonl, or give --format`, { details: { output: opts.output } });
        }
        const m = await app.data.export(req, format, dest);
        if (opts.json) return ctx.json({ path: dest, format, ...m });
        ctx.out(`${plural(m.rows, 'row')} as of ${iso(m.asOf)} written to ${dest} (${formatBytes(m.bytes)}); content hash ${m.contentHash}`);
        return;
      }
      const limit = parseWholeNumber(opts.limit, '--limit', 1, 10_000);
      const p = await app.data.preview(req, limit);
      if (opts.json) return ctx.json(p);
      ctx.err(`as of ${iso(p.asOf)}`);
      if (p.rows.length === 0) return ctx.out('(no rows)');
      ctx.out(table(p.schema.map((c) => c.name), p.rows.map((r) => r.map((v) => clip(cell(v), 60)))));
      if (p.truncated) ctx.err(`(first ${plural(limit, 'row')}; --limit for more, or -o FILE for all)`);
    });

  data
    .command('tables')
    .description("the lake's tables: commits, rows, size, first and last commit")
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const tables = await (await ctx.app()).data.tables();
      if (opts.json) return ctx.json({ tables });
      if (tables.length === 0) return ctx.out('the lake has no tables yet: reprise data append TABLE FILE adds one');
      ctx.out(
        table(
          ['TABLE', 'COMMITS', 'ROWS', 'SIZE', 'FIRST COMMIT', 'LAST COMMIT', 'COLUMNS'],
          tables.map((t) => [t.name, String(t.commits), String(t.rows), formatBytes(t.bytes), iso(t.firstCommitAt), iso(t.lastCommitAt), clip(t.schema.map((c) => `${c.name} ${c.type}`).join(', '), 60)]),
        ),
      );
    });

  data
    .command('history')
    .description("a table's appends (time, rows, hash) and the runs that read it, as of which time")
    .argument('<table>', 'the table')
    .option('--json', 'print JSON')
    .action(async (tableName: string, opts: { json?: boolean }) => {
      const h = await (await ctx.app()).data.history(tableName);
      if (opts.json) return ctx.json(h);
      ctx.out(`${h.table.name}: ${plural(h.table.commits, 'commit')}, ${plural(h.table.rows, 'row')}, ${formatBytes(h.table.bytes)}`);
      ctx.out(`  columns: ${h.table.schema.map((c) => `${c.name} ${c.type}`).join(', ')}`);
      ctx.out('');
      ctx.out(
        table(
          ['#', 'COMMIT', 'COMMITTED AT', 'ROWS', 'SHA256', 'FROM', 'BY'],
          h.commits.map((c) => [
            String(c.seq),
            c.id,
            iso(c.committedAt),
            String(c.rows),
            c.sha256.slice(0, 12),
            `${c.source.name}${c.evolved ? ` (schema ${[...c.evolved.added.map((x) => `+${x}`), ...c.evolved.missing.map((x) => `-${x}`)].join(' ')})` : ''}`,
            c.by,
          ]),
        ),
      );
      ctx.out('');
      if (h.reads.length === 0) return ctx.out('no run has read it yet');
      ctx.out('read by:');
      ctx.out(
        table(
          ['RUN', 'PROJECT', 'QUERY', 'AS OF', 'ROWS', 'CONTENT HASH', 'STATUS'],
          h.reads.map((r) => [`${r.runName} (${r.runId.slice(0, 10)})`, r.project, r.name, iso(r.asOf), r.rows === null ? '—' : String(r.rows), r.contentHash?.slice(0, 12) ?? '—', r.status]),
        ),
      );
    });

  data
    .command('verify')
    .description('read every lake file (of one table, or all) and report those changed or removed behind its back')
    .argument('[table]', 'only this table')
    .option('--json', 'print the problems as JSON')
    .action(async (tableName: string | undefined, opts: { json?: boolean }) => {
      const problems = await (await ctx.app()).data.verify(tableName);
      if (opts.json) {
        ctx.json({ problems });
        // The same exit as the error below: scripts can tell a damaged lake from a sound one.
        if (problems.length > 0) process.exitCode = ERROR_CODES.REPRISE_ERR_DATA_TAMPERED.exit;
        return;
      }
      if (problems.length === 0) return ctx.out(`every file of ${tableName ?? 'the lake'} matches its commit's sha256`);
      ctx.out(table(['TABLE', 'COMMIT', 'FILE', 'PROBLEM'], problems.map((p) => [p.table, p.commit, p.file, p.problem])));
      throw new RepriseError('REPRISE_ERR_DATA_TAMPERED', `${plural(problems.length, 'lake file')} no longer ${problems.length === 1 ? 'matches its commit' : 'match their commits'}: no query reads ${problems.length === 1 ? 'it' : 'them'}`, {
        details: { problems },
      });
    });
}
