/**
 * @module services/repository-hook
 * Merges that start pipelines for teams without a hosted git: `reprise hooks install`
 * puts a hook in the repository (`post-receive` in a bare one, `post-merge` in a working
 * clone) that reports each push or merge to the linked branch to a Reprise server, which
 * then reads the code from the repository itself. The hook records the server, branch,
 * project folder and queue it was installed with; it runs `reprise hooks notify`.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { RepriseError } from '../core/errors.js';
import { CONFIG_FILE } from '../core/project-config.js';
import { checkBranchName, checkProjectPath } from '../core/repository-link.js';
import { checkQueueName } from '../core/queue.js';
import { shellQuote } from '../core/shell-quote.js';
import type { LocalRepositories, LocalRepository } from '../ports/code-source.js';
import { loadProject } from './project-loader.js';

/** The line that marks a hook as Reprise's, so installing again replaces it and nothing else. */
const MARKER = '# reprise-hook: installed by `reprise hooks install`';
const ZERO = /^0+$/;

export type HookKind = 'post-receive' | 'post-merge';

export interface InstallRequest {
  /** Inside the repository: a bare one, or a working clone. */
  readonly cwd: string;
  readonly branch: string;
  /** The server's URL, recorded in the hook. */
  readonly server: string;
  /** The project's folder in the repository; found when absent. */
  readonly path?: string;
  readonly queue?: string;
  /** Replace a hook of the same name that is not Reprise's. */
  readonly force?: boolean;
  /** How the hook starts Reprise: node and the CLI script, absolute. */
  readonly command: readonly string[];
}

export interface InstalledHook {
  readonly kind: HookKind;
  readonly file: string;
  /** The repository the server will read: the bare repository, or the clone's top level. */
  readonly repository: string;
  readonly branch: string;
  readonly path: string;
  readonly server: string;
  /** A hook of Reprise's that was there before was replaced. */
  readonly replaced: boolean;
}

/** A push (or merge) the hook reports: what `POST /api/v1/hooks/git` gets from a repository hook. */
export interface RepositoryPush {
  readonly ref: string;
  readonly before: string | null;
  readonly after: string;
}

export class RepositoryHooks {
  readonly #repos: LocalRepositories;

  constructor(deps: { readonly repos: LocalRepositories }) {
    this.#repos = deps.repos;
  }

  /**
   * The project around `cwd` and its folder in the repository around it: what `reprise
   * hooks link` and `install` take when not told. Null outside a project; the folder is ''
   * outside a repository.
   */
  async projectAround(cwd: string): Promise<{ project: string; path: string } | null> {
    const project = await loadProject(cwd).catch(() => null);
    if (!project) return null;
    const repo = await this.#repos.repositoryAt(project.dir).catch(() => null);
    const path = repo ? relative(repo.path, project.dir).split(sep).join('/') : '';
    // A reprise.yaml above the repository is not one of its projects.
    return { project: project.name, path: path.startsWith('..') ? '' : path };
  }

  async install(req: InstallRequest): Promise<InstalledHook> {
    const branch = checkBranchName(req.branch);
    const queue = req.queue === undefined ? undefined : checkQueueName(req.queue);
    if (!/^https?:\/\/[^\s]+$/.test(req.server)) {
      throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--server ${JSON.stringify(req.server)}: expected the server's URL, like http://127.0.0.1:8765`, { details: { flag: '--server' } });
    }
    const repo = await this.#repos.repositoryAt(req.cwd);
    const path = req.path !== undefined ? checkProjectPath(req.path) : await this.#projectFolder(repo, req.cwd, branch);
    const kind: HookKind = repo.bare ? 'post-receive' : 'post-merge';
    const file = join(repo.hooksDir, kind);
    const before = await readFile(file, 'utf8').catch(() => null);
    const ours = before !== null && before.includes(MARKER);
    if (before !== null && !ours && !req.force) {
      throw new RepriseError('REPRISE_ERR_ARG_INVALID', `${file} exists and is not Reprise's: it was left as it is`, {
        hint: 'call `reprise hooks notify` from your hook yourself, or pass --force to replace it',
        details: { path: file },
      });
    }
    const args = [...req.command, 'hooks', 'notify', '--hook', kind, '--branch', branch, '--path', path, ...(queue ? ['--queue', queue] : [])];
    const script = [
      '#!/bin/sh',
      MARKER,
      `# Reports each ${kind === 'post-receive' ? 'push' : 'merge'} to ${branch} to the Reprise server, which queues a run of the pipeline at that commit.`,
      `REPRISE_SERVER=${shellQuote(req.server)} exec ${args.map(shellQuote).join(' ')}`,
      '',
    ].join('\n');
    await mkdir(repo.hooksDir, { recursive: true });
    // Written aside and renamed: a push arriving meanwhile finds the old hook or the new one.
    const tmp = `${file}.reprise-${process.pid}`;
    await writeFile(tmp, script, { mode: 0o755 });
    await chmod(tmp, 0o755);
    await rename(tmp, file);
    return { kind, file, repository: repo.path, branch, path, server: req.server, replaced: ours };
  }

  /**
   * What the hook reports: for `post-receive`, each updated ref git wrote on stdin
   * (`old new ref` lines) that is the branch and not a deletion; for `post-merge`, the
   * clone's HEAD when the branch checked out is the one the hook is for.
   */
  async pushes(kind: HookKind, stdin: string, branch: string, cwd: string): Promise<{ repository: string; pushes: RepositoryPush[] }> {
    const repo = await this.#repos.repositoryAt(cwd);
    const ref = `refs/heads/${branch}`;
    if (kind === 'post-receive') {
      const pushes = stdin
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .filter((p) => p.length === 3 && p[2] === ref && !ZERO.test(p[1]!))
        .map(([before, after]) => ({ ref, before: ZERO.test(before!) ? null : before!, after: after! }));
      return { repository: repo.path, pushes };
    }
    const state = await this.#repos.checkedOut(repo.path);
    if (state.ref !== ref || state.head === null) return { repository: repo.path, pushes: [] };
    return { repository: repo.path, pushes: [{ ref, before: state.before, after: state.head }] };
  }

  /**
   * The project's folder: in a clone, the project around the folder the command runs in;
   * else the only reprise.yaml at the branch's tip (the root when the branch has no
   * commit yet).
   */
  async #projectFolder(repo: LocalRepository, cwd: string, branch: string): Promise<string> {
    const here = repo.bare ? null : await this.projectAround(cwd);
    if (here) return here.path;
    const files = (await this.#repos.filesOnBranch(repo.path, branch)) ?? [];
    const folders = files.filter((f) => f === CONFIG_FILE || f.endsWith(`/${CONFIG_FILE}`)).map((f) => f.slice(0, -CONFIG_FILE.length).replace(/\/$/, ''));
    if (folders.length > 1) {
      throw new RepriseError('REPRISE_ERR_ARG_INVALID', `branch ${branch} holds several projects (${folders.map((f) => f || '.').join(', ')}): say which with --path`, { details: { folders } });
    }
    return folders[0] ?? '';
  }
}

/**
 * The delivery id of a reported push: the same push reported twice (a hook run again)
 * starts one run.
 */
export function repositoryDeliveryId(repository: string, push: RepositoryPush): string {
  return createHash('sha256').update(`${repository}\n${push.ref}\n${push.after}`).digest('hex').slice(0, 32);
}
