/**
 * A team's server on PostgreSQL and an S3-compatible bucket (moto's server, from
 * scripts/ensure-s3.sh), end to end with the real CLI:
 * - a run through one server is seen through another sharing the database (in the CLI,
 *   and on its page in Chromium); its outputs sit in the bucket, uploaded and downloaded
 *   at presigned URLs, not through the server;
 * - two servers and three agents on one database: a 12-run sweep, each run claimed once;
 * - a database or bucket down at start: a clear error naming it;
 * - the database stopped and the bucket cut off in the middle of a run: the run goes on,
 *   and every metric and output reaches the store once they are back.
 * Needs `npm run build`, PostgreSQL (scripts/ensure-postgres.sh) and moto.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitProject, REPRISE_BIN, reprise, sandbox, waitFor, yamlFor, type CliResult, type Sandbox } from '../helpers/cli.js';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';
import { freshBucket, S3_ENDPOINT, S3_ENV, type TestBucket } from '../helpers/s3.js';
import { runServerCommand, startServer, type RunningServer } from '../helpers/server.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const TIMEOUT = 240_000;

/** Logs `steps` points of `loss`, `pause` s apart, then writes a 1 MiB output of seeded bytes. */
const TRAIN_PY = `import json, os, random, time
p = json.load(open(os.environ["REPRISE_PARAMS"]))
with open(os.environ["REPRISE_METRICS"], "a", buffering=1) as f:
    for step in range(p.get("steps", 3)):
        f.write(json.dumps({"step": step, "loss": 1.0 / (step + 1), "x": p["x"]}) + "\\n")
        time.sleep(p.get("pause", 0))
random.seed(p["x"])
with open(os.path.join(os.environ["REPRISE_OUTPUT_DIR"], "model.bin"), "wb") as f:
    f.write(bytes(random.getrandbits(8) for _ in range(1 << 20)))
print("trained", p["x"])
`;

type Cli = (args: readonly string[], env?: NodeJS.ProcessEnv) => Promise<CliResult>;

