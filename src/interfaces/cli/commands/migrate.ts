import type { Command } from 'commander';
import { RepriseError } from '../../../core/errors.js';
import { redactRepositoryUrl } from '../../../core/redact-url.js';
import type { CliContext } from '../context.js';

export function registerMigrate(program: Command, ctx: CliContext): void {
  program
    .command('migrate')
    .description('move an embedded store (SQLite and blobs under a REPRISE_HOME) to PostgreSQL and S3 for a team server; checks row counts and blob hashes; run again to finish an interrupted one')
    .requiredOption('--from <home>', 'the embedded store\'s folder (a REPRISE_HOME, e.g. ~/.reprise)')
    .requiredOption('--to <url>', 'the PostgreSQL database, postgres://USER:PASSWORD@HOST:PORT/DB (empty, or filled by an earlier migrate of the same store)')
    .requiredOption('--artifacts <url>', 'where the blobs go: s3://BUCKET/PREFIX (endpoint and credentials from the AWS_* environment), or a folder')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { from: string; to: string; artifacts: string; json?: boolean }) => {
      if (!/^postgres(ql)?:\/\//.test(opts.to)) {
        throw new RepriseError('REPRISE_ERR_STORE_URL_INVALID', `--to ${JSON.stringify(redactRepositoryUrl(opts.to))}: expected a postgres:// URL`, { details: { option: '--to' } });
      }
      // Loaded here: PostgreSQL and S3 are parsed only by the commands that use them.
      const { migrateStore } = await import('../../../app/migrate.js');
      const report = await migrateStore({ ...opts, env: ctx.io.env, say: (m) => ctx.err(`reprise migrate: ${m}`) });
      if (opts.json) {
        ctx.json(report);
        return;
      }
      const rows = report.tables.reduce((n, t) => n + t.rows, 0);
      const copied = report.tables.reduce((n, t) => n + t.copied, 0);
      ctx.out(
        `migrated ${rows} row(s) in ${report.tables.length} tables (${copied} copied now) and ${report.blobs.count} blob(s) (${report.blobs.copied} copied now, ${(report.blobs.bytesCopied / 2 ** 20).toFixed(1)} MiB) in ${report.seconds.toFixed(1)} s; counts and hashes match`,
      );
    });
}
