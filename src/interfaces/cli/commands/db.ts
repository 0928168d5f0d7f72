import type { Command } from 'commander';
import { repriseHome } from '../../../app/assemble.js';
import { migrateMetadataStore } from '../../../app/backends.js';
import type { CliContext } from '../context.js';

export function registerDb(program: Command, ctx: CliContext): void {
  const db = program.command('db').description('the metadata database: SQLite under REPRISE_HOME, or the PostgreSQL database of --db / REPRISE_DB');
  db.command('migrate')
    .description('bring the database\'s schema to this version of Reprise (what a server does when it starts); safe to run while other servers use it')
    .option('--db <url>', 'the PostgreSQL database, postgres://USER:PASSWORD@HOST:PORT/DB (default: $REPRISE_DB, else SQLite under REPRISE_HOME)')
    .option('--json', 'print {store, from, to} as JSON')
    .action(async (opts: { db?: string; json?: boolean }) => {
      const env = { ...ctx.io.env, ...(opts.db !== undefined ? { REPRISE_DB: opts.db } : {}) };
      const r = await migrateMetadataStore(repriseHome(env), env);
      if (opts.json) {
        ctx.json({ store: r.location, from: r.from, to: r.to });
        return;
      }
      const where = `${r.location.kind === 'postgres' ? 'PostgreSQL' : 'SQLite'} ${r.location.where}`;
      ctx.out(r.from === r.to ? `${where}: schema ${r.to}, up to date` : `${where}: schema ${r.from} → ${r.to}`);
    });
}
