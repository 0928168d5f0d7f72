/**
 * A commit's files as a tar (`git archive`), laid out again where no repository has the
 * commit. The tar may have travelled in a bundle, so every entry is checked: only files,
 * folders and symbolic links, no absolute path and no `..`; links are made last, so no
 * file is ever written through one.
 */
import { createWriteStream } from 'node:fs';
import { chmod, lstat, mkdir, symlink } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { RepriseError } from '../../../core/errors.js';

function unsafe(name: string, why: string): RepriseError {
  return new RepriseError('REPRISE_ERR_CODE_PATH_UNSAFE', `the stored copy of the commit's files holds ${JSON.stringify(name)}: ${why}`, { details: { entry: name } });
}

/** The entry's path inside `dest`, or null for the archive's own metadata entries. */
function pathOf(name: string): string | null {
  if (name.includes('\0') || posix.isAbsolute(name)) throw unsafe(name, 'an absolute path');
  const rel = posix.normalize(name).replace(/\/+$/, '');
  if (rel === '' || rel === '.') return null;
  if (rel === '..' || rel.startsWith('../')) throw unsafe(name, 'a path that climbs out with ".."');
  return rel;
}

export async function extractCommitArchive(source: Readable, dest: string): Promise<void> {
  const extract = tar.extract();
  const links: { path: string; target: string }[] = [];
  const done = pipeline(source, extract);
  done.catch(() => undefined);
  for await (const entry of extract) {
    const { name, type, mode, linkname } = entry.header;
    const rel = pathOf(name);
    if (rel === null) {
      entry.resume();
      continue;
    }
    const target = join(dest, rel);
    if (type === 'directory') {
      await mkdir(target, { recursive: true });
      entry.resume();
    } else if (type === 'file') {
      await mkdir(dirname(target), { recursive: true });
      await pipeline(entry, createWriteStream(target, { flags: 'wx' }));
      // git keeps one bit of a file's mode: executable or not.
      await chmod(target, (mode ?? 0o644) & 0o111 ? 0o755 : 0o644);
    } else if (type === 'symlink') {
      links.push({ path: target, target: linkname ?? '' });
      entry.resume();
    } else {
      entry.resume();
      throw unsafe(name, `a ${type ?? 'entry of unknown type'}, not a file, folder or link`);
    }
  }
  await done;
  for (const l of links) {
    await mkdir(dirname(l.path), { recursive: true });
    // A link where a file or folder was laid out would turn writes meant for the tree into writes through it.
    if (await lstat(l.path).catch(() => undefined)) throw unsafe(l.path.slice(dest.length + 1), 'a link where a file or folder of the archive is');
    await symlink(l.target, l.path);
  }
}