describe('a team server on PostgreSQL and S3', () => {
  let sb: Sandbox;
  let db: TestDatabase;
  let bucket: TestBucket;
  let a: RunningServer;
  let b: RunningServer;
  let dir: string;
  const agents: { kill: () => void; output: () => string; closed: Promise<void> }[] = [];

  /** `reprise ARGS` on a user's machine (its own home), through `server`. */
  const cliAt =
    (server: () => RunningServer): Cli =>
    (args, extra = {}) =>
      reprise(sb, dir, args, { REPRISE_HOME: join(sb.root, 'user-home'), REPRISE_SERVER: server().url, REPRISE_USER: 'tester', ...extra });
  const viaA = cliAt(() => a);
  const viaB = cliAt(() => b);
  async function json(cli: Cli, args: readonly string[]): Promise<any> {
    const res = await cli([...args, '--json']);
    if (res.code !== 0) throw new Error(`reprise ${args.join(' ')} exited ${res.code}\n${res.stderr}`);
    return JSON.parse(res.stdout);
  }
  const teamServer = (extra: string[] = []): Promise<RunningServer> =>
    startServer({ args: ['--db', db.url, '--artifacts', bucket.url('team'), '--log-requests', ...extra], env: { ...S3_ENV } });

  beforeAll(async () => {
    sb = await sandbox();
    [db, bucket] = await Promise.all([freshDatabase(), freshBucket()]);
    a = await teamServer();
    b = await teamServer();
    dir = gitProject(sb, {
      'reprise.yaml': yamlFor([{ name: 'train', cmd: 'python3 train.py' }], 'env: { system: true }\n'),
      'input.json': '{"x": 1}\n',
      'train.py': TRAIN_PY,
    });
  }, 120_000);

  afterAll(async () => {
    for (const ag of agents) ag.kill();
    await Promise.all(agents.map((ag) => ag.closed));
    await Promise.all([a?.stop(), b?.stop()]);
    await Promise.all([db?.drop(), bucket?.drop()]);
    await sb?.cleanup();
  });

  it('keeps a run in PostgreSQL and its outputs in the bucket, moved at presigned URLs; another server on the database sees it', { timeout: TIMEOUT }, async () => {
    expect(a.stdout()).toMatch(new RegExp(`\\(store postgres://reprise@127\\.0\\.0\\.1:\\d+/${db.name}, artifacts ${bucket.url('team')}\\)`));
    const ran = await viaA(['run', '-p', 'x=3', '--name', 'team-run']);
    expect(ran.code, ran.stderr).toBe(0);
    const run = await json(viaB, ['show', 'team-run']);
    expect(run).toMatchObject({ status: 'succeeded', metrics: { loss: { last: 1 / 3, count: 3 }, x: { last: 3 } } });
    const model = run.artifacts.find((x: any) => x.path === 'outputs/model.bin');
    expect(model.size).toBe(1 << 20);

    // The metadata is in PostgreSQL, the bytes under the prefix, content-addressed.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const rows = (await client.query('SELECT id, status FROM runs')).rows;
    await client.end();
    expect(rows).toEqual([{ id: run.id, status: 'succeeded' }]);
    expect(await bucket.keys()).toContain(`team/sha256/${model.sha256.slice(0, 2)}/${model.sha256}`);

    // The runner asked the server where to upload, and sent the bytes to the bucket itself.
    const logged = a.stdout();
    expect(logged).toContain(`/api/v1/blobs/${model.sha256}/upload-url`);
    expect(logged).not.toMatch(new RegExp(`"PUT","url":"/api/v1/blobs/${model.sha256}"`));

    // A bundle exported through B reads the bytes from the bucket at a URL B signed.
    const bundle = join(sb.root, 'team-run.tar.gz');
    const exported = await viaB(['export', 'team-run', '-o', bundle]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(b.stdout()).toContain(`/api/v1/blobs/${model.sha256}/url`);
    const listed = await fetch(`${b.url}/api/v1/runs/${run.id}/artifacts/outputs/model.bin`);
    expect(createHash('sha256').update(Buffer.from(await listed.arrayBuffer())).digest('hex')).toBe(model.sha256);
    expect(readFileSync(bundle).length).toBeGreaterThan(1 << 20);

    // The web UI shows it as it shows any run, its download giving the bucket's bytes.
    const browser = await launchBrowser();
    try {
      const { page, assertNoErrors } = await browser.openPage(`${b.url}/runs/${run.id}?tab=artifacts`);
      const row = page.locator('[data-testid="artifact-row"][data-path="outputs/model.bin"]');
      await row.waitFor();
      const href = await row.locator('a[href]').first().getAttribute('href');
      const downloaded = Buffer.from(await (await fetch(new URL(href!, b.url))).arrayBuffer());
      expect(createHash('sha256').update(downloaded).digest('hex')).toBe(model.sha256);
      await screenshot(page, 'team-server-run-artifacts');
      assertNoErrors();
    } finally {
      await browser.close();
    }
  });

  it('two servers and three agents on one database run a 12-run sweep, each run claimed exactly once', { timeout: TIMEOUT }, async () => {
    const queued = await json(viaA, ['sweep', '--grid', 'x=1,2,3,4,5,6,7,8,9,10,11,12', '--name', 'shared-queue']);
    expect(queued.runs).toHaveLength(12);
    for (const [i, server] of [a, a, b].entries()) {
      const home = join(sb.root, `agent-${i}`);
      mkdirSync(home, { recursive: true });
      const env: NodeJS.ProcessEnv = { ...process.env, REPRISE_HOME: home };
      delete env.REPRISE_TEST_MODE;
      const child = spawn(process.execPath, [REPRISE_BIN, 'agent', '--server', server.url, '--name', `agent-${i}`, '--slots', '2'], { cwd: home, env, stdio: ['ignore', 'ignore', 'pipe'] });
      let out = '';
      child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
      agents.push({ kill: () => child.kill('SIGTERM'), output: () => out, closed: new Promise((r) => child.once('close', () => r())) });
    }
    const done = await waitFor(
      'the sweep to finish',
      async () => {
        const runs = await json(viaB, ['ls', '--sweep', 'shared-queue', '-n', '100']);
        return runs.length === 12 && runs.every((r: any) => !['queued', 'preparing', 'running'].includes(r.status)) ? runs : undefined;
      },
      200_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${agents.map((ag) => ag.output().slice(-2000)).join('\n---\n')}`);
    });
    expect(done.map((r: any) => r.status)).toEqual(Array(12).fill('succeeded'));
    const claims = agents.flatMap((ag) => [...ag.output().matchAll(/claimed \S+ \((\w{26})\)/g)].map((m) => m[1]));
    expect(claims.sort()).toEqual(queued.runs.map((r: any) => r.id).sort());
    // Agents of both servers took part.
    const by = new Set(done.map((r: any) => r.submission.worker.name));
    expect(by.has('agent-2') && (by.has('agent-0') || by.has('agent-1'))).toBe(true);
  });

  it('refuses to start when the database or the bucket is down or malformed, naming it', { timeout: 60_000 }, async () => {
    const noDb = await runServerCommand(['--db', 'postgres://reprise:s3cret@127.0.0.1:1/teamdb'], { env: { ...S3_ENV } });
    expect(noDb.code).toBe(69);
    expect(noDb.stderr).toContain('REPRISE_ERR_STORE_UNAVAILABLE');
    expect(noDb.stderr).toContain('127.0.0.1:1');
    expect(noDb.stderr).toContain('teamdb');
    expect(noDb.stderr).not.toContain('s3cret');

    const noS3 = await runServerCommand(['--artifacts', 's3://nowhere/x'], { env: { ...S3_ENV, AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1' } });
    expect(noS3.code).toBe(69);
    expect(noS3.stderr).toContain('REPRISE_ERR_ARTIFACTS_UNAVAILABLE');
    expect(noS3.stderr).toContain('http://127.0.0.1:1');

    const noBucket = await runServerCommand(['--artifacts', 's3://reprise-no-such-bucket'], { env: { ...S3_ENV } });
    expect(noBucket.code).toBe(69);
    expect(noBucket.stderr).toContain('reprise-no-such-bucket');

    const badDb = await runServerCommand(['--db', 'mysql://x@y/z']);
    expect(badDb.code).toBe(2);
    expect(badDb.stderr).toContain('REPRISE_ERR_STORE_URL_INVALID');
    const badS3 = await runServerCommand(['--artifacts', 's3://Not_A_Bucket/x']);
    expect(badS3.code).toBe(2);
    expect(badS3.stderr).toContain('REPRISE_ERR_ARTIFACTS_URL_INVALID');
  });

  describe('outages in the middle of a run', () => {
    let own: PrivatePostgres;
    let s3: TcpProxy;
    let server: RunningServer;

    beforeAll(async () => {
      own = await startPrivatePostgres();
      const endpoint = new URL(S3_ENDPOINT);
      s3 = await startProxy(endpoint.hostname, Number(endpoint.port));
      server = await startServer({
        args: ['--db', own.url, '--artifacts', bucket.url('outage')],
        env: { ...S3_ENV, AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${s3.port}` },
      });
    }, 120_000);

    afterAll(async () => {
      await s3?.restore();
      await server?.stop();
      await s3?.cut();
      own?.remove();
    });

    it('a run goes on while the database is stopped and the bucket is unreachable, and loses nothing', { timeout: TIMEOUT }, async () => {
      const cli = cliAt(() => server);
      const steps = 40;
      const running = cli(['run', '-p', 'x=9', '-p', `steps=${steps}`, '-p', 'pause=0.25', '--name', 'through-outages'], { REPRISE_SERVER_PATIENCE: '5m' });
      // Stopped once some points are stored.
      await waitFor(
        'the first points to reach the store',
        async () => {
          const r = await json(cli, ['show', 'through-outages']).catch(() => undefined);
          return r?.metrics?.loss?.count >= 3 ? r : undefined;
        },
        90_000,
      );
      own.stop();
      await s3.cut();
      // The stage goes on and ends meanwhile (40 × 0.25 s), its outputs waiting to be stored.
      await new Promise((r) => setTimeout(r, 6_000));
      own.start();
      await new Promise((r) => setTimeout(r, 6_000));
      await s3.restore();
      const ended = await running;
      expect(ended.code, ended.stderr).toBe(0);
      expect(ended.stderr).toMatch(/does not answer|retrying/);

      const run = await json(cli, ['show', 'through-outages']);
      expect(run.status).toBe('succeeded');
      expect(run.metrics.loss).toMatchObject({ last: 1 / steps, count: steps });
      // Every point once: none lost while the database was down, none stored twice after.
      const series = (await (await fetch(`${server.url}/api/v1/runs/${run.id}/history?key=loss&full=true`)).json()) as { total: number; steps: number[] };
      expect(series.total).toBe(steps);
      expect(series.steps).toEqual(Array.from({ length: steps }, (_, i) => i));
      const model = run.artifacts.find((x: any) => x.path === 'outputs/model.bin');
      expect(await bucket.keys()).toContain(`outage/sha256/${model.sha256.slice(0, 2)}/${model.sha256}`);
    });
  });
});
