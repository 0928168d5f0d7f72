import { stat } from 'node:fs/promises';

/** Whether anything (file, folder) is at `path`; errors other than absence count as absent too. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
