/**
 * The unmodified `mlflow` client against `reprise server --auth`: credentials as mlflow
 * users set them (MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and
 * MLFLOW_TRACKING_PASSWORD holding a password or a token), none at all, and a viewer's
 * token, which reads but may not write. Users and tokens are made by the real CLI on the
 * server's home; what the client logged is read back through Reprise's own API.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repriseOnHome } from '../helpers/cli.js';
import { runPythonScript } from '../helpers/python-script.js';
import { api, removeHome, startServer, tempHome, type Api, type RunningServer } from '../helpers/server.js';
import { assertMlflowVenv, cleanEnv, MLFLOW_CLIENT_ENV, MLFLOW_PYTHON, RUN_ID, SCRIPTS_DIR, summaryOf } from './mlflow-python.js';

const TIMEOUT = 180_000;
const SCRIPT = 'auth_client.py';
const PASSWORDS = { mia: 'mia-password-1', vic: 'vic-password-1' } as const;

/** `reprise <args>` embedded on `home`, `stdin` piped in; its stdout, or an error with its output. */
async function cli(home: string, args: readonly string[], stdin = ''): Promise<string> {
  const res = await repriseOnHome(home, args, { stdin, env: { REPRISE_USER: 'seeder' } });
  if (res.code !== 0) throw new Error(`reprise ${args.join(' ')} exited ${res.code}\n${res.stderr}\n${res.stdout}`);
  return res.stdout;
}

