import { statSync } from 'node:fs';

/**
 * `mtime:size` of a file, or undefined when it is absent: what cached answers about a
 * file (an interpreter's version, its packages) are checked against.
 */
export function fileStamp(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.mtimeMs}:${st.size}`;
  } catch {
    return undefined;
  }
}
