import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { ImageRequest } from '../../../services/image-service.js';
import type { CliContext } from '../context.js';
import { formatTime, table } from '../format.js';

interface SourceOptions {
  commit?: string;
  lock?: string;
  run?: string;
  json?: boolean;
}

function withSourceOptions(cmd: Command): Command {
  return cmd
    .option('--commit <ref>', 'the commit whose code goes in the image (default HEAD)')
    .option('--lock <file>', 'install this lock (a pip freeze) instead of the requirements')
    .option('--run <run>', 'the commit, lock and Python version of this run')
    .option('--json', 'print JSON');
}

function request(ctx: CliContext, opts: SourceOptions): ImageRequest {
  return {
    cwd: ctx.io.cwd,
    ...(opts.commit !== undefined ? { commit: opts.commit } : {}),
    ...(opts.lock !== undefined ? { lockFile: resolve(ctx.io.cwd, opts.lock) } : {}),
    ...(opts.run !== undefined ? { run: opts.run } : {}),
  };
}

export function registerImage(program: Command, ctx: CliContext): void {
  const image = program.command('image').description('container images of the project: the same environment as its runs, the code at a commit');

  withSourceOptions(image.command('dockerfile'))
    .description('print the Dockerfile of the project at a commit; --context writes the whole build context')
    .option('--context <dir>', 'write the build context (Dockerfile, env/, reprise/, code/) to this new folder')
    .action(async (opts: SourceOptions & { context?: string }) => {
      const app = await ctx.app();
      const req = request(ctx, opts);
      const res = opts.context ? await app.images.prepareContext(req, resolve(ctx.io.cwd, opts.context)) : await app.images.dockerfile(req);
      if (res.dirty) ctx.err('reprise: warning: the working tree has uncommitted changes; the image holds the commit only');
      if (opts.json) {
        ctx.json({ tag: res.tag, project: res.project, commit: res.commit, envHash: res.envHash, context: opts.context ? res.dir : null, dockerfile: res.dockerfile });
        return;
      }
      ctx.out(res.dockerfile);
      if (opts.context) ctx.err(`reprise: build context written to ${res.dir}; build it with: docker build -t ${res.tag} ${res.dir}`);
    });

  withSourceOptions(image.command('build'))
    .description('build the image with docker or podman, tagged with a hash of its environment and commit')
    .option('--tag <ref>', 'the image reference (default reprise/<project>:<hash>)')
    .option('--engine <name>', 'docker or podman (default: the first that works)')
    .action(async (opts: SourceOptions & { tag?: string; engine?: string }) => {
      const app = await ctx.app();
      const showProgress = !opts.json && (ctx.io.stderr as NodeJS.WriteStream).isTTY === true;
      const built = await app.images.build(
        { ...request(ctx, opts), ...(opts.tag !== undefined ? { tag: opts.tag } : {}), ...(opts.engine !== undefined ? { engine: opts.engine } : {}) },
        (line) => {
          if (showProgress) ctx.err(`[build] ${line}`);
        },
      );
      if (built.dirty) ctx.err('reprise: warning: the working tree has uncommitted changes; the image holds the commit only');
      if (opts.json) {
        ctx.json(built);
        return;
      }
      ctx.out(`built ${built.ref} (${built.digest}) with ${built.engine}`);
    });

  image
    .command('ls')
    .description('images built by reprise image build')
    .option('--project <name>', 'only this project\'s images')
    .option('--json', 'print JSON')
    .action(async (opts: { project?: string; json?: boolean }) => {
      const app = await ctx.app();
      const images = await app.images.list(opts.project);
      if (opts.json) {
        ctx.json(images);
        return;
      }
      if (images.length === 0) {
        ctx.out('no images yet: build one with `reprise image build`');
        return;
      }
      ctx.out(table(['REF', 'DIGEST', 'COMMIT', 'ENV', 'ENGINE', 'BUILT'], images.map((i) => [i.ref, i.digest.slice(0, 19), i.commit.slice(0, 12), i.envHash?.slice(0, 12) ?? '-', i.engine, formatTime(i.createdAt)])));
    });
}
