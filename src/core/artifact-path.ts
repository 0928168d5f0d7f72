/**
 * @module core/artifact-path
 * An artifact's path as a client names it: relative, inside the run's outputs. Paths are
 * looked up in a run's list, never joined onto a folder; still, `..`, absolute paths,
 * backslashes and NUL, encoded or not, are refused outright.
 */
import { RepriseError } from './errors.js';

/** The artifact path as given, once decoded; refused when it could leave the run's outputs. */
export function checkArtifactPath(raw: string): string {
  let path = raw;
  // Decoded until stable, so %252e%252e (encoded twice) is seen as `..` too.
  for (let i = 0; i < 3 && /%[0-9a-f]{2}/i.test(path); i++) {
    try {
      path = decodeURIComponent(path);
    } catch {
      break;
    }
  }
  const unsafe =
    path === '' ||
    path.startsWith('/') ||
    /^[A-Za-z]:/.test(path) ||
    path.includes('\\') ||
    path.includes('\0') ||
    path.split('/').some((seg) => seg === '..' || seg === '.');
  if (unsafe) {
    throw new RepriseError('REPRISE_ERR_PATH_UNSAFE', `artifact path ${JSON.stringify(raw.slice(0, 200))} is not a relative path inside the run's outputs`, {
      details: { path: raw.slice(0, 200) },
    });
  }
  return path;
}

/** One entry of a folder of files: a file with its size, or a folder (size null). */
export interface FolderEntry {
  /** Its name inside the folder. */
  readonly name: string;
  readonly isDir: boolean;
  readonly size: number | null;
}

/**
 * The entries directly inside `folder` (`''`: the top) of a list of files named by
 * path, each subfolder once, by name; empty for a file or a folder that holds nothing.
 */
export function folderEntries(files: readonly { readonly path: string; readonly size: number }[], folder: string): FolderEntry[] {
  const dir = folder.replace(/\/+$/, '');
  const prefix = dir === '' ? '' : `${dir}/`;
  const entries = new Map<string, FolderEntry>();
  for (const f of files) {
    if (!f.path.startsWith(prefix)) continue;
    const rest = f.path.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash < 0) entries.set(rest, { name: rest, isDir: false, size: f.size });
    else entries.set(rest.slice(0, slash), { name: rest.slice(0, slash), isDir: true, size: null });
  }
  return [...entries.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
