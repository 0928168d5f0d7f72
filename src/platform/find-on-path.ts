import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/** The first executable called `name` in the folders of `pathVar` (a PATH value), as a shell would find it. */
export async function findOnPath(name: string, pathVar: string): Promise<string | undefined> {
  for (const dir of pathVar.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
