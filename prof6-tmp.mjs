import { openEmbedded } from './dist/app/embedded.js';
import { mkdtempSync } from 'node:fs';
const home = mkdtempSync('/tmp/prof6-');
const app = await openEmbedded({ home });
for (let i = 0; i < 3; i++) {
  const s = performance.now(); const e = await app.mlflowEndpoint.open(); const t1 = performance.now(); await e.close(); console.log('open', (t1 - s).toFixed(1), 'ms close', (performance.now() - t1).toFixed(1), 'ms');
}
await app.close();
