/**
 * Merging to main runs the pipeline, end to end: a real bare repository on disk with the
 * hook `reprise hooks install` puts in it, real `git push`es, a real server whose own
 * worker runs what is queued. A push to main queues exactly one run at the pushed commit,
 * which executes and records that commit and who pushed it; a push to another branch
 * queues none; a push that changes only code reuses the environment, one that changes
 * requirements.txt builds a new one. The webhook endpoint gets GitHub-, GitLab- and
 * Gitea-shaped deliveries with good, bad and missing signatures, replays, tag pushes and
 * deletions. `reprise ci --wait` exits by the run's outcome and its gates. A project that
 * configures `image:` gets its image built on the merge: this machine runs no container
 * engine, so a stand-in `docker` on the server's PATH plays one that builds and pushes.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, REPRISE_BIN, sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { makeWheel } from '../helpers/wheels.js';
import { spawn } from 'node:child_process';

const TIMEOUT = 240_000;
const SECRET = 'merge-secret-0123456789';

const TRAIN_PY = (factor: number): string => `import json, os
p = json.load(open(os.environ["REPRISE_PARAMS"]))
with open(os.environ["REPRISE_METRICS"], "a") as f:
    f.write(json.dumps({"step": 0, "score": p["lr"] * ${factor}}) + "\\n")
print("trained with lr", p["lr"])
`;

const YAML = `name: merged
params: input.json
env:
  requirements: requirements.txt
  no_index: true
  find_links: wheels
stages:
  - { name: train, cmd: python train.py }
gates:
  - { metric: score, op: ">=", value: 0.5 }
`;

/** A docker that answers, builds by checking its context, and pushes: what a team's engine does, minus the daemon. */
const FAKE_DOCKER = `#!/bin/sh
case "$1" in
  info) echo "27.0.0" ;;
  build) ctx=""; for a in "$@"; do ctx="$a"; done; test -f "$ctx/Dockerfile" || { echo "no Dockerfile in $ctx" >&2; exit 1; }; echo "Successfully built" ;;
  push) echo "pushed $2" ;;
  image)
    for a in "$@"; do last="$a"; done
    case "$*" in
      *RepoDigests*) echo "\${last%:*}@sha256:2a1c3f00d5b6e4a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071829" ;;
      *) echo "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" ;;
    esac ;;
  *) echo "unexpected: $*" >&2; exit 1 ;;
esac
`;

