/**
 * Code from a git repository: the HEAD commit plus a binary patch of every uncommitted
 * change, untracked-but-not-ignored files included. The patch is computed through a
 * private copy of the index, so the user's index, files and stash are never touched
 * (git does add the new file contents to its object database, as `git stash -u` would).
 * The workspace is a fresh checkout of the commit with the patch applied on top: if the
 * patch did not apply, the run would not be reproducible, so it fails loudly.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, copyFile, rm, writeFile, realpath, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { RepriseError } from '../../../core/errors.js';
import { bug, isRepriseError } from '../../../core/errors.js';
import { redactRepositoryUrl } from '../../../core/redact-url.js';
import type { BlobRef, CodeVersion, GitCodeVersion } from '../../../core/run-manifest.js';
import type { BlobStore } from '../../../ports/blob-store.js';
import type { CapturedCode, CodeSource, CommitExporter, ExportedCommit, LocalRepositories, LocalRepository, PushedCommit, RepositoryMirror, RestoreContext } from '../../../ports/code-source.js';
import { runCommand } from '../../../platform/run-command.js';
import { extractCommitArchive } from './commit-archive.js';

/** Keeps git from taking optional locks and from asking questions on a terminal. */
const QUIET_GIT_ENV = { GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0' };

async function git(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<{ ok: boolean; stdout: Buffer; stderr: string }> {
  const res = await runCommand('git', args, { cwd, env: { ...process.env, ...QUIET_GIT_ENV, ...env } });
  return { ok: res.code === 0, stdout: res.stdout, stderr: res.stderr };
}

async function gitOrFail(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<Buffer> {
  const res = await git(args, cwd, env);
  if (!res.ok) {
    throw new RepriseError('REPRISE_ERR_CODE_GIT_FAILED', `git ${args.join(' ')} failed in ${cwd}: ${res.stderr.trim()}`);
  }
  return res.stdout;
}

export interface GitCodeSourceOptions {
  /** Where bare mirrors of recorded remotes are kept, to find commits the local repository lacks. */
  readonly mirrorsDir: string;
}

export class GitCodeSource implements CodeSource, CommitExporter, RepositoryMirror, LocalRepositories {
  readonly kind = 'git' as const;
  readonly #mirrorsDir: string;
  /** The fetch into each mirror under way in this process. */
  readonly #fetching = new Map<string, Promise<void>>();

  constructor(options: GitCodeSourceOptions) {
    this.#mirrorsDir = options.mirrorsDir;
  }

  async capture(projectDir: string, blobs: BlobStore, options: { readonly portable?: boolean } = {}): Promise<CapturedCode> {
    const { root, subdir } = await this.#locate(projectDir);
    const commit = await this.#commitOf(root, 'HEAD');

    const [branch, remoteUrl, patch, archive] = await Promise.all([
      git(['symbolic-ref', '--short', '-q', 'HEAD'], root).then((r) => (r.ok ? r.stdout.toString('utf8').trim() : null)),
      this.#remoteUrl(root),
      this.#uncommittedPatch(root),
      options.portable ? this.#archiveUnlessPushed(root, commit, blobs) : Promise.resolve(null),
    ]);
    const patchRef = patch.diff.length > 0 ? await blobs.putBytes(patch.diff) : null;
    const version: GitCodeVersion = {
      kind: 'git',
      subdir,
      remoteUrl,
      branch,
      commit,
      dirty: patchRef !== null,
      patch: patchRef,
      changedFiles: patch.files,
      ...(archive ? { archive } : {}),
    };
    return {
      version,
      root,
      writeTo: (dest) => this.#checkout(root, commit, patch.diff, dest),
    };
  }

  async restore(version: CodeVersion, ctx: RestoreContext): Promise<CapturedCode> {
    if (version.kind !== 'git') throw bug(`the git code source was asked to restore ${version.kind} code`);
    const patch = version.patch ? await ctx.blobs.read(version.patch.sha256) : Buffer.alloc(0);
    const archive = version.archive;
    let repo: string;
    try {
      // A version carrying its commit's files (a bundle, a commit queued before it was
      // pushed) is read from them unless the local repository has the commit: no fetch.
      repo = await this.#repositoryWith(version, ctx.near, { fetch: !archive });
    } catch (e) {
      if (!archive || !isRepriseError(e) || e.code !== 'REPRISE_ERR_CODE_COMMIT_NOT_FOUND') throw e;
      return {
        version,
        root: ctx.near,
        writeTo: async (dest) => {
          await mkdir(dest, { recursive: true });
          await extractCommitArchive(await ctx.blobs.stream(archive.sha256), dest);
          await applyPatch(patch, dest, version.commit);
        },
      };
    }
    return { version, root: repo, writeTo: (dest) => this.#checkout(repo, version.commit, patch, dest) };
  }

  async archive(version: CodeVersion, ctx: RestoreContext, dest: string): Promise<boolean> {
    if (version.kind !== 'git') return false;
    let repo: string;
    try {
      repo = await this.#repositoryWith(version, ctx.near);
    } catch (e) {
      if (isRepriseError(e) && e.code === 'REPRISE_ERR_CODE_COMMIT_NOT_FOUND') return false;
      throw e;
    }
    await gitOrFail(['archive', '--format=tar', '-o', dest, version.commit], repo);
    return true;
  }

  /**
   * The commit's files as a stored tar, unless a remote branch already holds the commit
   * (a worker elsewhere fetches it from there): a commit never pushed still reaches it.
   */
  async #archiveUnlessPushed(root: string, commit: string, blobs: BlobStore): Promise<BlobRef | null> {
    const pushed = await git(['branch', '-r', '--contains', commit], root);
    if (pushed.ok && pushed.stdout.toString('utf8').trim() !== '') return null;
    return storeArchive(root, commit, blobs);
  }

  async fetchPushed(url: string, commit: string): Promise<PushedCommit> {
    const mirror = this.#mirrorOf(url);
    await mkdir(this.#mirrorsDir, { recursive: true });
    // Pushes arriving together fetch one after the other: two fetches into one mirror fight over its ref locks.
    const previous = this.#fetching.get(mirror) ?? Promise.resolve();
    const turn = previous.then(() => this.#fetchInto(mirror, url, commit));
    const settled = turn.then(() => undefined, () => undefined);
    this.#fetching.set(mirror, settled);
    const fetched = await turn.finally(() => {
      if (this.#fetching.get(mirror) === settled) this.#fetching.delete(mirror);
    });
    if (fetched !== true) {
      throw new RepriseError('REPRISE_ERR_CODE_COMMIT_NOT_FOUND', `the pushed commit ${commit} could not be fetched: fetching from ${redactRepositoryUrl(url)} ${fetched}`, {
        hint: 'check that the server can read the repository (its URL, credentials, or path on this machine)',
        details: { commit, repository: redactRepositoryUrl(url) },
      });
    }
    const log = (await gitOrFail(['log', '-1', '--format=%an%x00%ae%x00%B', commit], mirror)).toString('utf8');
    const [name = '', email = '', ...message] = log.split('\0');
    return {
      commit,
      author: { name, email: email === '' ? null : email },
      message: message.join('\0').trimEnd(),
      writeTo: (dest) => this.#checkout(mirror, commit, Buffer.alloc(0), dest),
      archive: (blobs) => storeArchive(mirror, commit, blobs),
    };
  }

  async repositoryAt(dir: string): Promise<LocalRepository> {
    const bare = await git(['rev-parse', '--is-bare-repository'], dir);
    if (!bare.ok) {
      throw new RepriseError('REPRISE_ERR_CODE_NOT_GIT', `${dir} is not inside a git repository, so there is nowhere to install a hook`, {
        hint: 'run it in the bare repository pushes go to, or in a working clone',
        details: { path: dir },
      });
    }
    const isBare = bare.stdout.toString('utf8').trim() === 'true';
    const [hooks, where] = await Promise.all([
      gitOrFail(['rev-parse', '--path-format=absolute', '--git-path', 'hooks'], dir),
      gitOrFail(['rev-parse', '--path-format=absolute', isBare ? '--git-dir' : '--show-toplevel'], dir),
    ]);
    return { bare: isBare, path: resolve(where.toString('utf8').trim()), hooksDir: hooks.toString('utf8').trim() };
  }

  async filesOnBranch(repository: string, branch: string): Promise<string[] | null> {
    const files = await git(['ls-tree', '-r', '-z', '--name-only', `refs/heads/${branch}`], repository);
    return files.ok ? files.stdout.toString('utf8').split('\0').filter((f) => f !== '') : null;
  }

  async checkedOut(repository: string): Promise<{ ref: string | null; head: string | null; before: string | null }> {
    const line = async (args: string[]): Promise<string | null> => {
      const res = await git(args, repository);
      return res.ok ? res.stdout.toString('utf8').trim() : null;
    };
    const [ref, head, before] = await Promise.all([line(['symbolic-ref', '-q', 'HEAD']), line(['rev-parse', '-q', '--verify', 'HEAD']), line(['rev-parse', '-q', '--verify', 'ORIG_HEAD'])]);
    return { ref, head, before };
  }

  /** Where the mirror of a remote is kept: one bare repository per URL. */
  #mirrorOf(url: string): string {
    return join(this.#mirrorsDir, `${createHash('sha256').update(url).digest('hex').slice(0, 16)}.git`);
  }

  /** A repository holding the recorded commit: the one around `near`, else a mirror of the recorded remote. */
  async #repositoryWith(version: GitCodeVersion, near: string, options: { fetch: boolean } = { fetch: true }): Promise<string> {
    const tried: string[] = [];
    const top = await git(['rev-parse', '--show-toplevel'], near);
    if (top.ok) {
      const root = top.stdout.toString('utf8').trim();
      if (await this.#hasCommit(root, version.commit)) return root;
      tried.push(`the repository at ${root} does not have it`);
    } else {
      tried.push(`${near} is not inside a git repository`);
    }
    if (!options.fetch) {
      tried.push('the recorded remote was not asked, as the run carries its files');
    } else if (version.remoteUrl) {
      const mirror = this.#mirrorOf(version.remoteUrl);
      const fetched = await this.#fetchInto(mirror, version.remoteUrl, version.commit);
      if (fetched === true) return mirror;
      tried.push(`fetching from ${version.remoteUrl} ${fetched}`);
    } else {
      tried.push('the run recorded no remote to fetch it from');
    }
    if (!version.archive) tried.push('no copy of its files came with the run');
    throw new RepriseError('REPRISE_ERR_CODE_COMMIT_NOT_FOUND', `the commit ${version.commit} the run recorded could not be found: ${tried.join('; ')}`, {
      hint: 'run the command inside a clone that has the commit, or push the commit to the recorded remote',
      details: { commit: version.commit, remote: version.remoteUrl, tried },
    });
  }

  async #hasCommit(repo: string, commit: string): Promise<boolean> {
    return (await git(['cat-file', '-e', `${commit}^{commit}`], repo)).ok;
  }

  /** Fetches the remote's branches and tags (then the commit itself) into a bare mirror; true, or why not. */
  async #fetchInto(mirror: string, url: string, commit: string): Promise<true | string> {
    if (!(await stat(join(mirror, 'HEAD')).catch(() => undefined))) {
      await mkdir(mirror, { recursive: true });
      const init = await git(['init', '--quiet', '--bare', mirror], this.#mirrorsDir);
      if (!init.ok) return `failed: ${init.stderr.trim()}`;
    }
    if (await this.#hasCommit(mirror, commit)) return true;
    const all = await git(['fetch', '--quiet', '--no-tags', url, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'], mirror);
    if (await this.#hasCommit(mirror, commit)) return true;
    // Some hosts serve a commit no branch reaches when asked for it by id.
    const one = await git(['fetch', '--quiet', url, commit], mirror);
    if (await this.#hasCommit(mirror, commit)) return true;
    const why = (one.stderr.trim() || all.stderr.trim()).split('\n').pop();
    return all.ok ? `did not bring it (it is not on the remote's branches or tags${why ? `: ${why}` : ''})` : `failed: ${why}`;
  }

  async exportCommit(projectDir: string, ref: string, dest: string): Promise<ExportedCommit> {
    const { root, subdir } = await this.#locate(projectDir);
    const commit = await this.#commitOf(root, ref);
    const dirty = (await this.#uncommittedPatch(root)).diff.length > 0;
    await this.#checkout(root, commit, Buffer.alloc(0), dest);
    return { root, subdir, commit, dirty };
  }

  async #locate(projectDir: string): Promise<{ root: string; subdir: string }> {
    const top = await git(['rev-parse', '--show-toplevel'], projectDir);
    if (!top.ok) {
      throw new RepriseError('REPRISE_ERR_CODE_NOT_GIT', `${projectDir} is not inside a git repository, so the code of a run could not be pinned to a commit`, {
        hint: 'run `git init` and commit, or pass --no-git to snapshot the folder instead',
        details: { path: projectDir },
      });
    }
    const root = await realpath(top.stdout.toString('utf8').trim());
    return { root, subdir: relative(root, await realpath(projectDir)).split(sep).join('/') };
  }

  /** The full id of the commit `ref` names. */
  async #commitOf(root: string, ref: string): Promise<string> {
    const res = await git(['rev-parse', '--verify', '-q', `${ref}^{commit}`], root);
    if (res.ok) return res.stdout.toString('utf8').trim();
    if (ref === 'HEAD') {
      throw new RepriseError('REPRISE_ERR_CODE_NO_COMMIT', `the git repository at ${root} has no commit yet`, {
        hint: 'commit your code first (git add -A && git commit -m "first"), or pass --no-git',
        details: { path: root },
      });
    }
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--commit ${JSON.stringify(ref)}: no such commit in ${root}`, { details: { ref } });
  }

  async #remoteUrl(root: string): Promise<string | null> {
    const origin = await git(['config', '--get', 'remote.origin.url'], root);
    if (origin.ok) return origin.stdout.toString('utf8').trim();
    const remotes = await git(['remote'], root);
    const first = remotes.ok ? remotes.stdout.toString('utf8').split('\n')[0]?.trim() : '';
    if (!first) return null;
    const url = await git(['config', '--get', `remote.${first}.url`], root);
    return url.ok ? url.stdout.toString('utf8').trim() : null;
  }

  /** Every change against HEAD, staged or not, tracked or untracked-but-not-ignored. */
  async #uncommittedPatch(root: string): Promise<{ diff: Buffer; files: string[] }> {
    const scratch = await mkdtemp(join(tmpdir(), 'reprise-index-'));
    try {
      const index = join(scratch, 'index');
      const realIndex = (await gitOrFail(['rev-parse', '--path-format=absolute', '--git-path', 'index'], root)).toString('utf8').trim();
      // Starting from a copy of the real index keeps git's stat cache, so unchanged
      // files are not hashed again. The copy keeps the index's own times: git trusts a
      // cached entry only if the file is older than the index, and a copy dated now would
      // hide a same-size edit made within a second of the last `git add` or commit.
      try {
        await copyFile(realIndex, index);
        const st = await stat(realIndex);
        await utimes(index, st.atime, st.mtime);
      } catch {
        await rm(index, { force: true });
        await gitOrFail(['read-tree', 'HEAD'], root, { GIT_INDEX_FILE: index });
      }
      const env = { GIT_INDEX_FILE: index };
      await gitOrFail(['add', '-A', '--', '.'], root, env);
      const [names, diff] = await Promise.all([
        gitOrFail(['diff', '--cached', '--name-only', '-z', '--no-renames', 'HEAD'], root, env),
        gitOrFail(['diff', '--cached', '--binary', '--full-index', '--no-renames', '--no-color', '--no-ext-diff', 'HEAD'], root, env),
      ]);
      const files = names.toString('utf8').split('\0').filter((f) => f !== '');
      return { diff, files };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  async #checkout(root: string, commit: string, patch: Buffer, dest: string): Promise<void> {
    const scratch = await mkdtemp(join(tmpdir(), 'reprise-checkout-'));
    try {
      const env = { GIT_INDEX_FILE: join(scratch, 'index') };
      await gitOrFail(['read-tree', commit], root, env);
      // --work-tree rather than --prefix: it also works in a bare mirror.
      await mkdir(dest, { recursive: true });
      await gitOrFail(['--work-tree', dest, 'checkout-index', '-a', '-f'], root, env);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    await applyPatch(patch, dest, commit);
  }
}

/** A commit's files (`git archive`) stored as a blob. */
async function storeArchive(repo: string, commit: string, blobs: BlobStore): Promise<BlobRef> {
  const scratch = await mkdtemp(join(tmpdir(), 'reprise-archive-'));
  try {
    const tar = join(scratch, 'code.tar');
    await gitOrFail(['archive', '--format=tar', '-o', tar, commit], repo);
    return await blobs.putFile(tar);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Applies the recorded uncommitted changes on the commit's files in `dest`. */
async function applyPatch(patch: Buffer, dest: string, commit: string): Promise<void> {
  if (patch.length === 0) return;
  const scratch = await mkdtemp(join(tmpdir(), 'reprise-patch-'));
  try {
    const patchFile = join(scratch, 'changes.patch');
    await writeFile(patchFile, patch);
    // The ceiling keeps git from treating a repository above the workspace as its own.
    const applied = await git(['apply', '--binary', '--whitespace=nowarn', patchFile], dest, {
      GIT_CEILING_DIRECTORIES: dirname(dest),
    });
    if (!applied.ok) {
      throw new RepriseError('REPRISE_ERR_CODE_GIT_FAILED', `the uncommitted changes did not apply to a fresh checkout of ${commit.slice(0, 12)}: ${applied.stderr.trim()}`);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
