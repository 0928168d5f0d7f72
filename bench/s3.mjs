#!/usr/bin/env node
// The S3 blob store against the moto server (scripts/ensure-s3.sh starts it on
// 127.0.0.1:54330; REPRISE_TEST_S3_ENDPOINT names another), beside the local blob store
// on the same files: files of 64 MiB and 256 MiB of random bytes, each
// - stored with putFile (hashed, then sent in parts of 16 MiB, 4 at a time; the blob is
//   deleted before each try, so every try sends it),
// - stored again (found stored: hashed and touched only),
// - copied back to a file with copyTo,
// median of 3, in MB/s (10^6 bytes). Also the process's peak memory after each size, which
// should not grow with the file: parts are streamed, never the whole file held.
// No target: figures to watch. moto keeps objects in memory, in one Python process, so
// what it gives is a floor, not what S3 or MinIO would.
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, closeSync, writeSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { BENCH_TMP, dist, median, memoryOf, mib, now, scaled, SCALE, tempHome } from './server-lib.mjs';

const ENDPOINT = process.env.REPRISE_TEST_S3_ENDPOINT ?? 'http://127.0.0.1:54330';
const SIZES = [scaled(64 * 2 ** 20, 2 ** 20), scaled(256 * 2 ** 20, 2 ** 20)];
const TRIES = 3;
// As the store does for its own clients: the SDK's notice that its later versions need Node 22 is no figure.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const ENV = { AWS_ENDPOINT_URL_S3: ENDPOINT, AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_REGION: 'us-east-1' };

const [{ S3BlobStore }, { LocalBlobStore }] = await Promise.all([dist('adapters/blob-store/s3/s3-blob-store.js'), dist('adapters/blob-store/local/local-blob-store.js')]);

const admin = new S3Client({ endpoint: ENDPOINT, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
const bucket = `reprise-bench-${randomBytes(4).toString('hex')}`;
try {
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
} catch (e) {
  console.error(`the S3 server at ${ENDPOINT} is not usable (start it with bash scripts/ensure-s3.sh): ${e.message || e.name}`);
  process.exit(1);
}

const { home, cleanup } = tempHome('s3');
const s3 = new S3BlobStore({ url: `s3://${bucket}/bench`, env: ENV, tmpDir: join(home, 's3-staging') });
const local = new LocalBlobStore({ root: join(home, 'blobs') });
const rate = (bytes, ms) => (bytes / 1e6 / (ms / 1000)).toFixed(0).padStart(5);

/** A file of `size` random bytes, written in pieces (never held whole). */
function randomFile(path, size) {
  const fd = openSync(path, 'w');
  for (let left = size; left > 0; ) {
    const piece = randomBytes(Math.min(left, 8 * 2 ** 20));
    writeSync(fd, piece);
    left -= piece.length;
  }
  closeSync(fd);
}

async function timed(fn) {
  const t = now();
  await fn();
  return now() - t;
}

/** Median times of storing, storing again and copying back `path` through `store`. */
async function measure(store, path, size, out) {
  const put = [];
  const again = [];
  const copy = [];
  let sha256;
  for (let i = 0; i < TRIES; i++) {
    if (sha256) await store.delete(sha256);
    put.push(await timed(async () => ({ sha256 } = await store.putFile(path))));
    again.push(await timed(() => store.putFile(path)));
    copy.push(await timed(() => store.copyTo(sha256, join(out, `copy-${i}`))));
  }
  await store.delete(sha256);
  return { put: median(put), again: median(again), copy: median(copy), size };
}

try {
  console.log(`S3 blob store (moto at ${ENDPOINT}) beside the local blob store, under ${BENCH_TMP}${SCALE !== 1 ? `, BENCH_SCALE=${SCALE}` : ''} (load average ${loadavg()[0].toFixed(2)}); MB/s, median of ${TRIES}`);
  for (const size of SIZES) {
    const path = join(home, `random-${size}`);
    randomFile(path, size);
    const out = join(home, `out-${size}`);
    mkdirSync(out);
    const l = await measure(local, path, size, out);
    const s = await measure(s3, path, size, out);
    console.log(
      `${mib(size).padStart(6)} MiB  put: S3 ${rate(size, s.put)}  local ${rate(size, l.put)}   put again (stored): S3 ${rate(size, s.again)}  local ${rate(size, l.again)}   ` +
        `copyTo: S3 ${rate(size, s.copy)}  local ${rate(size, l.copy)}   (peak memory so far ${memoryOf(process.pid).hwmMiB.toFixed(0)} MiB)`,
    );
  }
} finally {
  s3.close();
  const listed = await admin.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() => ({}));
  const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key }));
  if (keys.length) await admin.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } })).catch(() => undefined);
  await admin.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
  admin.destroy();
  cleanup();
}
