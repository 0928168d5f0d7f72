// Merges: what a push costs before its run waits in the queue, and how soon the run starts.
// A bare repository of a project with 500 source files (about 4 MiB), a server with one
// worker of its own and a warm environment. Each round commits a change, pushes it, and
// delivers a signed GitHub push event for it; printed: the webhook's answer time (fetch
// into the server's mirror, lay-out, reprise.yaml and params read, the commit's files
// stored, the run queued), a `git push` through the installed post-receive hook (the
// push, the hook reporting it, the server queueing the run), and from delivery to the
// run's first stage starting.
import { spawn } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, median, scratch, waitFor } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_MERGE_ROUNDS ?? 20);
const FILES = 500;
const SECRET = 'bench-secret-0123456789';
const s = scratch('merges');


const p = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];
const fmt = (xs) => `median ${median(xs).toFixed(0)} ms, p95 ${p(xs, 0.95).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;

const files = {
  'reprise.yaml': 'name: merge-bench\nparams: input.json\nseed: 1\nenv: { requirements: requirements.txt }\nstages:\n  - { name: noop, cmd: python -c "pass" }\n',
  'input.json': '{"round": 0}\n',
  'requirements.txt': '# nothing to install: the environment is a bare venv\n',
};
for (let i = 0; i < FILES; i++) files[`src/module_${i}.py`] = `# module ${i}\nDATA = "${randomBytes(4096).toString('base64')}"\n`;
const work = s.project('work', files);
const bare = join(s.root, 'origin.git');
s.timed('git', ['clone', '-q', '--bare', work, bare], s.root);
s.timed('git', ['remote', 'add', 'origin', bare], work);
s.timed('git', ['push', '-q', '-u', 'origin', 'HEAD:main'], work);

const server = spawn(process.execPath, [BIN, 'server', '--port', '0', '--workers', '1'], {
  cwd: s.root,
  env: { ...s.env, REPRISE_HOME: join(s.root, 'server-home'), REPRISE_SYSTEM_METRICS_INTERVAL: '0' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let out = '';
server.stdout.on('data', (c) => (out += c));
server.stderr.resume();
try {
  const url = await waitFor('the server', () => /listening on (http:\/\/\S+)/.exec(out)?.[1], 30_000);
  const env = { REPRISE_SERVER: url, REPRISE_HOME: join(s.root, 'user') };
  const json = (args) => JSON.parse(s.timed('node', [BIN, ...args, '--json'], work, env).stdout);
  json(['hooks', 'link', `file://${bare}`, '--project', 'merge-bench', '--secret', SECRET]);

  let round = 0;
  const commit = () => {
    round++;
    writeFileSync(join(work, 'input.json'), `{"round": ${round}}\n`);
    s.timed('git', ['commit', '-qam', `round ${round}`], work);
    return s.timed('git', ['rev-parse', 'HEAD'], work).stdout.trim();
  };
  const started = async (id) => {
    const m = await waitFor(`run ${id}`, () => {
      const r = json(['show', id]);
      return r.manifest.execution.stages[0].startedAt ? r.manifest : undefined;
    }, 300_000, 50);
    return m.execution.stages[0].startedAt;
  };

  // Warm-up: the worker builds the environment once, the mirror is made.
  const deliver = async (sha) => {
    const payload = JSON.stringify({ ref: 'refs/heads/main', before: '0'.repeat(40), after: sha, repository: { full_name: 'bench/merges', clone_url: `file://${bare}` }, sender: { login: 'bench' }, head_commit: null });
    const t0 = Date.now();
    const res = await fetch(`${url}/api/v1/hooks/git`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(payload).digest('hex')}` },
      body: payload,
    });
    const body = await res.json();
    if (res.status !== 202) throw new Error(`the hook answered ${res.status}: ${JSON.stringify(body)}`);
    return { ms: Date.now() - t0, at: t0, id: body.projects[0].queued.id };
  };
  {
    const sha = commit();
    s.timed('git', ['push', '-q', 'origin', 'HEAD:main'], work);
    await started((await deliver(sha)).id);
  }

  const answers = [];
  const toStart = [];
  for (let i = 0; i < ROUNDS; i++) {
    const sha = commit();
    s.timed('git', ['push', '-q', 'origin', 'HEAD:main'], work);
    const d = await deliver(sha);
    answers.push(d.ms);
    toStart.push((await started(d.id)) - d.at);
  }

  // The same pushes through the repository's own hook.
  s.timed('node', [BIN, 'hooks', 'install', '--server', url], bare, env);
  const pushes = [];
  for (let i = 0; i < Math.min(ROUNDS, 10); i++) {
    commit();
    pushes.push(s.timed('git', ['push', '-q', 'origin', 'HEAD:main'], work).ms);
  }

  console.log(`webhook delivery to its answer (run queued), ${ROUNDS} pushes of a ${FILES}-file project: ${fmt(answers)}`);
  console.log(`delivery to the run's first stage, warm environment, the server's own worker: ${fmt(toStart)}`);
  console.log(`git push through the post-receive hook until the run is queued, ${pushes.length} pushes: ${fmt(pushes)}`);
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('close', r));
  s.cleanup();
}
