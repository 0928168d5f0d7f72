import type { Command } from 'commander';
import { ACTION_MEANING, ACTIONS, parseRole, ROLE_ACTIONS, type Role } from '../../../core/access.js';
import { RepriseError } from '../../../core/errors.js';
import type { UserView } from '../../../services/access-service.js';
import type { CliContext } from '../context.js';
import { formatTime, table } from '../format.js';
import { readSecretFromStdin } from '../secret-input.js';

function grantsText(u: UserView): string {
  const g = Object.entries(u.grants);
  return g.length === 0 ? '' : g.map(([p, r]) => `${p}:${r}`).join(', ');
}

function userLine(u: UserView): string {
  const grants = grantsText(u);
  return `${u.name}: ${u.role}${u.disabled ? ' (disabled)' : ''}${grants ? `; in ${grants}` : ''}`;
}

export function registerUsers(program: Command, ctx: CliContext): void {
  const users = program
    .command('users')
    .description('who may use a server with --auth, and in which role (embedded on the store under REPRISE_HOME, or through REPRISE_SERVER as an admin)')
    .addHelpText(
      'after',
      `\nRoles and what they may do:\n${(Object.keys(ROLE_ACTIONS) as Role[]).map((r) => `  ${r.padEnd(9)} ${ROLE_ACTIONS[r].join(', ')}`).join('\n')}` +
        `\n\nActions:\n${ACTIONS.map((a) => `  ${a.padEnd(9)} ${ACTION_MEANING[a]}`).join('\n')}`,
    );

  users
    .command('add')
    .description('add a user')
    .argument('<name>', 'letters, digits and . _ @ -')
    .requiredOption('--role <role>', 'admin, member, observer or viewer')
    .option('--password-stdin', 'read a password for web sign-in (and basic auth) from standard input')
    .option('--json', 'print the user as JSON')
    .action(async (name: string, opts: { role: string; passwordStdin?: boolean; json?: boolean }) => {
      const role = parseRole(opts.role);
      const password = opts.passwordStdin ? await readSecretFromStdin() : undefined;
      const app = await ctx.app();
      const u = await app.access.addUser({ name, role, ...(password !== undefined ? { password } : {}), by: ctx.actor() });
      if (opts.json) ctx.json(u);
      else {
        ctx.out(`added ${userLine(u)}`);
        if (!u.hasPassword) ctx.err(`reprise: ${name} has no password: give it a token (reprise tokens create --user ${name}) or a password (reprise users password ${name} --password-stdin)`);
      }
    });

  users
    .command('ls')
    .description('every user with its role, grants and state')
    .option('--json', 'print the users as JSON')
    .action(async (opts: { json?: boolean }) => {
      const app = await ctx.app();
      const list = await app.access.listUsers();
      if (opts.json) {
        ctx.json(list);
        return;
      }
      if (list.length === 0) {
        ctx.out('no users: add the first admin with reprise users add NAME --role admin');
        return;
      }
      ctx.out(table(['NAME', 'ROLE', 'GRANTS', 'STATE', 'PASSWORD', 'ADDED'], list.map((u) => [u.name, u.role, grantsText(u) || '-', u.disabled ? 'disabled' : 'enabled', u.hasPassword ? 'set' : '-', `${formatTime(u.createdAt)} by ${u.createdBy}`])));
    });

  users
    .command('role')
    .description("change a user's role on the server, or with --project its role in one project (none: take that grant away)")
    .argument('<name>')
    .argument('<role>', 'admin, member, observer or viewer (with --project, also none)')
    .option('--project <project>', 'the role in this project only, in place of the server role there')
    .option('--json', 'print the user as JSON')
    .action(async (name: string, roleText: string, opts: { project?: string; json?: boolean }) => {
      const app = await ctx.app();
      let u: UserView;
      if (opts.project !== undefined) {
        const role = roleText.trim().toLowerCase() === 'none' ? null : parseRole(roleText, 'ROLE');
        u = await app.access.grant(name, opts.project, role, ctx.actor());
      } else {
        u = await app.access.setRole(name, parseRole(roleText, 'ROLE'), ctx.actor());
      }
      if (opts.json) ctx.json(u);
      else ctx.out(userLine(u));
    });

  for (const [command, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    users
      .command(command)
      .description(disabled ? 'stop a user: its tokens are refused and its sessions end at once' : 'let a disabled user in again')
      .argument('<name>')
      .option('--json', 'print the user as JSON')
      .action(async (name: string, opts: { json?: boolean }) => {
        const app = await ctx.app();
        const u = await app.access.setDisabled(name, disabled, ctx.actor());
        if (opts.json) ctx.json(u);
        else ctx.out(userLine(u));
      });
  }

  users
    .command('password')
    .description("set a user's password for web sign-in, from standard input, or clear it (tokens only); either ends its sessions")
    .argument('<name>')
    .option('--password-stdin', 'read the password from standard input')
    .option('--clear', 'remove the password')
    .option('--json', 'print the user as JSON')
    .action(async (name: string, opts: { passwordStdin?: boolean; clear?: boolean; json?: boolean }) => {
      if (!opts.passwordStdin === !opts.clear) {
        throw new RepriseError('REPRISE_ERR_ARG_INVALID', 'give one of --password-stdin and --clear', { details: { option: '--password-stdin' } });
      }
      const password = opts.passwordStdin ? await readSecretFromStdin() : null;
      const app = await ctx.app();
      const u = await app.access.setPassword(name, password, ctx.actor());
      if (opts.json) ctx.json(u);
      else ctx.out(`${name}: password ${password === null ? 'cleared' : 'set'}`);
    });
}
