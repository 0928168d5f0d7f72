/**
 * The stages of runs the server runs itself (`reprise server --auth --workers 1`): they get
 * a token of their own run in MLFLOW_TRACKING_TOKEN, so their `mlflow` calls land in the
 * run, it writes nothing else, and it is revoked once the stages are done.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitProject, repriseJson, repriseOnHome, sandbox, waitFor, yamlFor, type Sandbox } from '../helpers/cli.js';
import { api, startServer, type Api, type RunningServer } from '../helpers/server.js';

/** Logs a param into its own run and tries another run, through the MLflow API as a stage's mlflow client would. */
const STAGE_PY = `import json, os, urllib.request, urllib.error
def log(run_id, key):
    req = urllib.request.Request(
        os.environ["MLFLOW_TRACKING_URI"] + "/api/2.0/mlflow/runs/log-parameter",
        data=json.dumps({"run_id": run_id, "key": key, "value": "1"}).encode(),
        headers={"content-type": "application/json", "authorization": "Bearer " + os.environ.get("MLFLOW_TRACKING_TOKEN", "")},
        method="POST")
    try:
        return urllib.request.urlopen(req).status
    except urllib.error.HTTPError as e:
        return e.code
p = json.load(open(os.environ["REPRISE_PARAMS"]))
print("OWN", log(os.environ["MLFLOW_RUN_ID"], "from_stage"))
print("OTHER", log(p["other"], "intruder"))
`;

describe('stages of the server\'s own workers with --auth', () => {
  let sb: Sandbox;
  let server: RunningServer;
  let admin: Api;
  let dir: string;
  let memberToken: string;
  const serverHome = (): string => join(sb.root, 'auth-worker-server');
  const seed = async (args: readonly string[]): Promise<any> => {
    const res = await repriseOnHome(serverHome(), [...args, '--json']);
    if (res.code !== 0) throw new Error(`reprise ${args.join(' ')} exited ${res.code}\n${res.stderr}`);
    return JSON.parse(res.stdout);
  };

  beforeAll(async () => {
    sb = await sandbox();
    mkdirSync(serverHome(), { recursive: true });
    await seed(['users', 'add', 'ops', '--role', 'admin']);
    await seed(['users', 'add', 'mia', '--role', 'member']);
    const adminToken = (await seed(['tokens', 'create', '--user', 'ops'])).token as string;
    memberToken = (await seed(['tokens', 'create', '--user', 'mia'])).token as string;
    server = await startServer({ home: serverHome(), args: ['--auth', '--workers', '1'] });
    admin = api(server.url, { token: adminToken });
    dir = gitProject(sb, {
      'reprise.yaml': yamlFor([{ name: 'train', cmd: 'python3 stage.py' }], 'env: { system: true }\n'),
      'input.json': '{"other": "none"}\n',
      'stage.py': STAGE_PY,
    });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await sb?.cleanup();
  });

  it('gives them a token of their run only, revoked when they are done', { timeout: 180_000 }, async () => {
    const user = { REPRISE_HOME: join(sb.root, 'user-home'), REPRISE_SERVER: server.url, REPRISE_TOKEN: memberToken };
    const first = (await repriseJson(sb, dir, ['submit'], user)).runs[0].id as string;
    const ended = (id: string) => waitFor(`run ${id} to end`, async () => ((await admin.get(`/runs/${id}`)).json.run.status === 'succeeded' ? true : undefined), 120_000);
    await ended(first);
    const second = (await repriseJson(sb, dir, ['submit', '-p', `other=${JSON.stringify(first)}`], user)).runs[0].id as string;
    await ended(second);

    const log = (await admin.get(`/runs/${second}/logs/train/stdout`)).text;
    // Its own run took the param; the other run was refused (403), its params untouched.
    expect(log).toContain('OWN 200');
    expect(log).toContain('OTHER 403');
    expect((await admin.get(`/runs/${second}/params`)).json.params).toMatchObject({ from_stage: '1' });
    expect((await admin.get(`/runs/${first}/params`)).json.params.intruder).toBeUndefined();
    // The token was a run token the server made, and is revoked now that the stages are done.
    const tokens = (await admin.get('/tokens?all=true&revoked=true')).json.tokens as any[];
    const own = tokens.filter((t) => t.runId === second);
    expect(own).toEqual([expect.objectContaining({ kind: 'run', user: null, createdBy: 'server', revokedAt: expect.any(Number) })]);
    // Who submitted is the member whose token the client sent.
    expect((await admin.get(`/runs/${second}`)).json.run.manifest.trigger).toMatchObject({ kind: 'submit', by: 'mia' });
  });
});
