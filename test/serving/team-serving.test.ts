/**
 * Serving from a team's server on PostgreSQL and an S3-compatible bucket: the iris example
 * run by a user through one server (its code pushed to a shared repository), promoted
 * there, and served by another server sharing the database (`--serve`), which fetches the
 * version's files from the bucket and its commit from the recorded remote. Predictions
 * answer at that server's API, the traffic it counts is seen through the first server,
 * and a member's token may predict while a viewer's may not change the settings.
 * Needs `npm run build`, PostgreSQL (scripts/ensure-postgres.sh) and moto (scripts/ensure-s3.sh).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleProject, git, reprise, repriseOnHome, sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.js';
import { freshBucket, S3_ENV, type TestBucket } from '../helpers/s3.js';
import { startServer, type RunningServer } from '../helpers/server.js';

const TIMEOUT = 240_000;

describe('serving from a team server on PostgreSQL and S3', () => {
  let sb: Sandbox;
  let db: TestDatabase;
  let bucket: TestBucket;
  let a: RunningServer;
  let b: RunningServer;
  let dir: string;
  let tokens: { member: string; viewer: string };

  const teamArgs = (): string[] => ['--db', db.url, '--artifacts', bucket.url('team')];
  const admin = (args: readonly string[], stdin?: string) => repriseOnHome(join(sb.root, 'admin-home'), args, { env: { REPRISE_DB: db.url, REPRISE_ARTIFACTS: bucket.url('team'), ...S3_ENV }, ...(stdin !== undefined ? { stdin } : {}) });

  beforeAll(async () => {
    sb = await sandbox();
    mkdirSync(join(sb.root, 'admin-home'), { recursive: true });
    [db, bucket] = await Promise.all([freshDatabase(), freshBucket()]);
    // Users first: the servers ask who calls.
    for (const [name, role] of [['ada', 'admin'], ['max', 'member'], ['vic', 'viewer']] as const) {
      const added = await admin(['users', 'add', name, '--role', role]);
      expect(added.code, added.stderr).toBe(0);
    }
    const token = async (user: string): Promise<string> => {
      const made = await admin(['tokens', 'create', '--user', user, '--json']);
      expect(made.code, made.stderr).toBe(0);
      return JSON.parse(made.stdout).token as string;
    };
    tokens = { member: await token('max'), viewer: await token('vic') };
    a = await startServer({ args: [...teamArgs(), '--auth'], env: { ...S3_ENV } });
    // The user's code lives in a shared repository, as on a git host: the serving server fetches the commit from there.
    dir = exampleProject(sb, 'iris');
    const remote = join(sb.root, 'iris.git');
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', remote]);
    git(dir, 'remote', 'add', 'origin', remote);
    git(dir, 'push', '-q', 'origin', 'main');
    const user = { REPRISE_HOME: join(sb.root, 'user-home'), REPRISE_SERVER: a.url, REPRISE_TOKEN: tokens.member };
    const ran = await reprise(sb, dir, ['run', '--name', 'team-iris', '-p', 'epochs=30'], user);
    expect(ran.code, ran.stderr).toBe(0);
    const promoted = await reprise(sb, dir, ['promote', 'team-iris'], user);
    expect(promoted.code, promoted.stderr).toBe(0);
    b = await startServer({ args: [...teamArgs(), '--auth', '--serve', 'iris-classifier@candidate'], env: { ...S3_ENV }, startTimeoutMs: 120_000 });
  }, TIMEOUT);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await Promise.all([db?.drop(), bucket?.drop()]);
    await sb?.cleanup();
  });

  const call = (server: RunningServer, path: string, token: string, body?: unknown) =>
    fetch(`${server.url}/api/v1${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('answers predictions from the version in the bucket, at its code from the shared repository', { timeout: TIMEOUT }, async () => {
    await waitFor('the serving line', () => b.stderr().includes('serving iris-classifier@candidate (version 1, json-lines (2 workers))'));
    const res = await call(b, '/models/iris-classifier/candidate/predict', tokens.member, { inputs: [[5.1, 3.5, 1.4, 0.2], [6.3, 2.9, 5.6, 1.8]], id: 'team-1' });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as any;
    expect(answer).toMatchObject({ id: 'team-1', model: 'iris-classifier', alias: 'candidate', version: 1 });
    expect(answer.outputs.map((o: any) => o.label)).toEqual(['setosa', 'virginica']);
    // Without credentials the served model answers nobody.
    expect((await fetch(`${b.url}/api/v1/models/iris-classifier/candidate/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inputs":[]}' })).status).toBe(401);
    // The server that does not serve it says so.
    const elsewhere = await call(a, '/models/iris-classifier/candidate/predict', tokens.member, { inputs: [[5.1, 3.5, 1.4, 0.2]] });
    expect(elsewhere.status).toBe(404);
    expect(((await elsewhere.json()) as any).error.code).toBe('REPRISE_ERR_MODEL_NOT_SERVED');
  });

  it('shares what it counts and samples through the database, and keeps settings to admins', { timeout: TIMEOUT }, async () => {
    for (let i = 0; i < 10; i++) expect((await call(b, '/models/iris-classifier/candidate/predict', tokens.member, { inputs: [[5.9, 3.0, 5.1, 1.8]] })).status).toBe(200);
    // Seen through the other server: traffic written by the serving one into PostgreSQL (these 10 and the first test's 1).
    const summary = await waitFor('the traffic seen through the other server', async () => {
      const models = ((await (await call(a, '/production', tokens.viewer)).json()) as any).models as any[];
      const m = models.find((x) => x.model === 'iris-classifier');
      return m && m.lastHour.requests >= 11 ? m : undefined;
    });
    expect(summary).toMatchObject({ projects: ['iris'], lastHour: { errors: 0 } });
    // The serving server says what it serves.
    const here = ((await (await call(b, '/production', tokens.viewer)).json()) as any).models.find((x: any) => x.model === 'iris-classifier');
    expect(here.served).toMatchObject([{ alias: 'candidate', version: 1 }]);
    // The request was sampled, so its ground truth is taken.
    const fed = await call(b, '/models/iris-classifier/candidate/feedback', tokens.member, { id: 'team-1', truth: ['setosa', 'virginica'] });
    expect(await fed.json()).toEqual({ recorded: true });

    const put = (token: string) =>
      fetch(`${a.url}/api/v1/models/iris-classifier/monitoring`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ sampleRate: 0.5 }) });
    expect((await put(tokens.viewer)).status).toBe(403);
    const byAdmin = await admin(['models', 'monitor', 'iris-classifier', '--sample-rate', '0.5', '--json']);
    expect(byAdmin.code, byAdmin.stderr).toBe(0);
    expect(JSON.parse(byAdmin.stdout).sampleRate).toBe(0.5);
  });
});
