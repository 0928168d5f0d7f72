/**
 * @module adapters/blob-store/s3/s3-blob-store.test
 * The S3 blob store against a real S3-compatible server: moto, which
 * scripts/ensure-s3.sh starts on 127.0.0.1:54330 (REPRISE_TEST_S3_ENDPOINT names
 * another). Each store gets a bucket of its own, emptied and deleted after. The
 * credentials are fake and given in the store's `env`, not the process's. An
 * unreachable server fails these tests rather than skipping them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RepriseError } from '../../../core/errors.js';
import { runBlobStoreContract } from '../../../ports/blob-store.contract.js';
import { S3BlobStore } from './s3-blob-store.js';
import { parseS3Url } from './s3-url.js';

const ENDPOINT = process.env.REPRISE_TEST_S3_ENDPOINT ?? 'http://127.0.0.1:54330';
/** What a store is given: the server, fake credentials (moto checks none), a region. */
const ENV: NodeJS.ProcessEnv = { AWS_ENDPOINT_URL_S3: ENDPOINT, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };
const MiB = 1024 * 1024;

// Before the first client, as the store itself does: the SDK's notice that its later versions need Node 22.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const admin = new S3Client({ endpoint: ENDPOINT, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
afterAll(() => admin.destroy());

const sha = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** A new bucket, and how to empty and delete it (unfinished multipart uploads included). */
async function freshBucket(): Promise<{ bucket: string; drop: () => Promise<void> }> {
  const bucket = `reprise-test-${randomBytes(6).toString('hex')}`;
  try {
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (e) {
    throw new Error(`the test S3 server at ${ENDPOINT} is not usable (start it with bash scripts/ensure-s3.sh): ${e instanceof Error ? e.message || e.name : String(e)}`);
  }
  const drop = async (): Promise<void> => {
    const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    for (const u of uploads.Uploads ?? []) await admin.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }));
    const keys = await keysOf(bucket);
    for (let i = 0; i < keys.length; i += 1000) {
      await admin.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })) } }));
    }
    await admin.send(new DeleteBucketCommand({ Bucket: bucket }));
  };
  return { bucket, drop };
}

async function keysOf(bucket: string, prefix?: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) keys.push(o.Key ?? '');
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const s of it) out.push(s);
  return out;
}

/** The RepriseError a promise rejects with (failing the test when it resolves or throws something else). */
async function rejection(p: Promise<unknown>): Promise<RepriseError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RepriseError);
  return e as RepriseError;
}

