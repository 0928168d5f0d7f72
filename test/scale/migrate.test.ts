/**
 * `reprise db migrate` on a new database, and `reprise migrate` end to end: a laptop's embedded store (runs made with the real CLI,
 * a promotion and a tag among them) moved into an empty PostgreSQL database and an S3
 * bucket, then served from there with the same answers; run again after part of the
 * copy is gone, it finishes the job; a damaged blob and a target filled from another
 * store are refused, naming them.
 * Needs `npm run build`, PostgreSQL (scripts/ensure-postgres.sh) and moto (scripts/ensure-s3.sh).
 */
import { chmodSync, cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitProject, reprise, repriseJson, sandbox, yamlFor, type Sandbox } from '../helpers/cli.js';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.js';
import { freshBucket, s3Client, S3_ENV, type TestBucket } from '../helpers/s3.js';
import { startServer, type RunningServer } from '../helpers/server.js';

const TIMEOUT = 180_000;

const TRAIN_PY = `import json, os
p = json.load(open(os.environ["REPRISE_PARAMS"]))
with open(os.environ["REPRISE_METRICS"], "a") as f:
    for step in range(50):
        f.write(json.dumps({"step": step, "acc": p["x"] * step / 100}) + "\\n")
with open(os.path.join(os.environ["REPRISE_OUTPUT_DIR"], "weights.txt"), "w") as f:
    f.write("weights of %d\\n" % p["x"] * 1000)
with open(os.path.join(os.environ["REPRISE_MODEL_DIR"], "model.txt"), "w") as f:
    f.write("model %d\\n" % p["x"])
`;

