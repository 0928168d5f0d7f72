/**
 * Walks a folder depth-first in sorted order, without following symbolic links, so a
 * listing is stable and never leaves the folder.
 */
import { lstat, readdir } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';

export interface WalkedEntry {
  /** Relative to the root, '/'-separated. */
  readonly rel: string;
  readonly abs: string;
  readonly stats: Stats;
}

/** Files and symbolic links under `root` (not folders); `skipDirs` names are not entered. */
export async function* walkFiles(root: string, skipDirs: readonly string[] = []): AsyncGenerator<WalkedEntry> {
  let names: string[];
  try {
    names = (await readdir(root)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  yield* walkInside(root, '', names, skipDirs);
}

async function* walkInside(root: string, rel: string, names: string[], skipDirs: readonly string[]): AsyncGenerator<WalkedEntry> {
  for (const name of names) {
    const childRel = rel ? `${rel}/${name}` : name;
    const abs = join(root, childRel);
    const stats = await lstat(abs);
    if (stats.isDirectory()) {
      if (!skipDirs.includes(name)) yield* walkInside(root, childRel, (await readdir(abs)).sort(), skipDirs);
    } else {
      yield { rel: childRel, abs, stats };
    }
  }
}
