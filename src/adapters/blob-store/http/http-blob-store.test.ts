import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBlobStoreContract } from '../../../ports/blob-store.contract.js';
import { startInProcessServer } from '../../../../test/helpers/in-process-server.js';
import { ApiClient } from '../../api-client/api-client.js';
import { HttpBlobStore } from './http-blob-store.js';

runBlobStoreContract(
  'HttpBlobStore (through a real server)',
  async () => {
    const server = await startInProcessServer();
    const scratch = mkdtempSync(join(tmpdir(), 'reprise-http-blobs-'));
    const api = new ApiClient({ url: server.url, patienceMs: 0 });
    return {
      store: new HttpBlobStore({ api }),
      scratch,
      cleanup: async () => {
        await server.cleanup();
        rmSync(scratch, { recursive: true, force: true });
      },
    };
  },
  { enumerable: false },
);
