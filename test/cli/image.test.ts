/**
 * `reprise image`: the Dockerfile and build context of a project at a commit, built with
 * the same environment key as its runs' venvs, and a clear refusal where no container
 * engine works. This machine class runs no container engine, so building is checked up
 * to the engine: a stand-in `docker` on PATH plays one that is installed but cannot
 * reach its daemon. The runner copied into the context is run for real, outside a
 * container, the way the image's entrypoint runs it.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, gitProject, reprise, repriseJson, sandbox, type Sandbox } from '../helpers/cli.js';

describe('reprise image', () => {
  let sb: Sandbox;
  let dir: string;
  let first: string;

  beforeAll(async () => {
    sb = await sandbox();
    dir = gitProject(sb, {
      'ml/reprise.yaml': 'name: imaging\nparams: input.json\nenv:\n  requirements: requirements.txt\n  find_links: wheels\n  no_index: true\nstages:\n  - { name: train, cmd: python train.py }\n',
      'ml/requirements.txt': '-r base.txt\n',
      'ml/base.txt': '# nothing to install\n',
      'ml/wheels/README': 'a local wheelhouse\n',
      'ml/input.json': '{"epochs": 1}',
      'ml/train.py': 'import json, sys\nprint("trained", json.load(open("input.json")), sys.prefix)\n',
    });
    first = git(dir, 'rev-parse', 'HEAD').trim();
    writeFileSync(join(dir, 'ml', 'base.txt'), '# changed after the commit\n');
    git(dir, 'commit', '-qam', 'second');
    writeFileSync(join(dir, 'ml', 'train.py'), 'raise SystemExit("uncommitted")\n');
  });
  afterAll(() => sb.cleanup());

  it('prints a Dockerfile: pinned base, environment layer before the code, the runner inside', async () => {
    const res = await reprise(sb, join(dir, 'ml'), ['image', 'dockerfile']);
    expect(res.code, res.stderr).toBe(0);
    const text = res.stdout;
    const py = spawnSync('python3', ['-c', 'import platform; print(platform.python_version())'], { encoding: 'utf8' }).stdout.trim();
    expect(text).toContain(`FROM python:${py}-slim-bookworm`);
    const envLayer = text.indexOf('COPY env/');
    const install = text.indexOf('RUN python -m venv /opt/venv && /opt/venv/bin/pip install -r /opt/reprise-env/requirements.txt --find-links /opt/reprise-env/wheels --no-index');
    const code = text.indexOf('COPY code/');
    expect(envLayer).toBeGreaterThan(0);
    expect(install).toBeGreaterThan(envLayer);
    expect(code).toBeGreaterThan(install);
    expect(text).toContain('COPY reprise/ /opt/reprise/');
    expect(text).toContain('WORKDIR /workspace/ml');
    expect(text).toContain(`org.opencontainers.image.revision="${git(dir, 'rev-parse', 'HEAD').trim()}"`);
    expect(res.stderr).toContain('uncommitted changes');
  });

  it('labels the image with the same environment key the run\'s venv has', async () => {
    const clean = gitProject(sb, {
      'reprise.yaml': 'name: same-key\nenv:\n  requirements: requirements.txt\n  no_index: true\n  find_links: wheels\nstages:\n  - { name: a, cmd: python -c "print(1)" }\n',
      'requirements.txt': '# standard library only\n',
      'wheels/.keep': '',
    }, 'samekey');
    const run = await reprise(sb, clean, ['run', '--name', 'keyed']);
    expect(run.code, run.stderr).toBe(0);
    const shown = await repriseJson(sb, clean, ['show', 'keyed']);
    const info = await repriseJson(sb, clean, ['image', 'dockerfile']);
    expect(info.envHash).toBe(shown.manifest.environment.resolved.hash);
    expect(info.dockerfile).toContain(`dev.reprise.env-hash="${info.envHash}"`);
    expect(info.tag).toMatch(/^reprise\/same-key:[0-9a-f]{12}$/);
    // From the run: its commit and its exact lock.
    const fromRun = await repriseJson(sb, clean, ['image', 'dockerfile', '--run', 'keyed']);
    expect(fromRun.commit).toBe(shown.manifest.code.commit);
    expect(fromRun.dockerfile).toContain('-r /opt/reprise-env/lock.txt');
  });

  it('writes a build context holding the commit, its requirements and a runner that runs the stages', async () => {
    const ctxDir = join(sb.root, 'context');
    const res = await reprise(sb, join(dir, 'ml'), ['image', 'dockerfile', '--commit', first, '--context', ctxDir]);
    expect(res.code, res.stderr).toBe(0);
    expect(readFileSync(join(ctxDir, 'Dockerfile'), 'utf8')).toBe(res.stdout);
    // The code is the commit's, not the working tree's.
    expect(readFileSync(join(ctxDir, 'code', 'ml', 'train.py'), 'utf8')).toContain('print("trained"');
    expect(readFileSync(join(ctxDir, 'env', 'requirements.txt'), 'utf8')).toBe('-r base.txt\n');
    expect(readFileSync(join(ctxDir, 'env', 'base.txt'), 'utf8')).toBe('# nothing to install\n');
    expect(existsSync(join(ctxDir, 'env', 'wheels', 'README'))).toBe(true);

    // What the image's entrypoint does, done here: a venv from env/, then the copied runner.
    const venv = join(sb.root, 'image-venv');
    expect(spawnSync('python3', ['-m', 'venv', venv]).status).toBe(0);
    const pip = spawnSync(join(venv, 'bin', 'pip'), ['install', '-q', '-r', join(ctxDir, 'env', 'requirements.txt'), '--find-links', join(ctxDir, 'env', 'wheels'), '--no-index'], { encoding: 'utf8' });
    expect(pip.status, pip.stderr).toBe(0);
    // The image names itself in its environment; whoever starts the container adds the digest.
    const imageRef = /^ENV REPRISE_IMAGE=(\S+)$/m.exec(res.stdout)?.[1];
    expect(imageRef).toMatch(/^reprise\/imaging:[0-9a-f]{12}$/);
    const digest = `sha256:${'d'.repeat(64)}`;
    const inside = spawnSync(process.execPath, [join(ctxDir, 'reprise', 'bin', 'reprise.js'), 'run', '--no-git', '--system-env', '--json'], {
      cwd: join(ctxDir, 'code', 'ml'),
      env: {
        ...sb.env,
        PATH: `${join(venv, 'bin')}:${process.env.PATH}`,
        REPRISE_HOME: join(sb.root, 'image-home'),
        REPRISE_IMAGE: imageRef,
        REPRISE_IMAGE_DIGEST: digest,
      },
      encoding: 'utf8',
    });
    expect(inside.status, inside.stderr).toBe(0);
    const run = JSON.parse(inside.stdout);
    expect(run.status).toBe('succeeded');
    expect(run.manifest.environment.resolved.kind).toBe('system');
    expect(run.manifest.environment.image).toEqual({ ref: imageRef, digest });
    expect(run.manifest.environment.python.path).toBe(join(venv, 'bin', 'python3'));
    expect(inside.stderr).toContain(`[train] trained {'epochs': 1} ${venv}`);
  });

  it('refuses to build where no engine works, saying why for each', async () => {
    const bin = join(sb.root, 'fake-bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'docker'), '#!/bin/sh\necho "Cannot connect to the Docker daemon at unix:///var/run/docker.sock." >&2\nexit 1\n');
    chmodSync(join(bin, 'docker'), 0o755);
    const onlyFake = { PATH: `${bin}:/usr/bin:/bin` };
    const res = await reprise(sb, join(dir, 'ml'), ['image', 'build'], onlyFake);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('REPRISE_ERR_IMAGE_ENGINE_UNAVAILABLE');
    expect(res.stderr).toContain('docker is installed but not working: Cannot connect to the Docker daemon');
    expect(res.stderr).toContain('podman is not installed');
    const none = await reprise(sb, join(dir, 'ml'), ['image', 'build', '--engine', 'podman'], { PATH: '/usr/bin:/bin' });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('podman is not installed');
    expect((await repriseJson<any[]>(sb, join(dir, 'ml'), ['image', 'ls']))).toEqual([]);
  });

  it('names a commit that does not exist', async () => {
    const res = await reprise(sb, join(dir, 'ml'), ['image', 'dockerfile', '--commit', 'no-such-ref']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--commit "no-such-ref": no such commit');
  });
});
