/**
 * docker or podman through their command-line tools, which take the same arguments for
 * what Reprise asks of them.
 */
import type { ContainerEngine } from '../../../ports/container-engine.js';
import { findOnPath } from '../../../platform/find-on-path.js';
import { runCommand, streamCommand } from '../../../platform/run-command.js';

const TAIL_LINES = 30;

/** What `info` prints when the engine answers: proof it is reachable, not only installed. */
const INFO_FORMAT: Record<'docker' | 'podman', string> = {
  docker: '{{.ServerVersion}}',
  podman: '{{.Version.Version}}',
};

export class CliContainerEngine implements ContainerEngine {
  readonly name: 'docker' | 'podman';
  readonly #env: NodeJS.ProcessEnv;

  constructor(name: 'docker' | 'podman', env: NodeJS.ProcessEnv = process.env) {
    this.name = name;
    this.#env = env;
  }

  #binary(): Promise<string | undefined> {
    return findOnPath(this.name, this.#env.PATH ?? '');
  }

  async check(): Promise<{ ok: true } | { ok: false; reason: string }> {
    const bin = await this.#binary();
    if (!bin) return { ok: false, reason: `${this.name} is not installed (not on PATH)` };
    const res = await runCommand(bin, ['info', '--format', INFO_FORMAT[this.name]], { env: this.#env }).catch((e: Error) => ({ code: -1, stdout: Buffer.alloc(0), stderr: e.message }));
    if (res.code === 0) return { ok: true };
    const said = (res.stderr || res.stdout.toString('utf8')).trim().split('\n').slice(0, 3).join(' ');
    return { ok: false, reason: `${this.name} is installed but not working: ${said || `exit ${res.code}`}` };
  }

  async build(contextDir: string, tag: string, onLine: (line: string) => void): Promise<{ ok: boolean; tail: string[] }> {
    return this.#stream(['build', '--tag', tag, contextDir], onLine);
  }

  async push(tag: string, onLine: (line: string) => void): Promise<{ ok: true; digest: string } | { ok: false; tail: string[] }> {
    const pushed = await this.#stream(['push', tag], onLine);
    if (!pushed.ok) return { ok: false, tail: pushed.tail };
    const bin = (await this.#binary()) ?? this.name;
    const res = await runCommand(bin, ['image', 'inspect', '--format', '{{join .RepoDigests "\\n"}}', tag], { env: this.#env });
    // The digest the registry gave this repository (an image pushed to several has several).
    const repo = tag.replace(/:[^:/]+$/, '');
    const digest = res.stdout.toString('utf8').split('\n').map((l) => l.trim()).find((l) => l.startsWith(`${repo}@`));
    return digest ? { ok: true, digest } : { ok: false, tail: [...pushed.tail, `${this.name} image inspect gave no digest of ${repo}`] };
  }

  /** Runs the tool, each line to `onLine`, keeping the last lines for a failure's message. */
  async #stream(args: string[], onLine: (line: string) => void): Promise<{ ok: boolean; tail: string[] }> {
    const bin = (await this.#binary()) ?? this.name;
    const tail: string[] = [];
    const res = await streamCommand(bin, args, {
      env: this.#env,
      onLine: (line) => {
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
        onLine(line);
      },
    });
    return { ok: res.code === 0, tail };
  }

  async imageId(tag: string): Promise<string> {
    const bin = (await this.#binary()) ?? this.name;
    const res = await runCommand(bin, ['image', 'inspect', '--format', '{{.Id}}', tag], { env: this.#env });
    return res.stdout.toString('utf8').trim();
  }
}
