/** Flushes a written file to the disk, so that a rename after it publishes whole contents. */
import { open } from 'node:fs/promises';

export async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
