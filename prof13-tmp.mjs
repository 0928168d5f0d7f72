import { LocalBlobStore } from './dist/adapters/blob-store/local/local-blob-store.js';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, writeSync, fsyncSync, closeSync } from 'node:fs';
const root = mkdtempSync('/tmp/prof13-');
const store = new LocalBlobStore({ root });
const chunks = Array.from({ length: 1024 }, () => randomBytes(64 * 1024));
for (let k = 0; k < 3; k++) {
  chunks[0] = randomBytes(64 * 1024);
  const s = performance.now(); await store.putStream(Readable.from(chunks)); const ms = performance.now() - s;
  console.log('putStream 64MiB', ms.toFixed(0), 'ms', (64 * 1.048576 / (ms / 1000)).toFixed(0), 'MB/s');
}
const s = performance.now(); const fd = openSync(root + '/raw', 'w'); for (const c of chunks) writeSync(fd, c); const w = performance.now(); fsyncSync(fd); closeSync(fd); console.log('raw write', (w - s).toFixed(0), 'fsync', (performance.now() - w).toFixed(0));
