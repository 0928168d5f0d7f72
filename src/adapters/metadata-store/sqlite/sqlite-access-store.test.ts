/**
 * The SQLite access store: the contract suite, on a real store file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAccessStoreContract } from '../../../ports/access-store.contract.js';
import { SqliteMetadataStore } from './sqlite-metadata-store.js';

runAccessStoreContract('SqliteAccessStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-access-'));
  const meta = new SqliteMetadataStore({ path: join(dir, 'reprise.db') });
  await meta.init();
  return {
    store: meta.accessStore(),
    cleanup: async () => {
      await meta.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
