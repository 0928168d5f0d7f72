/**
 * Code from a plain folder (`--no-git`): every file is stored as a blob and the snapshot
 * is a sorted list of {path, mode, sha256, size} (symbolic links keep their target).
 * Folders that hold tools rather than code are skipped: SKIPPED_DIRS.
 */
import { chmod, mkdir, readlink, realpath, symlink } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { bug, RepriseError } from '../../../core/errors.js';
import type { CodeVersion, FolderCodeVersion } from '../../../core/run-manifest.js';
import type { BlobStore } from '../../../ports/blob-store.js';
import type { CapturedCode, CodeSource, RestoreContext } from '../../../ports/code-source.js';
import { walkFiles } from '../../../platform/walk-files.js';

export const SKIPPED_DIRS: readonly string[] = ['.git', '.hg', '.svn', 'node_modules', '__pycache__', '.venv', 'venv', '.reprise'];

export type SnapshotEntry =
  | { readonly path: string; readonly mode: number; readonly sha256: string; readonly size: number }
  | { readonly path: string; readonly link: string };

export class FolderCodeSource implements CodeSource {
  readonly kind = 'folder' as const;

  async capture(projectDir: string, blobs: BlobStore): Promise<CapturedCode> {
    const root = await realpath(projectDir);
    const entries: SnapshotEntry[] = [];
    for await (const { rel, abs, stats } of walkFiles(root, SKIPPED_DIRS)) {
      if (stats.isSymbolicLink()) {
        entries.push({ path: rel, link: await readlink(abs) });
      } else if (stats.isFile()) {
        const ref = await blobs.putFile(abs);
        entries.push({ path: rel, mode: stats.mode & 0o777, ...ref });
      }
    }
    entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const snapshot = await blobs.putBytes(JSON.stringify(entries));
    const files = entries.filter((e) => 'sha256' in e);
    const version: FolderCodeVersion = {
      kind: 'folder',
      subdir: '',
      snapshot,
      files: files.length,
      bytes: files.reduce((n, e) => n + ('size' in e ? e.size : 0), 0),
    };
    return { version, root, writeTo: (dest) => restoreSnapshot(entries, blobs, dest) };
  }

  /** A snapshot's files are blobs already: they travel as they are. */
  async archive(): Promise<boolean> {
    return false;
  }

  async restore(version: CodeVersion, ctx: RestoreContext): Promise<CapturedCode> {
    if (version.kind !== 'folder') throw bug(`the folder code source was asked to restore ${version.kind} code`);
    const entries = JSON.parse((await ctx.blobs.read(version.snapshot.sha256)).toString('utf8')) as SnapshotEntry[];
    return { version, root: ctx.near, writeTo: (dest) => restoreSnapshot(entries, ctx.blobs, dest) };
  }
}

/** Writes a snapshot's files into `dest`; every path is checked to stay inside it. */
export async function restoreSnapshot(entries: readonly SnapshotEntry[], blobs: BlobStore, dest: string): Promise<void> {
  for (const e of entries) {
    const rel = posix.normalize(e.path);
    if (rel.startsWith('../') || rel === '..' || posix.isAbsolute(rel)) {
      throw new RepriseError('REPRISE_ERR_CODE_PATH_UNSAFE', `snapshot path ${JSON.stringify(e.path)} points outside the workspace`);
    }
    const target = join(dest, rel);
    await mkdir(dirname(target), { recursive: true });
    if ('link' in e) {
      await symlink(e.link, target);
    } else {
      await blobs.copyTo(e.sha256, target, e.mode);
      await chmod(target, e.mode);
    }
  }
}