describe('reprise migrate', () => {
  let sb: Sandbox;
  let dir: string;
  let db: TestDatabase;
  let bucket: TestBucket;
  const laptop = (): string => join(sb.root, 'laptop-home');

  /** `reprise ARGS` on the laptop (embedded), or on another machine through `server`. */
  const machine = (server?: RunningServer): NodeJS.ProcessEnv =>
    server ? { ...S3_ENV, REPRISE_HOME: join(sb.root, 'client-home'), REPRISE_SERVER: server.url, REPRISE_USER: 'tester' } : { ...S3_ENV, REPRISE_HOME: laptop(), REPRISE_USER: 'tester' };
  const cli = (args: readonly string[], server?: RunningServer) => reprise(sb, dir, args, machine(server));
  const json = (args: readonly string[], server?: RunningServer) => repriseJson(sb, dir, args, machine(server));
  const migrate = (to: string, artifacts: string, from = laptop()) => cli(['migrate', '--from', from, '--to', to, '--artifacts', artifacts, '--json']);

  beforeAll(async () => {
    sb = await sandbox();
    [db, bucket] = await Promise.all([freshDatabase(), freshBucket()]);
    dir = gitProject(sb, {
      'reprise.yaml': yamlFor([{ name: 'train', cmd: 'python3 train.py' }], 'env: { system: true }\nmodel: { name: clf }\ngates:\n  - { metric: acc, op: ">=", value: 0.01 }\n'),
      'input.json': '{"x": 1}\n',
      'train.py': TRAIN_PY,
    });
    for (const x of [1, 2, 3]) {
      const r = await cli(['run', '-p', `x=${x}`, '--name', `laptop-${x}`]);
      if (r.code !== 0) throw new Error(r.stderr);
    }
    for (const args of [['keep', 'laptop-2'], ['promote', 'laptop-3', '--alias', 'prod']]) {
      const r = await cli(args);
      if (r.code !== 0) throw new Error(`reprise ${args.join(' ')}: ${r.stderr}`);
    }
  }, TIMEOUT);

  afterAll(async () => {
    await Promise.all([db?.drop(), bucket?.drop()]);
    await sb?.cleanup();
  });

  it('moves the store into PostgreSQL and S3, where a server gives the same answers', { timeout: TIMEOUT }, async () => {
    const before = await json(['ls', '-n', '100']);
    const res = await migrate(db.url, bucket.url('team'));
    expect(res.code, res.stderr).toBe(0);
    const report = JSON.parse(res.stdout);
    expect(report.resumed).toBe(false);
    const runsTable = report.tables.find((t: any) => t.name === 'runs');
    expect(runsTable).toEqual({ name: 'runs', rows: 3, copied: 3 });
    const localBlobs = readdirSync(join(laptop(), 'blobs', 'sha256'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
    expect(report.blobs).toMatchObject({ count: localBlobs, copied: localBlobs });

    const server = await startServer({ args: ['--db', db.url, '--artifacts', bucket.url('team')], env: { ...S3_ENV } });
    try {
      const after = await json(['ls', '-n', '100'], server);
      const strip = (runs: any[]) => runs.map((r) => ({ id: r.id, name: r.name, status: r.status, metrics: r.metrics, params: r.params, retention: r.retention }));
      expect(strip(after)).toEqual(strip(before));
      const shown = await json(['show', 'laptop-3'], server);
      expect(shown.metrics.acc).toMatchObject({ count: 50, last: 0.03 * 49 });
      const weights = shown.artifacts.find((a: any) => a.path === 'outputs/weights.txt');
      const bytes = await (await fetch(`${server.url}/api/v1/runs/${shown.id}/artifacts/outputs/weights.txt`)).text();
      expect(bytes).toBe('weights of 3\n'.repeat(1000));
      expect(weights.size).toBe(bytes.length);
      const models = await json(['models', 'show', 'clf'], server);
      expect(JSON.stringify(models)).toContain(shown.id);
      // New runs get fresh ids and numbers after the copied ones.
      const more = await cli(['run', '-p', 'x=4', '--name', 'after-move'], server);
      expect(more.code, more.stderr).toBe(0);
    } finally {
      await server.stop();
    }
  });

  it('reprise db migrate brings a new database to the latest schema, then finds it up to date', { timeout: 60_000 }, async () => {
    const target = await freshDatabase();
    try {
      const first = await json(['db', 'migrate', '--db', target.url]);
      expect(first.store).toEqual({ kind: 'postgres', where: target.url });
      expect(first.from).toBe(0);
      expect(first.to).toBeGreaterThan(0);
      const again = await cli(['db', 'migrate', '--db', target.url]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout.trim()).toBe(`PostgreSQL ${target.url}: schema ${first.to}, up to date`);
      const bad = await cli(['db', 'migrate', '--db', 'sqlite:///tmp/x.db']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('REPRISE_ERR_STORE_URL_INVALID');
    } finally {
      await target.drop();
    }
  });

  it('run again after part of the copy is gone, finishes the job', { timeout: TIMEOUT }, async () => {
    const target = await freshDatabase();
    try {
      const first = await migrate(target.url, bucket.url('again'));
      expect(first.code, first.stderr).toBe(0);
      // Rows and a blob lost, as an interrupted copy would have left them.
      const client = new pg.Client({ connectionString: target.url });
      await client.connect();
      const dropped = (await client.query("DELETE FROM metric_chunks WHERE series_id IN (SELECT id FROM metric_series WHERE key = 'acc')")).rowCount;
      await client.end();
      expect(dropped).toBeGreaterThan(0);
      const key = (await bucket.keys()).find((k) => k.startsWith('again/'))!;
      await s3Client().send(new DeleteObjectCommand({ Bucket: bucket.name, Key: key }));

      const second = await migrate(target.url, bucket.url('again'));
      expect(second.code, second.stderr).toBe(0);
      const report = JSON.parse(second.stdout);
      expect(report.resumed).toBe(true);
      expect(report.blobs.copied).toBe(1);
      expect(report.tables.find((t: any) => t.name === 'metric_chunks').copied).toBe(dropped);
      expect(report.tables.find((t: any) => t.name === 'runs').copied).toBe(0);
      expect(second.stderr).toContain('finishing an earlier migration');
    } finally {
      await target.drop();
    }
  });

  it('refuses a target filled from another store, and a damaged blob, naming them', { timeout: TIMEOUT }, async () => {
    const other = join(sb.root, 'other-home');
    const made = await cli(['run', '-p', 'x=5']);
    expect(made.code).toBe(0);
    // `db` was filled from the laptop: another store may not pour into it.
    mkdirSync(other, { recursive: true });
    cpSync(join(laptop(), 'reprise.db'), join(other, 'reprise.db'));
    cpSync(join(laptop(), 'blobs'), join(other, 'blobs'), { recursive: true });
    const refused = await migrate(db.url, bucket.url('team'), other);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('filled from another store');

    // A blob whose bytes no longer hash to its name stops the copy, naming it.
    const shard = readdirSync(join(other, 'blobs', 'sha256'))[0]!;
    const name = readdirSync(join(other, 'blobs', 'sha256', shard))[0]!;
    const path = join(other, 'blobs', 'sha256', shard, name);
    chmodSync(path, 0o644);
    writeFileSync(path, 'tampered');
    const target = await freshDatabase();
    try {
      const damaged = await migrate(target.url, bucket.url('damaged'), other);
      expect(damaged.code).toBe(65);
      expect(damaged.stderr).toContain('REPRISE_ERR_MIGRATE_MISMATCH');
      expect(damaged.stderr).toContain(name);
    } finally {
      await target.drop();
    }
  });
});