interface Cli {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('merging to main runs the pipeline', () => {
  let sb: Sandbox;
  let server: RunningServer;
  let bare: string;
  let work: string;

  function run(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Cli> {
    return new Promise((resolve) => {
      const e: NodeJS.ProcessEnv = { ...process.env, REPRISE_HOME: join(sb.root, 'user-home'), REPRISE_SERVER: server.url, REPRISE_USER: 'tester', ...env };
      delete e.REPRISE_TEST_MODE;
      for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k];
      const child = spawn(cmd, args, { cwd, env: e, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  }
  const cli = (args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd = work): Promise<Cli> => run(process.execPath, [REPRISE_BIN, ...args], cwd, env);
  async function cliJson(args: readonly string[]): Promise<any> {
    const res = await cli([...args, '--json']);
    if (res.code !== 0) throw new Error(`reprise ${args.join(' ')} exited ${res.code}\n${res.stderr}`);
    return JSON.parse(res.stdout);
  }
  const runs = async (): Promise<any[]> => cliJson(['ls', '--project', 'merged', '-n', '500']);

  /** Commits the files in the clone and pushes the branch; git push's output (the hook's lines come as `remote:`). */
  async function pushCommit(files: Record<string, string>, message: string, branch = 'main'): Promise<{ commit: string; output: string }> {
    for (const [path, text] of Object.entries(files)) writeFileSync(join(work, path), text);
    git(work, 'add', '-A');
    git(work, 'commit', '-qm', message);
    const commit = git(work, 'rev-parse', 'HEAD').trim();
    const res = await run('git', ['push', 'origin', `HEAD:refs/heads/${branch}`], work);
    expect(res.code, res.stderr).toBe(0);
    return { commit, output: res.stderr };
  }

  /** The finished run of a commit, once its worker ended it. */
  async function finishedRunAt(commit: string, count = 1): Promise<any[]> {
    return waitFor(`${count} finished run(s) at ${commit.slice(0, 12)}`, async () => {
      const at = (await runs()).filter((r) => r.commit === commit);
      return at.length >= count && at.every((r) => !['queued', 'preparing', 'running'].includes(r.status)) ? at : undefined;
    }, 120_000);
  }

  async function hook(headers: Record<string, string>, payload: unknown, query = ''): Promise<{ status: number; body: any }> {
    const res = await fetch(`${server.url}/api/v1/hooks/git${query}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(payload) });
    return { status: res.status, body: await res.json() };
  }
  const sign = (payload: unknown, secret = SECRET): string => createHmac('sha256', secret).update(JSON.stringify(payload)).digest('hex');

  let first: string;

  beforeAll(async () => {
    sb = await sandbox();
    const stub = join(sb.root, 'stub-bin');
    mkdirSync(stub, { recursive: true });
    writeFileSync(join(stub, 'docker'), FAKE_DOCKER);
    chmodSync(join(stub, 'docker'), 0o755);
    server = await startServer({ args: ['--workers', '1'], env: { PATH: `${stub}:${process.env.PATH}`, REPRISE_SYSTEM_METRICS_INTERVAL: '0' } });
    bare = join(sb.root, 'origin.git');
    git(sb.root, 'init', '-q', '--bare', '-b', 'main', bare);
    work = join(sb.root, 'work');
    git(sb.root, 'clone', '-q', bare, work);
    mkdirSync(join(work, 'ml'));
    // The project lives in a folder of the repository, as in a monorepo.
    writeFileSync(join(work, 'ml', 'reprise.yaml'), YAML);
    writeFileSync(join(work, 'ml', 'input.json'), '{"lr": 0.3}\n');
    writeFileSync(join(work, 'ml', 'requirements.txt'), '# standard library only\n');
    writeFileSync(join(work, 'ml', 'train.py'), TRAIN_PY(2));
    // A wheelhouse in the repository: a requirement added later installs without an index.
    makeWheel(join(work, 'ml', 'wheels'), 'tinydep', '1.0');
    git(work, 'add', '-A');
    git(work, 'commit', '-qm', 'first model');
    git(work, 'push', '-q', 'origin', 'main');
    first = git(work, 'rev-parse', 'HEAD').trim();
    work = join(work, 'ml');
  }, TIMEOUT);

  afterAll(async () => {
    await server?.stop();
    await sb?.cleanup();
  });

  it('installs a post-receive hook in the bare repository; a push to main queues exactly one run at the pushed commit, which runs it', async () => {
    const nowhere = await cli(['hooks', 'install'], { REPRISE_SERVER: undefined }, bare);
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toContain('--server');
    // A hook of someone else's is left as it is unless told.
    writeFileSync(join(bare, 'hooks', 'post-receive'), '#!/bin/sh\necho theirs\n');
    const theirs = await cli(['hooks', 'install'], {}, bare);
    expect(theirs.code).toBe(2);
    expect(theirs.stderr).toContain('is not Reprise');
    const install = await cli(['hooks', 'install', '--force'], {}, bare);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toContain(join(bare, 'hooks', 'post-receive'));
    expect(install.stdout).toContain('of ml/');
    // Installing again replaces Reprise's own hook; another hook is left alone.
    expect((await cli(['hooks', 'install'], {}, bare)).stdout).toContain('replaced');

    const pushed = await pushCommit({ 'input.json': '{"lr": 0.4}\n' }, 'Raise the learning rate\n\nWider search next.');
    const [authorName, authorEmail] = git(work, 'log', '-1', '--format=%an%n%ae').trim().split('\n');
    expect(pushed.output).toMatch(/remote: reprise: queued run \S+ of merged at [0-9a-f]{12}/);
    const [r] = await finishedRunAt(pushed.commit);
    expect(r.status).toBe('succeeded');
    expect((await runs()).filter((x) => x.commit === pushed.commit)).toHaveLength(1);
    const shown = await cliJson(['show', r.id]);
    expect(shown.manifest.code).toMatchObject({ kind: 'git', commit: pushed.commit, branch: 'main', subdir: 'ml', dirty: false });
    expect(shown.manifest.params.values).toEqual({ lr: 0.4 });
    expect(shown.metrics.score.last).toBeCloseTo(0.8);
    expect(shown.trigger).toMatchObject({
      kind: 'merge',
      provider: 'git',
      branch: 'main',
      commit: pushed.commit,
      before: first,
      author: { name: authorName, email: authorEmail },
      message: 'Raise the learning rate\n\nWider search next.',
      by: 'tester',
    });
    expect(shown.manifest.environment.resolved.cacheHit).toBe(false);
    const text = await cli(['show', r.id]);
    expect(text.stdout).toContain('started   by merge to main');
    expect(text.stdout).toContain(`"Raise the learning rate" by ${authorName}`);
    // The run filter finds it by what started it.
    const merges = await cliJson(['ls', '--filter', 'trigger = "merge"']);
    expect(merges.map((x: any) => x.id)).toEqual([r.id]);
  }, TIMEOUT);

  it('in a working clone, a post-merge hook reports each merge into main; the server reads the code from the clone', async () => {
    const clone = join(sb.root, 'teammate');
    git(sb.root, 'clone', '-q', bare, clone);
    const install = await cli(['hooks', 'install'], {}, join(clone, 'ml'));
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toContain(join(clone, '.git', 'hooks', 'post-merge'));
    const pushed = await pushCommit({ 'input.json': '{"lr": 0.5}\n' }, 'Half a step');
    await finishedRunAt(pushed.commit);
    const pulled = await run('git', ['pull', '--no-rebase', '-q', 'origin', 'main'], clone);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).toContain('queued run');
    const both = await finishedRunAt(pushed.commit, 2);
    const fromClone = both.find((r) => r.trigger.repository === clone);
    expect(fromClone, JSON.stringify(both.map((r) => r.trigger))).toBeDefined();
    expect(fromClone.status).toBe('succeeded');
    expect(fromClone.trigger).toMatchObject({ kind: 'merge', provider: 'git', commit: pushed.commit, branch: 'main' });
  }, TIMEOUT);

  it('a push to another branch queues no run', async () => {
    const before = (await runs()).length;
    const pushed = await pushCommit({ 'input.json': '{"lr": 0.9}\n' }, 'try something on a branch', 'experiment');
    expect(pushed.output).not.toContain('queued run');
    git(work, 'reset', '-q', '--hard', 'HEAD~1');
    // Nothing is queued later either: the worker finds an empty queue.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await runs()).length).toBe(before);
  }, TIMEOUT);

  it('a push that changes only code reuses the environment; one that changes requirements.txt builds a new one', async () => {
    const prior = (await runs()).find((r: any) => r.trigger.kind === 'merge');
    const priorEnv = (await cliJson(['show', prior.id])).manifest.environment.resolved;

    const code = await pushCommit({ 'train.py': TRAIN_PY(3) }, 'Score by three');
    const [codeRun] = await finishedRunAt(code.commit);
    const codeEnv = (await cliJson(['show', codeRun.id])).manifest.environment.resolved;
    expect(codeRun.status).toBe('succeeded');
    expect(codeEnv.cacheHit).toBe(true);
    expect(codeEnv.hash).toBe(priorEnv.hash);
    expect(codeRun.metrics.score).toBeCloseTo(1.5); // lr 0.5, now times three

    // A comment alone changes nothing pip installs (the environment key ignores it); a new requirement does.
    const comment = await pushCommit({ 'requirements.txt': '# standard library only, for now\n' }, 'Reword a comment');
    const [commentRun] = await finishedRunAt(comment.commit);
    expect((await cliJson(['show', commentRun.id])).manifest.environment.resolved.cacheHit).toBe(true);
    const reqs = await pushCommit({ 'requirements.txt': 'tinydep==1.0\n' }, 'Touch requirements');
    const [reqRun] = await finishedRunAt(reqs.commit);
    const reqEnv = (await cliJson(['show', reqRun.id])).manifest.environment.resolved;
    expect(reqRun.status).toBe('succeeded');
    expect(reqEnv.cacheHit).toBe(false);
    expect(reqEnv.hash).not.toBe(priorEnv.hash);
    expect((await cli(['show', reqRun.id])).stdout).toMatch(/env\s+venv \S+ from requirements, built in/);
  }, TIMEOUT);

  describe('webhooks from git hosts', () => {
    let head: string;
    const repoUrl = (): string => `file://${bare}`;

    beforeAll(async () => {
      head = git(work, 'rev-parse', 'HEAD').trim();
      const linked = await cli(['hooks', 'link', repoUrl(), '--secret', SECRET]);
      expect(linked.code, linked.stderr).toBe(0);
      // Project and folder come from the project around the command.
      expect(linked.stdout).toContain('linked project merged to');
      expect(linked.stdout).toContain('of the project in ml/');
      expect(linked.stdout).not.toContain(SECRET);
    }, TIMEOUT);

    const githubPush = (over: Record<string, unknown> = {}) => ({
      ref: 'refs/heads/main',
      before: first,
      after: head,
      created: false,
      deleted: false,
      compare: 'https://git.example.com/acme/ml/compare/x...y',
      repository: { full_name: 'acme/ml', clone_url: repoUrl(), html_url: 'https://git.example.com/acme/ml' },
      pusher: { name: 'grace', email: 'grace@example.com' },
      sender: { login: 'grace' },
      head_commit: { id: head, message: 'Touch requirements', url: `https://git.example.com/acme/ml/commit/${head}`, author: { name: 'Ada Lovelace', email: 'ada@example.com' } },
      ...over,
    });
    const githubHeaders = (payload: unknown, delivery: string, secret = SECRET): Record<string, string> => ({
      'x-github-event': 'push',
      'x-github-delivery': delivery,
      'x-hub-signature-256': `sha256=${sign(payload, secret)}`,
    });
    const countAt = async (commit: string): Promise<number> => (await runs()).filter((r) => r.commit === commit).length;

    it('GitHub: a signed push to main queues one run, recorded as a merge with the push\'s sender; the same delivery again starts nothing', async () => {
      const before = await countAt(head);
      const payload = githubPush();
      const delivery = randomUUID();
      const res = await hook(githubHeaders(payload, delivery), payload);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body.projects).toEqual([expect.objectContaining({ project: 'merged', queued: expect.objectContaining({ commit: head }) })]);
      const id = res.body.projects[0].queued.id;
      const replay = await hook(githubHeaders(payload, delivery), payload);
      expect(replay.status).toBe(200);
      expect(replay.body.projects[0].duplicate.runIds).toEqual([id]);
      const all = await finishedRunAt(head, before + 1);
      expect(all).toHaveLength(before + 1);
      const shown = await cliJson(['show', id]);
      expect(shown.status).toBe('succeeded');
      expect(shown.trigger).toMatchObject({ kind: 'merge', provider: 'github', by: 'grace', delivery, commit: head, url: `https://git.example.com/acme/ml/commit/${head}` });
    }, TIMEOUT);

    it('GitHub: a bad or missing signature gets 401 and starts nothing', async () => {
      const before = (await runs()).length;
      const payload = githubPush();
      const bad = await hook(githubHeaders(payload, randomUUID(), 'not-the-secret-at-all'), payload);
      expect(bad.status).toBe(401);
      expect(bad.body.error.code).toBe('REPRISE_ERR_HOOK_SIGNATURE_INVALID');
      expect(bad.body.error.message).toContain('X-Hub-Signature-256');
      const { 'x-hub-signature-256': _sig, ...unsigned } = githubHeaders(payload, randomUUID());
      const missing = await hook(unsigned, payload);
      expect(missing.status).toBe(401);
      expect(missing.body.error.message).toContain('missing');
      // Signed, then changed: the signature no longer matches.
      const tampered = await hook(githubHeaders(payload, randomUUID()), { ...payload, after: first });
      expect(tampered.status).toBe(401);
      expect((await runs()).length).toBe(before);
    }, TIMEOUT);

    it('GitHub: pushes to another branch, tag pushes and branch deletions start nothing, and say so', async () => {
      const before = (await runs()).length;
      for (const [over, said] of [
        [{ ref: 'refs/heads/experiment' }, 'a push to experiment'],
        [{ ref: 'refs/tags/v1.0' }, 'a tag push (v1.0)'],
        [{ deleted: true, after: '0000000000000000000000000000000000000000', head_commit: null }, 'deleted'],
      ] as const) {
        const payload = githubPush(over);
        const res = await hook(githubHeaders(payload, randomUUID()), payload);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body.projects[0].skipped).toContain(said);
      }
      // GitHub's default content type is a form with the JSON in `payload`; signed over the form's bytes.
      const form = `payload=${encodeURIComponent(JSON.stringify(githubPush({ ref: 'refs/tags/v2.0' })))}`;
      const formRes = await fetch(`${server.url}/api/v1/hooks/git`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-github-event': 'push', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(form).digest('hex')}` },
        body: form,
      });
      expect(formRes.status).toBe(200);
      expect(((await formRes.json()) as any).projects[0].skipped).toContain('a tag push (v2.0)');
      const ping = { zen: 'Keep it logically awesome.', hook_id: 1, repository: { full_name: 'acme/ml' } };
      const pong = await hook({ 'x-github-event': 'ping', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': `sha256=${sign(ping)}` }, ping);
      expect(pong.status).toBe(200);
      expect(pong.body.message).toContain('only pushes');
      expect((await runs()).length).toBe(before);
    }, TIMEOUT);

    it('GitLab: the token must match; a good one queues the run', async () => {
      const before = await countAt(head);
      const payload = {
        object_kind: 'push',
        event_name: 'push',
        ref: 'refs/heads/main',
        before: first,
        after: head,
        checkout_sha: head,
        user_username: 'linus',
        user_name: 'Linus',
        project: { path_with_namespace: 'acme/ml', git_http_url: repoUrl(), web_url: 'https://gitlab.example.com/acme/ml' },
        repository: { git_http_url: repoUrl() },
        commits: [{ id: head, message: 'Touch requirements\n', url: 'https://gitlab.example.com/acme/ml/-/commit/x', author: { name: 'Ada Lovelace', email: 'ada@example.com' } }],
      };
      const wrong = await hook({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'wrong-token-0123456789', 'idempotency-key': randomUUID() }, payload);
      expect(wrong.status).toBe(401);
      expect(wrong.body.error.message).toContain('X-Gitlab-Token');
      const good = await hook({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': SECRET, 'idempotency-key': randomUUID() }, payload);
      expect(good.status, JSON.stringify(good.body)).toBe(202);
      const [done] = (await finishedRunAt(head, before + 1)).filter((r) => r.id === good.body.projects[0].queued.id);
      expect(done.trigger).toMatchObject({ kind: 'merge', provider: 'gitlab', by: 'linus' });
    }, TIMEOUT);

    it('Gitea: X-Gitea-Signature is checked (Gitea sends GitHub\'s headers too); ?project= picks the link', async () => {
      const before = await countAt(head);
      const payload = {
        ref: 'refs/heads/main',
        before: first,
        after: head,
        compare_url: '',
        commits: [],
        head_commit: { id: head, message: 'Touch requirements', url: '', author: { name: 'Ada Lovelace', email: 'ada@example.com' } },
        repository: { full_name: 'acme/ml', clone_url: 'https://gitea.example.com/acme/ml.git' },
        pusher: { login: 'grace', username: 'grace' },
        sender: { login: 'grace', username: 'grace' },
      };
      const headers = (sig: string): Record<string, string> => ({ 'x-gitea-event': 'push', 'x-gitea-delivery': randomUUID(), 'x-github-event': 'push', 'x-gitea-signature': sig });
      // The clone URL is not the linked one: without ?project= no link matches.
      const unlinked = await hook(headers(sign(payload)), payload);
      expect(unlinked.status).toBe(404);
      expect(unlinked.body.error.code).toBe('REPRISE_ERR_HOOK_NOT_LINKED');
      const bad = await hook(headers('0'.repeat(64)), payload, '?project=merged');
      expect(bad.status).toBe(401);
      const good = await hook(headers(sign(payload)), payload, '?project=merged');
      expect(good.status, JSON.stringify(good.body)).toBe(202);
      await finishedRunAt(head, before + 1);
    }, TIMEOUT);

    it('rejects what is not a push hook, names the link fields it refuses, and lists and removes links', async () => {
      const unknown = await hook({ 'x-other-event': 'push' }, {});
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.code).toBe('REPRISE_ERR_HOOK_PAYLOAD_INVALID');
      const badUrl = await cli(['hooks', 'link', 'not a url', '--project', 'p2', '--secret', SECRET]);
      expect(badUrl.code).toBe(2);
      expect(badUrl.stderr).toContain('"not a url"');
      const badBranch = await cli(['hooks', 'link', repoUrl(), '--project', 'p2', '--branch', 'a..b', '--secret', SECRET]);
      expect(badBranch.code).toBe(2);
      expect(badBranch.stderr).toContain('--branch "a..b"');
      const shortSecret = await cli(['hooks', 'link', repoUrl(), '--project', 'p2', '--secret', 'short']);
      expect(shortSecret.code).toBe(2);
      expect(shortSecret.stderr).toContain('--secret');
      const generated = await cliJson(['hooks', 'link', 'https://user:tok3n@git.example.com/acme/p2.git', '--project', 'p2']);
      expect(generated.secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(generated.link.url).toBe('https://user:***@git.example.com/acme/p2.git');
      const listed = await cliJson(['hooks', 'ls']);
      expect(listed.links.map((l: any) => [l.project, l.branch, l.path])).toEqual([['merged', 'main', 'ml'], ['p2', 'main', '']]);
      expect(JSON.stringify(listed)).not.toContain('tok3n');
      expect(JSON.stringify(listed)).not.toContain(SECRET);
      expect((await cli(['hooks', 'unlink', 'p2'])).code).toBe(0);
      const again = await cli(['hooks', 'unlink', 'p2']);
      expect(again.code).toBe(66);
      expect(again.stderr).toContain('not linked');
    }, TIMEOUT);
  });

  it('reprise ci --wait follows the run and exits by its outcome and its gates', async () => {
    const ciEnv = { GITHUB_ACTIONS: 'true', GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/ml', GITHUB_RUN_ID: '77', GITHUB_REF: 'refs/pull/5/merge', GITHUB_HEAD_REF: 'tune' };
    const passed = await cli(['ci', '--wait'], ciEnv);
    expect(passed.code, passed.stderr).toBe(0);
    const url = /(http:\/\/\S+\/runs\/(\S+)):?$/m.exec(passed.stdout);
    expect(url, passed.stdout).not.toBeNull();
    expect(passed.stderr).toContain('stage train succeeded');
    const shown = await cliJson(['show', url![2]!.replace(/:$/, '')]);
    expect(shown.trigger).toEqual({ kind: 'ci', by: 'tester', system: 'github-actions', url: 'https://github.com/acme/ml/actions/runs/77', ref: 'tune', pullRequest: '5' });

    const gated = await cli(['ci', '--wait', '-p', 'lr=0.01'], ciEnv);
    expect(gated.code, gated.stderr).toBe(3);
    expect(gated.stderr).toContain('gates FAILED');

    const noServer = await cli(['ci'], { REPRISE_SERVER: undefined });
    expect(noServer.code).toBe(2);
    expect(noServer.stderr).toContain('REPRISE_SERVER');

    const queuedOnly = await cliJson(['ci']);
    expect(queuedOnly.url).toBe(`${server.url}/runs/${queuedOnly.id}`);
  }, TIMEOUT);

  it('builds and pushes the image on a merge when the project configures one, and records its digest', async () => {
    const pushed = await pushCommit({ 'reprise.yaml': `${YAML}image:\n  registry: registry.example.test/ml\n` }, 'Build the image on merges');
    expect(pushed.output).toContain('queued run');
    const [r] = await finishedRunAt(pushed.commit);
    const shown = await cliJson(['show', r.id]);
    expect(shown.trigger.image).toEqual({
      ref: `registry.example.test/ml/merged:${pushed.commit.slice(0, 12)}`,
      digest: 'registry.example.test/ml/merged@sha256:2a1c3f00d5b6e4a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071829',
      engine: 'docker',
      error: null,
    });
    expect((await cli(['show', r.id])).stdout).toContain('image     registry.example.test/ml/merged:');
  }, TIMEOUT);
});