describe('the mlflow client against a server with --auth', () => {
  let home: string;
  let server: RunningServer | undefined;
  /** Reprise's API as the admin. */
  let admin: Api;
  const tokens = { ada: '', mia: '', vic: '' };

  beforeAll(async () => {
    assertMlflowVenv();
    home = tempHome();
    await cli(home, ['users', 'add', 'ada', '--role', 'admin']);
    await cli(home, ['users', 'add', 'mia', '--role', 'member', '--password-stdin'], PASSWORDS.mia);
    await cli(home, ['users', 'add', 'vic', '--role', 'viewer', '--password-stdin'], PASSWORDS.vic);
    for (const user of ['ada', 'mia', 'vic'] as const) tokens[user] = JSON.parse(await cli(home, ['tokens', 'create', '--user', user, '--json'])).token;
    server = await startServer({ home, args: ['--auth'] });
    const base = server.url;
    const plain = api(base);
    // Reprise's own API with the admin's token on every request.
    const withToken = (opts: { headers?: Record<string, string> } = {}) => ({ ...opts, headers: { ...opts.headers, authorization: `Bearer ${tokens.ada}` } });
    admin = {
      request: (m, p, o) => plain.request(m, p, withToken(o)),
      get: (p, o) => plain.get(p, withToken(o)),
      head: (p, o) => plain.head(p, withToken(o)),
      post: (p, b, o) => plain.post(p, b, withToken(o)),
      put: (p, b, o) => plain.put(p, b, withToken(o)),
      patch: (p, b, o) => plain.patch(p, b, withToken(o)),
      delete: (p, o) => plain.delete(p, withToken(o)),
    };
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    if (home) removeHome(home);
  });

  /** The script with these credentials in its environment (and no others). */
  function script(args: readonly string[], credentials: NodeJS.ProcessEnv) {
    return runPythonScript(MLFLOW_PYTHON, join(SCRIPTS_DIR, SCRIPT), args, {
      cwd: SCRIPTS_DIR,
      env: { ...cleanEnv(), ...MLFLOW_CLIENT_ENV, MLFLOW_TRACKING_URI: server!.url, ...credentials },
      timeoutMs: TIMEOUT,
    });
  }

  /** Logs a run with these credentials; checks Reprise holds what was logged. */
  async function logsWith(credentials: NodeJS.ProcessEnv, experiment: string): Promise<string> {
    const summary = summaryOf<{ run_id: string; experiment_id: string }>(SCRIPT, await script(['--mode', 'log', '--experiment', experiment], credentials));
    expect(summary.run_id).toMatch(RUN_ID);
    const run = await admin.get(`/runs/${summary.run_id}`);
    expect(run.status, run.text).toBe(200);
    expect(run.json.run).toMatchObject({ id: summary.run_id, project: experiment, status: 'succeeded' });
    expect((await admin.get(`/runs/${summary.run_id}/params`)).json.params).toEqual({ lr: '0.1', optimizer: 'sgd' });
    expect((await admin.get(`/runs/${summary.run_id}/metrics`)).json.metrics.loss).toMatchObject({ last: 0.25 });
    const artifacts = (await admin.get(`/runs/${summary.run_id}/artifacts`)).json.artifacts;
    expect(artifacts.map((a: { path: string }) => a.path)).toEqual(['docs/notes.txt']);
    expect((await admin.get(`/runs/${summary.run_id}/artifacts/docs/notes.txt`)).text).toBe('logged with credentials\n');
    return summary.run_id;
  }

  let memberRun: string;

  it(
    "logs a run with a member's token in MLFLOW_TRACKING_TOKEN",
    async () => {
      memberRun = await logsWith({ MLFLOW_TRACKING_TOKEN: tokens.mia }, 'mlflow-auth');
      // Who opened it is the token's user, whatever account the client runs under (mlflow.user).
      expect((await admin.get(`/runs/${memberRun}`)).json.run.manifest.trigger).toMatchObject({ kind: 'mlflow', by: 'mia' });
      // The token's last use is recorded.
      const used = (await admin.get('/tokens?user=mia')).json.tokens;
      expect(used[0].lastUsedAt).toEqual(expect.any(Number));
    },
    TIMEOUT,
  );

  it(
    "logs with the member's name and password, and with its name and a token as the password",
    async () => {
      await logsWith({ MLFLOW_TRACKING_USERNAME: 'mia', MLFLOW_TRACKING_PASSWORD: PASSWORDS.mia }, 'mlflow-auth-basic');
      await logsWith({ MLFLOW_TRACKING_USERNAME: 'mia', MLFLOW_TRACKING_PASSWORD: tokens.mia }, 'mlflow-auth-basic-token');
    },
    TIMEOUT,
  );

  it(
    'raises UNAUTHENTICATED (401) without credentials, with a wrong password, and with a token of another user',
    async () => {
      const cases: [string, NodeJS.ProcessEnv, RegExp][] = [
        ['none', {}, /asks who you are/],
        ['a wrong password', { MLFLOW_TRACKING_USERNAME: 'mia', MLFLOW_TRACKING_PASSWORD: 'not-her-password' }, /user name or password is wrong/],
        ["another user's token", { MLFLOW_TRACKING_USERNAME: 'vic', MLFLOW_TRACKING_PASSWORD: tokens.mia }, /belongs to another user/],
        ['a token never issued', { MLFLOW_TRACKING_TOKEN: `rpr_${'x'.repeat(43)}` }, /not one this server issued/],
      ];
      for (const [what, credentials, message] of cases) {
        const summary = summaryOf(SCRIPT, await script(['--mode', 'refused'], credentials));
        expect({ what, error_code: summary.error_code, status: summary.status }).toEqual({ what, error_code: 'UNAUTHENTICATED', status: 401 });
        expect(summary.message).toMatch(message);
      }
    },
    TIMEOUT,
  );

  it(
    "raises PERMISSION_DENIED (403) for a viewer's writes, while its searches and reads work",
    async () => {
      const summary = summaryOf(SCRIPT, await script(['--mode', 'viewer', '--experiment', 'mlflow-auth', '--run', memberRun], { MLFLOW_TRACKING_TOKEN: tokens.vic }));
      expect(summary.found).toEqual([memberRun]);
      expect(Object.keys(summary.refusals).sort()).toEqual(['create_experiment', 'create_run', 'log_metric', 'log_param', 'set_tag']);
      for (const r of Object.values<{ status: number; message: string }>(summary.refusals)) {
        expect(r.status).toBe(403);
        expect(r.message).toContain('vic is a viewer');
      }
      // Nothing was made: the experiment holds the member's run only.
      const runs = await admin.get('/runs?project=mlflow-auth&limit=100');
      expect(runs.json.runs.map((r: { id: string }) => r.id)).toEqual([memberRun]);
    },
    TIMEOUT,
  );
});
