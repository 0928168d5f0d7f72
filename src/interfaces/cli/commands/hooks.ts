import type { Command } from 'commander';
import { join } from 'node:path';
import { API_PREFIX } from '../../../core/api-version.js';
import { RepriseError } from '../../../core/errors.js';
import { redactRepositoryUrl } from '../../../core/redact-url.js';
import { INSTALL_DIR, repriseHome, repositoryHooks } from '../../../app/assemble.js';
import type { HookAnswer } from '../../../services/merge-trigger.js';
import { repositoryDeliveryId, type HookKind } from '../../../services/repository-hook.js';
import type { CliContext } from '../context.js';
import { formatTime, runPageUrl, table } from '../format.js';
import { say } from '../run-progress.js';

interface LinkOptions {
  project?: string;
  branch?: string;
  queue?: string;
  path?: string;
  secret?: string;
  secretEnv?: string;
  json?: boolean;
}

/** Where hosts post their webhooks: the server's hook URL, as this command knows the server. */
function hookUrl(ctx: CliContext): string {
  const server = ctx.io.env.REPRISE_SERVER?.replace(/\/+$/, '') ?? 'http://HOST:PORT';
  return `${server}${API_PREFIX}/hooks/git`;
}

export function registerHooks(program: Command, ctx: CliContext): void {
  /** The repository here: installing and running hooks needs no store, so no server either. */
  const local = () => repositoryHooks(repriseHome(ctx.io.env));
  const hooks = program.command('hooks').description('merges that run the pipeline: repositories linked to projects, and hooks in repositories');

  hooks
    .command('link')
    .description('link a project to the repository whose pushes to a branch queue a run of its pipeline (on the server with REPRISE_SERVER)')
    .argument('<url>', 'where the server fetches pushed commits from: https://…, ssh://…, git@host:owner/repo.git, or a path on the server')
    .option('--project <name>', 'the project (default: the one around this folder)')
    .option('--branch <name>', 'the branch whose pushes start a run', 'main')
    .option('--queue <name>', "where the runs wait (default: resources.queue of reprise.yaml, else default)")
    .option('--path <dir>', "the project's folder in the repository (default: this project's, else the root)")
    .option('--secret <secret>', 'what the host signs deliveries with (default: a new one, printed once)')
    .option('--secret-env <var>', 'read the secret from this environment variable instead')
    .option('--json', 'print the link (and a generated secret) as JSON')
    .action(async (url: string, opts: LinkOptions) => {
      if (opts.secret !== undefined && opts.secretEnv !== undefined) throw new RepriseError('REPRISE_ERR_ARG_INVALID', 'give --secret or --secret-env, not both');
      const secret = opts.secretEnv !== undefined ? ctx.io.env[opts.secretEnv] : opts.secret;
      if (opts.secretEnv !== undefined && secret === undefined) {
        throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--secret-env ${opts.secretEnv}: that variable is not set`, { details: { flag: '--secret-env' } });
      }
      const app = await ctx.app();
      const here = opts.project === undefined || opts.path === undefined ? await local().projectAround(ctx.io.cwd) : null;
      const project = opts.project ?? here?.project;
      if (project === undefined) {
        throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--project is needed: no reprise.yaml around ${ctx.io.cwd} names one`, { details: { flag: '--project' } });
      }
      const path = opts.path ?? (here && here.project === project ? here.path : undefined);
      const { link, generatedSecret } = await app.hooks.link({
        project,
        url,
        by: ctx.actor(),
        ...(opts.branch !== undefined ? { branch: opts.branch } : {}),
        ...(opts.queue !== undefined ? { queue: opts.queue } : {}),
        ...(path !== undefined ? { path } : {}),
        ...(secret !== undefined ? { secret } : {}),
      });
      if (opts.json) {
        ctx.json({ link: { ...link, url: redactRepositoryUrl(link.url) }, secret: generatedSecret, hookUrl: hookUrl(ctx) });
        return;
      }
      ctx.out(`linked project ${link.project} to ${redactRepositoryUrl(link.url)}: pushes to ${link.branch} queue a run${link.queue ? ` in queue ${link.queue}` : ''}${link.path ? ` of the project in ${link.path}/` : ''}`);
      if (generatedSecret) ctx.out(`secret: ${generatedSecret}\n(shown once: give it to the webhook; \`reprise hooks link\` again with --secret sets another)`);
      ctx.out(`webhook: ${hookUrl(ctx)} · content type application/json · the secret above · push events`);
      if (!app.server) say(ctx, 'this link is in the store under REPRISE_HOME; the server serving that store receives the hooks');
    });

  hooks
    .command('ls')
    .description('projects linked to repositories')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const app = await ctx.app();
      const links = await app.hooks.links();
      if (opts.json) {
        ctx.json({ links: links.map((l) => ({ ...l, url: redactRepositoryUrl(l.url) })) });
        return;
      }
      ctx.out(
        links.length === 0
          ? 'no project is linked to a repository: reprise hooks link URL --project NAME'
          : table(
              ['PROJECT', 'REPOSITORY', 'BRANCH', 'QUEUE', 'FOLDER', 'LINKED'],
              links.map((l) => [l.project, redactRepositoryUrl(l.url), l.branch, l.queue ?? '(reprise.yaml)', l.path || '.', `${formatTime(l.updatedAt)} by ${l.createdBy}`]),
            ),
      );
    });

  hooks
    .command('unlink')
    .description("unlink a project from its repository: its pushes start nothing any more")
    .argument('<project>')
    .action(async (project: string) => {
      const app = await ctx.app();
      await app.hooks.unlink(project);
      ctx.out(`project ${project} is no longer linked to a repository`);
    });

  hooks
    .command('install')
    .description('for a repository without a hosted git: install a hook (post-receive in a bare repository, post-merge in a clone) that has the server run the pipeline for each push to the branch')
    .option('--branch <name>', 'the branch whose pushes start a run', 'main')
    .option('--server <url>', 'the Reprise server (default: REPRISE_SERVER now, recorded in the hook)')
    .option('--path <dir>', "the project's folder in the repository (default: found at the branch's tip)")
    .option('--queue <name>', 'where the runs wait (default: as reprise.yaml says)')
    .option('--force', 'replace a hook of the same name that is not Reprise\'s')
    .action(async (opts: { branch: string; server?: string; path?: string; queue?: string; force?: boolean }) => {
      const server = opts.server ?? ctx.io.env.REPRISE_SERVER;
      if (!server) {
        throw new RepriseError('REPRISE_ERR_ARG_INVALID', 'no server to report pushes to: pass --server URL or set REPRISE_SERVER', { details: { flag: '--server' } });
      }
      const installed = await local().install({
        cwd: ctx.io.cwd,
        branch: opts.branch,
        server: server.replace(/\/+$/, ''),
        force: opts.force ?? false,
        // The hook runs this installation of Reprise, whatever PATH the pusher has.
        command: [process.execPath, join(INSTALL_DIR, 'bin', 'reprise.js')],
        ...(opts.path !== undefined ? { path: opts.path } : {}),
        ...(opts.queue !== undefined ? { queue: opts.queue } : {}),
      });
      ctx.out(`${installed.replaced ? 'replaced' : 'installed'} ${installed.file}: each ${installed.kind === 'post-receive' ? 'push' : 'merge'} to ${installed.branch} has ${installed.server} run the pipeline${installed.path ? ` of ${installed.path}/` : ''}`);
      say(ctx, `the server reads the code from ${installed.repository}: it must be able to read that path`);
    });

  hooks
    .command('notify')
    .description("what an installed hook runs: reports the pushes git names on stdin (post-receive) or the merge just made (post-merge) to REPRISE_SERVER")
    .requiredOption('--hook <kind>', 'post-receive or post-merge')
    .option('--branch <name>', 'the branch whose pushes start a run', 'main')
    .option('--path <dir>', "the project's folder in the repository", '')
    .option('--queue <name>', 'where the runs wait')
    .action(async (opts: { hook: string; branch: string; path: string; queue?: string }) => {
      if (opts.hook !== 'post-receive' && opts.hook !== 'post-merge') {
        throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--hook ${JSON.stringify(opts.hook)}: expected post-receive or post-merge`, { details: { flag: '--hook' } });
      }
      const server = ctx.io.env.REPRISE_SERVER;
      if (!server) throw new RepriseError('REPRISE_ERR_ARG_INVALID', 'REPRISE_SERVER is not set: the hook does not know where to report', { details: { variable: 'REPRISE_SERVER' } });
      const stdin = opts.hook === 'post-receive' ? await readAll(process.stdin) : '';
      const { repository, pushes } = await local().pushes(opts.hook as HookKind, stdin, opts.branch, ctx.io.cwd);
      let failed = false;
      for (const push of pushes) {
        const res = await fetch(`${server.replace(/\/+$/, '')}${API_PREFIX}/hooks/git`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-reprise-event': 'push', 'x-reprise-delivery': repositoryDeliveryId(repository, push) },
          body: JSON.stringify({ ...push, repository, sender: ctx.actor(), branch: opts.branch, path: opts.path, ...(opts.queue ? { queue: opts.queue } : {}) }),
        }).catch((e: Error) => e);
        if (res instanceof Error) {
          failed = true;
          say(ctx, `could not reach ${server}: ${res.message}; no run was started for ${push.after.slice(0, 12)}`);
          continue;
        }
        const body = (await res.json().catch(() => ({}))) as Partial<HookAnswer> & { error?: { message?: string } };
        if (!res.ok) {
          failed = true;
          say(ctx, `the server refused ${push.after.slice(0, 12)}: ${body.error?.message ?? res.statusText}`);
          continue;
        }
        for (const o of body.projects ?? []) {
          if ('queued' in o) say(ctx, `queued run ${o.queued.name} of ${o.project} at ${o.queued.commit.slice(0, 12)}: ${runPageUrl(server, o.queued.id)}`);
          else if ('duplicate' in o) say(ctx, `${o.project}: already queued for this push`);
          else if ('skipped' in o) say(ctx, `${o.project}: ${o.skipped}`);
          else say(ctx, `${o.project}: ${o.error.message}`);
        }
      }
      process.exitCode = failed ? 1 : 0;
    });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks).toString('utf8');
}
