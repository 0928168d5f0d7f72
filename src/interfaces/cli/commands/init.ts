import type { Command } from 'commander';
import { resolve } from 'node:path';
import { initProject } from '../../../services/init-project.js';
import type { CliContext } from '../context.js';

export function registerInit(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('write a commented reprise.yaml guessed from the project\'s files')
    .argument('[dir]', 'the project folder', '.')
    .option('--force', 'replace an existing reprise.yaml')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, opts: { force?: boolean; json?: boolean }) => {
      const res = await initProject(resolve(ctx.io.cwd, dir), { force: opts.force ?? false });
      if (opts.json) {
        ctx.json({ path: res.path, ...res.found });
        return;
      }
      ctx.out(`wrote ${res.path}`);
      ctx.out(`  params: ${res.found.params ?? '(none found; add `params:` when you have a params file)'}`);
      ctx.out(`  requirements: ${res.found.requirements ?? '(none found)'}`);
      ctx.out(`  stages: ${res.found.stages.map((s) => s.name).join(' -> ')}${res.found.guessedStages ? '' : ' (a placeholder: edit it to run your code)'}`);
      ctx.out('next: commit it, then `reprise run`');
    });
}
