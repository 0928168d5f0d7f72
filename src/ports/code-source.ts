/**
 * @module ports/code-source
 * Fixes the code a run uses and lays it out in a workspace. Adapters: git (commit plus
 * a patch of every uncommitted change) and folder (a content-addressed snapshot, for
 * projects outside git).
 */
import type { BlobRef, CodeVersion } from '../core/run-manifest.js';
import type { BlobStore } from './blob-store.js';

export interface CapturedCode {
  readonly version: CodeVersion;
  /** The folder the capture was taken from: the repository's top level, or the folder itself. */
  readonly root: string;
  /** Writes exactly the captured files into `dest`, an empty folder. Never touches `root`'s files. */
  writeTo(dest: string): Promise<void>;
}

/** Where the code of a recorded version may be found again. */
export interface RestoreContext {
  /** The folder the command runs in: the repository around it is looked in first. */
  readonly near: string;
  /** Where the recorded blobs (the patch, the snapshot) are read from. */
  readonly blobs: BlobStore;
}

export interface CodeSource {
  readonly kind: CodeVersion['kind'];
  /**
   * Captures the code around `projectDir` without writing to the user's files; blobs
   * (the patch, the snapshot) go to `blobs`. With `portable`, the version can be laid
   * out on a machine without this checkout: a commit no remote branch holds yet travels
   * as an archive of its files (a queued run).
   */
  capture(projectDir: string, blobs: BlobStore, options?: { readonly portable?: boolean }): Promise<CapturedCode>;

  /**
   * The code a run recorded, found again, never from the checkout as it is now: for git,
   * the recorded commit (from the repository around `near`, else the recorded remote)
   * plus the recorded patch. REPRISE_ERR_CODE_COMMIT_NOT_FOUND saying what was tried when
   * the commit is nowhere to be had.
   */
  restore(version: CodeVersion, ctx: RestoreContext): Promise<CapturedCode>;

  /**
   * Writes the files of a recorded version without its patch as a tar to `dest`, found
   * as `restore` finds them, so the version can travel without its repository. False
   * when they cannot be found, or when the version holds its files already (a snapshot).
   */
  archive(version: CodeVersion, ctx: RestoreContext, dest: string): Promise<boolean>;
}

export interface ExportedCommit {
  readonly root: string;
  /** The project's folder inside the repository, '' at its root. */
  readonly subdir: string;
  readonly commit: string;
  /** Whether the working tree has changes the export leaves out. */
  readonly dirty: boolean;
}

/** Code sources that can lay out any commit, not only the working state (git). */
export interface CommitExporter {
  /** Writes the files of the commit `ref` names into `dest`, an empty folder. */
  exportCommit(projectDir: string, ref: string, dest: string): Promise<ExportedCommit>;
}

/** A pushed commit, fetched into this machine's mirror of its repository. */
export interface PushedCommit {
  readonly commit: string;
  readonly author: { readonly name: string; readonly email: string | null };
  readonly message: string;
  /** Writes the commit's files into `dest`, an empty folder. */
  writeTo(dest: string): Promise<void>;
  /** The commit's files as a stored tar: workers lay the run out from it without access to the repository. */
  archive(blobs: BlobStore): Promise<BlobRef>;
}

/** Code sources that keep mirrors of the repositories pushes come from (git). */
export interface RepositoryMirror {
  /**
   * Fetches `commit` from the repository at `url` (a URL or a path on this machine) into
   * the mirror kept of it. REPRISE_ERR_CODE_COMMIT_NOT_FOUND, with git's words, when the
   * repository cannot be read or lacks the commit.
   */
  fetchPushed(url: string, commit: string): Promise<PushedCommit>;
}

/** A git repository on this machine, as a hook installed in it sees it. */
export interface LocalRepository {
  readonly bare: boolean;
  /** The bare repository's folder, or a clone's top level: where the server reads the code from. */
  readonly path: string;
  /** Where its hooks go. */
  readonly hooksDir: string;
}

/** Repositories on this machine that hooks are installed in (git). */
export interface LocalRepositories {
  /** The repository around `dir`; REPRISE_ERR_CODE_NOT_GIT outside one. */
  repositoryAt(dir: string): Promise<LocalRepository>;
  /** The paths of the files at the tip of `branch`; null when the branch has no commit yet. */
  filesOnBranch(repository: string, branch: string): Promise<string[] | null>;
  /** A clone's branch checked out (`refs/heads/…`, null when detached), its HEAD and what HEAD was before the last merge (ORIG_HEAD). */
  checkedOut(repository: string): Promise<{ readonly ref: string | null; readonly head: string | null; readonly before: string | null }>;
}
