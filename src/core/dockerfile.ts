/**
 * @module core/dockerfile
 * The Dockerfile of a project's image: a pinned Python base; the environment installed
 * from the lock or the requirements in a layer of its own, so it stays cached while they
 * are unchanged; Node.js and the Reprise runner; then the code at one commit. The build
 * context it expects is laid out by services/image-service.
 */
import { pipOptionArgs, type PipOptions } from './environment-key.js';
import { shellQuote } from './shell-quote.js';

/** The Node.js image the runner's `node` binary is copied from: Debian 12, like the Python base. */
export const NODE_IMAGE = 'node:20-bookworm-slim';

export interface DockerfileSpec {
  readonly project: string;
  /** Exact, e.g. 3.11.7: the image runs the same interpreter version as the runs it reproduces. */
  readonly pythonVersion: string;
  /** What the environment layer installs: a lock, requirements files, or nothing. */
  readonly env: { readonly kind: 'lock'; readonly file: string } | { readonly kind: 'requirements'; readonly files: readonly string[] } | { readonly kind: 'none' };
  readonly pip: PipOptions;
  /** The environment key, when there is one: recorded as a label. */
  readonly envHash: string | null;
  /** The image's own reference, so runs inside it can record which image they ran in. */
  readonly tag: string;
  readonly commit: string;
  /** The project's folder inside the repository, '' at its root. */
  readonly subdir: string;
}

/** Where the context's parts land in the image. */
export const IMAGE_PATHS = { env: '/opt/reprise-env', venv: '/opt/venv', runner: '/opt/reprise', code: '/workspace' } as const;

export function baseImage(pythonVersion: string): string {
  return `python:${pythonVersion}-slim-bookworm`;
}

export function renderDockerfile(spec: DockerfileSpec): string {
  const p = IMAGE_PATHS;
  const workdir = spec.subdir ? `${p.code}/${spec.subdir}` : p.code;
  const pip = pipOptionArgs(spec.pip, (link) => `${p.env}/${link}`).map(shellQuote).join(' ');
  const sources =
    spec.env.kind === 'lock'
      ? `-r ${p.env}/${spec.env.file}`
      : spec.env.kind === 'requirements'
        ? spec.env.files.map((f) => `-r ${p.env}/${f}`).join(' ')
        : '';
  const lines = [
    `# The image of project ${spec.project} at commit ${spec.commit}.`,
    '# Written by `reprise image dockerfile`; regenerate it rather than editing it.',
    `FROM ${NODE_IMAGE} AS node`,
    '',
    `FROM ${baseImage(spec.pythonVersion)}`,
    'ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1',
    '',
    '# The environment, in a layer of its own: rebuilt only when these files change.',
    `COPY env/ ${p.env}/`,
    sources
      ? `RUN python -m venv ${p.venv} && ${p.venv}/bin/pip install ${[sources, pip].filter(Boolean).join(' ')}`
      : `RUN python -m venv ${p.venv}`,
    `ENV VIRTUAL_ENV=${p.venv} PATH=${p.venv}/bin:$PATH`,
    '',
    '# The Reprise runner, which runs the stages inside: Node.js and Reprise itself.',
    'COPY --from=node /usr/local/bin/node /usr/local/bin/node',
    `COPY reprise/ ${p.runner}/`,
    `RUN ln -s ${p.runner}/bin/reprise.js /usr/local/bin/reprise`,
    '',
    `# The code at commit ${spec.commit}.`,
    `COPY code/ ${p.code}/`,
    `WORKDIR ${workdir}`,
    `LABEL org.opencontainers.image.revision="${spec.commit}" dev.reprise.project="${spec.project}"${spec.envHash ? ` dev.reprise.env-hash="${spec.envHash}"` : ''}`,
    `ENV REPRISE_IMAGE=${spec.tag}`,
    // The image's environment is already built: the runner uses it as it is.
    'ENTRYPOINT ["reprise"]',
    'CMD ["run", "--no-git", "--system-env"]',
    '',
  ];
  return lines.join('\n');
}
