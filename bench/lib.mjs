// Helpers shared by the benchmarks: a scratch project and REPRISE_HOME, timed commands.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = join(REPO, 'bin', 'reprise.js');

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Polls `probe` every `everyMs` until it gives something truthy; throws after `ms`. */
export async function waitFor(what, probe, ms, everyMs = 200) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A scratch folder with its own REPRISE_HOME; `project(files)` makes a committed git project in it. */
export function scratch(name) {
  const root = mkdtempSync(join(tmpdir(), `reprise-bench-${name}-`));
  const env = {
    ...process.env,
    REPRISE_HOME: join(root, 'home'),
    GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@reprise.invalid',
    GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@reprise.invalid',
  };
  /** Runs a command, returns its wall time in ms; throws with its stderr when it fails. */
  const timed = (cmd, args, cwd, extraEnv = {}) => {
    const t0 = process.hrtime.bigint();
    const res = spawnSync(cmd, args, { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', maxBuffer: 64 << 20 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${res.stderr}`);
    return { ms, stdout: res.stdout };
  };
  const project = (dirName, files) => {
    const dir = join(root, dirName);
    for (const [rel, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), content);
    }
    timed('git', ['init', '-q'], dir);
    timed('git', ['add', '-A'], dir);
    timed('git', ['commit', '-q', '-m', 'bench'], dir);
    return dir;
  };
  return { root, env, timed, project, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
