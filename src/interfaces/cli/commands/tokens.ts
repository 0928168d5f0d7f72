import type { Command } from 'commander';
import type { TokenRecord } from '../../../core/access.js';
import { parseDuration } from '../../../core/duration.js';
import { RepriseError } from '../../../core/errors.js';
import type { CliContext } from '../context.js';
import { formatTime, table } from '../format.js';

function state(t: TokenRecord, now: number): string {
  if (t.revokedAt !== null) return `revoked ${formatTime(t.revokedAt)}`;
  if (t.expiresAt !== null && t.expiresAt <= now) return `expired ${formatTime(t.expiresAt)}`;
  return t.expiresAt !== null ? `until ${formatTime(t.expiresAt)}` : 'no expiry';
}

export function registerTokens(program: Command, ctx: CliContext): void {
  const tokens = program
    .command('tokens')
    .description('API tokens: what scripts, agents and the mlflow client authenticate with (REPRISE_TOKEN, MLFLOW_TRACKING_TOKEN)');

  tokens
    .command('create')
    .description('create a token for a user; its text is printed once and never again (only its hash is kept)')
    .option('--user <name>', 'the user it acts as (through a server: default yourself)')
    .option('--expires <duration>', 'how long it works: 30d, 12h, 90m (default: until revoked)')
    .option('--description <text>', 'what it is for, shown by tokens ls')
    .option('--run <id>', 'a run token: it may write to this run only (what an agent or a cluster job of one run needs)')
    .option('--json', 'print {token, record} as JSON')
    .action(async (opts: { user?: string; expires?: string; description?: string; run?: string; json?: boolean }) => {
      const expiresInMs = opts.expires !== undefined ? parseDuration(opts.expires, '--expires') : undefined;
      const app = await ctx.app();
      const runId = opts.run !== undefined ? (await app.catalog.resolve(opts.run)).id : undefined;
      const created = await app.access.createToken({
        ...(opts.user !== undefined ? { user: opts.user } : {}),
        by: ctx.actor(),
        ...(expiresInMs !== undefined ? { expiresInMs } : {}),
        ...(opts.description !== undefined ? { description: opts.description } : {}),
        ...(runId !== undefined ? { runId } : {}),
      });
      if (opts.json) {
        ctx.json(created);
        return;
      }
      ctx.out(created.token);
      const r = created.record;
      ctx.err(`reprise: token ${r.id} for ${r.user}${r.runId ? `, run ${r.runId} only` : ''}, ${state(r, Date.now())}. Keep it now: it is not shown again.`);
      ctx.err('reprise: use it with: export REPRISE_TOKEN=<the token> (the mlflow client: MLFLOW_TRACKING_TOKEN)');
    });

  tokens
    .command('ls')
    .description('tokens (never their text): embedded, every user\'s; through a server, yours, or with --user / --all (admins) others\'')
    .option('--user <name>', "only this user's")
    .option('--all', "every user's")
    .option('--revoked', 'revoked ones too')
    .option('--json', 'print the tokens as JSON')
    .action(async (opts: { user?: string; all?: boolean; revoked?: boolean; json?: boolean }) => {
      const app = await ctx.app();
      const list = await app.access.listTokens({ ...(opts.user !== undefined ? { user: opts.user } : {}), all: opts.all ?? false, includeRevoked: opts.revoked ?? false });
      if (opts.json) {
        ctx.json(list);
        return;
      }
      if (list.length === 0) {
        ctx.out('no tokens');
        return;
      }
      const now = Date.now();
      ctx.out(
        table(
          ['ID', 'USER', 'KIND', 'STATE', 'LAST USED', 'CREATED', 'DESCRIPTION'],
          list.map((t) => [t.id, t.user ?? '(server)', t.kind === 'run' ? `run ${t.runId}` : 'user', state(t, now), t.lastUsedAt !== null ? formatTime(t.lastUsedAt) : '-', `${formatTime(t.createdAt)} by ${t.createdBy}`, t.description ?? '']),
        ),
      );
    });

  tokens
    .command('revoke')
    .description('revoke a token by its text or id, or every token of a user: refused from the next request on')
    .argument('[token]', 'the token, or its id from tokens ls')
    .option('--user <name>', 'with --all: whose tokens')
    .option('--all', "every live token of --user")
    .option('--json', 'print the tokens revoked as JSON')
    .action(async (token: string | undefined, opts: { user?: string; all?: boolean; json?: boolean }) => {
      if ((token === undefined) === !(opts.all && opts.user !== undefined)) {
        throw new RepriseError('REPRISE_ERR_ARG_INVALID', 'give a TOKEN (its text or id), or --user NAME --all', { details: { option: 'token' } });
      }
      const app = await ctx.app();
      const revoked = token !== undefined ? [await app.access.revoke(token, ctx.actor())] : await app.access.revokeAllOf(opts.user!, ctx.actor());
      if (opts.json) ctx.json(revoked);
      else ctx.out(revoked.length === 0 ? 'nothing to revoke' : revoked.map((t) => `revoked ${t.id} (${t.user ?? `run ${t.runId}`})`).join('\n'));
    });
}
