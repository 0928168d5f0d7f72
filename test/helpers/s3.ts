/**
 * A bucket of its own for a test, on the test S3-compatible server (scripts/ensure-s3.sh
 * starts moto's server; REPRISE_TEST_S3_ENDPOINT names another), with the AWS_* settings
 * a Reprise process needs to reach it. Emptied and removed when the test is done.
 */
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

// The SDK warns on every client that later versions will need Node 22; tests have no use for it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const S3_ENDPOINT = process.env.REPRISE_TEST_S3_ENDPOINT ?? 'http://127.0.0.1:54330';

/** What a process needs in its environment to use the test server. */
export const S3_ENV = {
  AWS_ENDPOINT_URL_S3: S3_ENDPOINT,
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'us-east-1',
} as const;

export interface TestBucket {
  readonly name: string;
  /** s3://NAME/PREFIX */
  url(prefix?: string): string;
  /** Every key in it. */
  keys(): Promise<string[]>;
  drop(): Promise<void>;
}

export function s3Client(): S3Client {
  return new S3Client({
    endpoint: S3_ENDPOINT,
    forcePathStyle: true,
    region: S3_ENV.AWS_REGION,
    credentials: { accessKeyId: S3_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: S3_ENV.AWS_SECRET_ACCESS_KEY },
  });
}

export async function freshBucket(): Promise<TestBucket> {
  const client = s3Client();
  const name = `reprise-t-${randomBytes(6).toString('hex')}`;
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } catch (e) {
    throw new Error(`the test S3 server at ${S3_ENDPOINT} is not usable (start it with bash scripts/ensure-s3.sh): ${e instanceof Error ? e.message : String(e)}`);
  }
  const keys = async (): Promise<string[]> => {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: name, ContinuationToken: token }));
      out.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  };
  return {
    name,
    url: (prefix) => `s3://${name}${prefix ? `/${prefix}` : ''}`,
    keys,
    drop: async () => {
      const all = await keys().catch(() => []);
      for (let i = 0; i < all.length; i += 1000) {
        await client.send(new DeleteObjectsCommand({ Bucket: name, Delete: { Objects: all.slice(i, i + 1000).map((Key) => ({ Key })) } }));
      }
      await client.send(new DeleteBucketCommand({ Bucket: name })).catch(() => undefined);
      client.destroy();
    },
  };
}