/** A port on loopback where nothing listens (held for an instant, then let go). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

runBlobStoreContract('S3BlobStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-s3-'));
  const { bucket, drop } = await freshBucket();
  const store = new S3BlobStore({ url: `s3://${bucket}/contract`, env: ENV, tmpDir: join(dir, 'staging') });
  return {
    store,
    scratch: dir,
    cleanup: async () => {
      store.close();
      await drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('S3BlobStore', () => {
  let dir: string;
  let bucket: string;
  let drop: () => Promise<void>;
  const stores: S3BlobStore[] = [];
  const open = (prefix = 'blobs', more: Partial<ConstructorParameters<typeof S3BlobStore>[0]> = {}): S3BlobStore => {
    const store = new S3BlobStore({ url: `s3://${bucket}${prefix ? `/${prefix}` : ''}`, env: ENV, tmpDir: join(dir, 'staging'), ...more });
    stores.push(store);
    return store;
  };
  const file = (name: string, data: Buffer | string): string => {
    const path = join(dir, name);
    writeFileSync(path, data);
    return path;
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reprise-s3-'));
    ({ bucket, drop } = await freshBucket());
  });

  afterEach(async () => {
    for (const s of stores.splice(0)) s.close();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps each blob at <prefix>/sha256/<first 2 hex>/<sha256>, stamped with its write time', async () => {
    const store = open('team/a');
    const before = Date.now();
    const refs = [await store.putBytes('from memory'), await store.putFile(file('src', 'from a file'))];
    expect((await keysOf(bucket)).sort()).toEqual(refs.map((r) => `team/a/sha256/${r.sha256.slice(0, 2)}/${r.sha256}`).sort());
    const head = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: `team/a/sha256/${refs[0]!.sha256.slice(0, 2)}/${refs[0]!.sha256}`, ChecksumMode: 'ENABLED' }));
    expect(Number(head.Metadata?.['reprise-written-at'])).toBeGreaterThanOrEqual(before);
    // The SHA-256 S3 was given to check the bytes, as base64 of the digest.
    expect(head.ChecksumSHA256).toBe(Buffer.from(refs[0]!.sha256, 'hex').toString('base64'));
  });

  it('stores a bucket\'s root when the URL has no prefix', async () => {
    const ref = await open('').putBytes('at the root');
    expect(await keysOf(bucket)).toEqual([`sha256/${ref.sha256.slice(0, 2)}/${ref.sha256}`]);
  });

  it('uploads a 40 MiB file in parts and gives back the same bytes, staging nothing it leaves behind', async () => {
    const store = open();
    const data = randomBytes(40 * MiB);
    const path = file('big.bin', data);
    const ref = await store.putFile(path);
    expect(ref).toEqual({ sha256: sha(data), size: data.length });
    const head = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: `blobs/sha256/${ref.sha256.slice(0, 2)}/${ref.sha256}` }));
    // A multipart object's ETag ends in -<parts>: 40 MiB in parts of 16 MiB is 3.
    expect(head.ETag).toMatch(/-3"$/);
    expect(sha(await store.read(ref.sha256))).toBe(ref.sha256);
    const dest = join(dir, 'copy.bin');
    await store.copyTo(ref.sha256, dest, 0o600);
    expect(sha(readFileSync(dest))).toBe(ref.sha256);
    // The same bytes as a stream: staged, hashed, found stored, not sent again.
    const spy = vi.spyOn(store, 'touch');
    expect(await store.putStream(Readable.from([data.subarray(0, 7 * MiB), data.subarray(7 * MiB)]))).toEqual(ref);
    expect(spy).toHaveBeenCalledWith(ref.sha256);
    expect(readdirSync(join(dir, 'staging'))).toEqual([]);
    expect(await collect(store.list())).toEqual([ref.sha256]);
  });

  it('stores a large stream it has not seen in parts', async () => {
    const store = open('', { partSize: 5 * MiB });
    const data = randomBytes(11 * MiB);
    const ref = await store.putStream(Readable.from([data.subarray(0, 3 * MiB), data.subarray(3 * MiB)]));
    expect(ref).toEqual({ sha256: sha(data), size: data.length });
    const head = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: `sha256/${ref.sha256.slice(0, 2)}/${ref.sha256}` }));
    expect(head.ETag).toMatch(/-3"$/);
    expect((await store.read(ref.sha256)).equals(data)).toBe(true);
    expect(readdirSync(join(dir, 'staging'))).toEqual([]);
  });

  it('stores a file changed while it was uploaded as it reads then, never under the name of the old bytes', async () => {
    const store = open('', { partSize: 5 * MiB });
    const before = randomBytes(12 * MiB);
    const after = randomBytes(12 * MiB);
    const path = file('changing.bin', before);
    // Between the hashing and the upload (the touch that finds nothing), the file is rewritten.
    const touch = store.touch.bind(store);
    vi.spyOn(store, 'touch').mockImplementationOnce(async (s) => {
      writeFileSync(path, after);
      return touch(s);
    });
    const ref = await store.putFile(path);
    expect(ref).toEqual({ sha256: sha(after), size: after.length });
    expect(await store.stat(sha(before))).toBeUndefined();
    expect((await store.read(ref.sha256)).equals(after)).toBe(true);
    expect(await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket })).then((r) => r.Uploads ?? [])).toEqual([]);
  });

  it('touches an object larger than one copy may move with a copy in parts, keeping its bytes', async () => {
    const store = open('', { partSize: 5 * MiB, maxCopySize: 5 * MiB });
    const data = randomBytes(12 * MiB);
    const ref = await store.putFile(file('twelve.bin', data));
    await pause(20);
    const mark = Date.now();
    await pause(20);
    expect(await store.touch(ref.sha256)).toEqual({ size: data.length });
    const head = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: `sha256/${ref.sha256.slice(0, 2)}/${ref.sha256}` }));
    expect(head.ETag).toMatch(/-3"$/);
    expect(Number(head.Metadata?.['reprise-written-at'])).toBeGreaterThanOrEqual(mark);
    expect(await store.delete(ref.sha256, mark)).toBe(false);
    expect((await store.read(ref.sha256)).equals(data)).toBe(true);
  });

  it('hands out a presigned GET that plain fetch reads', async () => {
    const store = open();
    const data = randomBytes(100_000);
    const { sha256 } = await store.putBytes(data);
    const res = await fetch(await store.presignedGet(sha256, 60));
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
  });

  it('hands out a presigned PUT that plain fetch stores through, and judges its write time by Last-Modified', async () => {
    const store = open();
    const data = randomBytes(50_000);
    const { url, headers } = await store.presignedPut(sha(data), data.length, 60);
    expect(headers).toEqual({ 'content-length': String(data.length), 'x-amz-checksum-sha256': Buffer.from(sha(data), 'hex').toString('base64') });
    const before = Date.now();
    const res = await fetch(url, { method: 'PUT', body: data, headers });
    expect(res.status, await res.clone().text()).toBe(200);
    expect((await store.read(sha(data))).equals(data)).toBe(true);
    expect(await collect(store.list())).toEqual([sha(data)]);
    // No stamp: Last-Modified, in whole seconds, says when. A guard from before the PUT,
    // or in Last-Modified's own second, keeps the blob; one a second later does not.
    const head = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: `blobs/sha256/${sha(data).slice(0, 2)}/${sha(data)}` }));
    expect(head.Metadata?.['reprise-written-at']).toBeUndefined();
    const modified = head.LastModified!.getTime();
    expect(await store.delete(sha(data), before)).toBe(false);
    expect(await store.delete(sha(data), modified + 999)).toBe(false);
    expect(await store.delete(sha(data), modified + 1000)).toBe(true);
  });

  it('has a presigned PUT of other bytes refused, where the server checks checksums', async (ctx) => {
    const store = open();
    const right = randomBytes(1000);
    const wrong = randomBytes(1000);
    // Whether this server checks x-amz-checksum-sha256 at all (moto 5 does not; S3 does).
    const probe = await admin
      .send(new PutObjectCommand({ Bucket: bucket, Key: 'probe', Body: wrong, ChecksumSHA256: Buffer.from(sha(right), 'hex').toString('base64') }))
      .then(
        () => 'accepted',
        () => 'refused',
      );
    if (probe === 'accepted') ctx.skip(`the server at ${ENDPOINT} stores bytes whatever checksum comes with them`);
    const { url, headers } = await store.presignedPut(sha(right), right.length, 60);
    const res = await fetch(url, { method: 'PUT', body: wrong, headers });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await store.stat(sha(right))).toBeUndefined();
  });

  it('refuses presigned URLs of bad names and lifetimes', async () => {
    const store = open();
    const good = sha('x');
    await expect(store.presignedGet('nope', 60)).rejects.toMatchObject({ code: 'REPRISE_ERR_BLOB_NOT_FOUND' });
    await expect(store.presignedPut(good, 1, 0)).rejects.toMatchObject({ code: 'REPRISE_ERR_ARG_INVALID' });
    await expect(store.presignedGet(good, 8 * 24 * 3600)).rejects.toMatchObject({ code: 'REPRISE_ERR_ARG_INVALID' });
    await expect(store.presignedPut(good, -1, 60)).rejects.toMatchObject({ code: 'REPRISE_ERR_ARG_INVALID' });
    // Past what one PUT may carry: such a blob goes in parts, through putFile.
    await expect(store.presignedPut(good, 5 * 1024 * MiB + 1, 60)).rejects.toMatchObject({ code: 'REPRISE_ERR_ARG_INVALID' });
  });

  it('keeps two stores on one bucket apart by their prefixes', async () => {
    const a = open('a');
    const b = open('b');
    const ab = open('a/b');
    const shared = await a.putBytes('in both');
    await b.putBytes('in both');
    const onlyA = await a.putBytes('only in a');
    const onlyB = await b.putBytes('only in b');
    expect(await collect(a.list())).toEqual([shared.sha256, onlyA.sha256].sort());
    expect(await collect(b.list())).toEqual([shared.sha256, onlyB.sha256].sort());
    expect(await collect(ab.list())).toEqual([]);
    await expect(a.read(onlyB.sha256)).rejects.toMatchObject({ code: 'REPRISE_ERR_BLOB_NOT_FOUND' });
    expect(await b.delete(shared.sha256)).toBe(true);
    expect((await a.read(shared.sha256)).toString()).toBe('in both');
  });

  it('lists past one page of keys', async () => {
    const store = open('many');
    // Put straight into the bucket, empty: the listing only reads keys.
    const names = Array.from({ length: 1010 }, (_, i) => sha(`blob ${i}`));
    for (let i = 0; i < names.length; i += 100) {
      await Promise.all(names.slice(i, i + 100).map((n) => admin.send(new PutObjectCommand({ Bucket: bucket, Key: `many/sha256/${n.slice(0, 2)}/${n}`, Body: Buffer.alloc(0) }))));
    }
    // Keys beside them that are not blobs of this store are passed over.
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'many/sha256/00/not-a-blob', Body: Buffer.alloc(0) }));
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: `many/sha256/zz/${names[0]}`, Body: Buffer.alloc(0) }));
    const listed = await collect(store.list());
    expect(listed).toHaveLength(1010);
    expect(listed).toEqual([...names].sort());
  });

  it('reads the endpoint from AWS_ENDPOINT_URL when AWS_ENDPOINT_URL_S3 is unset, addressing the bucket in the path', async () => {
    // A host name, where virtual-host addressing would ask for <bucket>.localhost.
    const endpoint = ENDPOINT.replace('//127.0.0.1', '//localhost');
    const { AWS_ENDPOINT_URL_S3: _, ...rest } = ENV;
    const store = new S3BlobStore({ url: `s3://${bucket}/x`, env: { ...rest, AWS_ENDPOINT_URL: endpoint }, tmpDir: join(dir, 'staging') });
    stores.push(store);
    await store.check();
    const ref = await store.putBytes('by the general variable');
    expect((await store.read(ref.sha256)).toString()).toBe('by the general variable');
    expect(await store.presignedGet(ref.sha256, 60)).toContain(`/${bucket}/x/sha256/`);
  });

  it('signs for the region the environment names, us-east-1 when none', async () => {
    const named = new S3BlobStore({ url: `s3://${bucket}`, env: { ...ENV, AWS_REGION: 'eu-west-3' }, tmpDir: dir });
    stores.push(named);
    expect(decodeURIComponent(await named.presignedGet(sha('x'), 60))).toContain('/eu-west-3/s3/aws4_request');
    const { AWS_REGION: _, ...rest } = ENV;
    // Only meaningful where the process names no region and no config file does.
    if (!process.env.AWS_REGION && !process.env.AWS_DEFAULT_REGION && !process.env.AWS_CONFIG_FILE && !process.env.AWS_PROFILE) {
      const unnamed = new S3BlobStore({ url: `s3://${bucket}`, env: rest, tmpDir: dir });
      stores.push(unnamed);
      expect(decodeURIComponent(await unnamed.presignedGet(sha('x'), 60))).toContain('/us-east-1/s3/aws4_request');
    }
  });

  it('says the store is unavailable, naming the endpoint, within seconds when nothing listens there', async () => {
    const endpoint = `http://127.0.0.1:${await deadPort()}`;
    const store = new S3BlobStore({ url: `s3://${bucket}/p`, env: { ...ENV, AWS_ENDPOINT_URL_S3: endpoint }, tmpDir: join(dir, 'staging') });
    stores.push(store);
    for (const attempt of [() => store.check(), () => store.putBytes('x'), () => store.read(sha('x')), () => store.stat(sha('x')), () => collect(store.list())]) {
      const began = Date.now();
      const e = await rejection(attempt());
      expect(Date.now() - began).toBeLessThan(5_000);
      expect(e.code).toBe('REPRISE_ERR_ARTIFACTS_UNAVAILABLE');
      expect(e.message).toContain(endpoint);
      expect(e.message).toContain(bucket);
      expect(e.message).toMatch(/ECONNREFUSED/);
    }
  });

  it('says within seconds that a store which takes connections and never answers is unavailable', async () => {
    // A server on loopback that accepts and stays silent: what a hung endpoint looks like.
    const sockets: Socket[] = [];
    const silent = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    try {
      const store = new S3BlobStore({ url: `s3://${bucket}`, env: { ...ENV, AWS_ENDPOINT_URL_S3: endpoint }, tmpDir: join(dir, 'staging') });
      stores.push(store);
      const began = Date.now();
      const e = await rejection(store.check());
      expect(Date.now() - began).toBeLessThan(8_000);
      expect(e.code).toBe('REPRISE_ERR_ARTIFACTS_UNAVAILABLE');
      expect(e.message).toContain(endpoint);
      expect(e.message).toMatch(/no answer within|TimeoutError/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('says the store is unavailable, naming the bucket, when the bucket does not exist', async () => {
    const missing = `reprise-missing-${randomBytes(4).toString('hex')}`;
    const store = new S3BlobStore({ url: `s3://${missing}`, env: ENV, tmpDir: join(dir, 'staging') });
    stores.push(store);
    // A HEAD's 404 alone cannot tell a missing object from a missing bucket: stat asks.
    for (const attempt of [() => store.check(), () => store.putBytes('x'), () => store.read(sha('x')), () => store.stat(sha('x')), () => collect(store.list())]) {
      const e = await rejection(attempt());
      expect(e.code).toBe('REPRISE_ERR_ARTIFACTS_UNAVAILABLE');
      expect(e.message).toContain(`bucket "${missing}" does not exist`);
      expect(e.message).toContain(ENDPOINT);
    }
  });

  it('refuses an endpoint variable that is not an http(s) URL', () => {
    expect(() => new S3BlobStore({ url: 's3://bucket', env: { ...ENV, AWS_ENDPOINT_URL_S3: 'localhost:9000' }, tmpDir: dir })).toThrow(
      expect.objectContaining({ code: 'REPRISE_ERR_ARTIFACTS_URL_INVALID', message: expect.stringContaining('AWS_ENDPOINT_URL_S3') }),
    );
  });
});

describe('parseS3Url', () => {
  it('reads the bucket and the prefix', () => {
    expect(parseS3Url('s3://my-bucket')).toEqual({ bucket: 'my-bucket', prefix: '' });
    expect(parseS3Url('s3://my-bucket/')).toEqual({ bucket: 'my-bucket', prefix: '' });
    expect(parseS3Url('s3://my.bucket.1/team/reprise/')).toEqual({ bucket: 'my.bucket.1', prefix: 'team/reprise' });
    expect(parseS3Url('S3://abc/x')).toEqual({ bucket: 'abc', prefix: 'x' });
  });

  it.each([
    ['http://bucket/x', 'is not an s3:// URL'],
    ['bucket/x', 'is not an s3:// URL'],
    ['s3:/bucket', 'is not an s3:// URL'],
    ['s3://', 'names bucket ""'],
    ['s3://ab', '3 to 63 characters'],
    [`s3://${'a'.repeat(64)}`, '3 to 63 characters'],
    ['s3://My-Bucket', 'lower-case'],
    ['s3://my_bucket', 'lower-case'],
    ['s3://-bucket', 'begin and end'],
    ['s3://bucket-', 'begin and end'],
    ['s3://my..bucket', 'adjacent'],
    ['s3://192.168.1.1', 'IP address'],
    ['s3://xn--bucket', 'reserved'],
    ['s3://bucket-s3alias', 'reserved'],
    ['s3://bucket/a//b', 'empty'],
    ['s3://bucket/a/../b', '".."'],
    ['s3://bucket/x?versionId=1', 'query or fragment'],
    ['s3://bucket/x#frag', 'query or fragment'],
    ['s3://bucket/a\u0001b', 'control character'],
  ])('refuses %j', (url, why) => {
    let err: unknown;
    try {
      parseS3Url(url);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RepriseError);
    expect((err as RepriseError).code).toBe('REPRISE_ERR_ARTIFACTS_URL_INVALID');
    expect((err as RepriseError).message).toContain(JSON.stringify(url));
    expect((err as RepriseError).message).toContain(why);
  });

  it('is what the store checks its URL with', () => {
    expect(() => new S3BlobStore({ url: 's3://No_Such', env: ENV, tmpDir: tmpdir() })).toThrow(expect.objectContaining({ code: 'REPRISE_ERR_ARTIFACTS_URL_INVALID' }));
  });
});
