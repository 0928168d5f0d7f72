/**
 * Replaces a file's contents whole: written aside under a name no other writer uses (one
 * process may run several runs at once, so the pid alone is not enough), then renamed
 * over it. Readers see the old contents or the new, never half.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';

export async function replaceFile(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
