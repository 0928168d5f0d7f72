import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { formatBytes, plural, table } from '../format.js';

export function registerImport(program: Command, ctx: CliContext): void {
  program
    .command('import')
    .description('load a bundle written by `reprise export` into this store; checks all of it first, and imports nothing from a bundle that fails a check')
    .argument('<file>', 'the bundle (.tar.gz)')
    .option('--json', 'print what was imported as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const app = await ctx.app();
      const summary = await app.bundles.import(resolve(ctx.io.cwd, file), {
        onProgress: (p) => {
          if (p.phase === 'read') ctx.err(`reprise: read ${plural(p.files, 'file')} (${formatBytes(p.bytes)})`);
          else if (p.phase === 'checked') ctx.err(`reprise: checked ${plural(p.runs, 'run')} and ${plural(p.blobs, 'blob')}; importing`);
        },
      });
      if (opts.json) {
        ctx.json(summary);
        return;
      }
      const rows = [
        ...summary.imported.map((r) => [r.id, r.name, r.project, 'imported']),
        ...summary.skipped.map((r) => [r.id, r.name, r.project, 'skipped: already in this store']),
      ];
      ctx.out(table(['ID', 'NAME', 'PROJECT', 'RESULT'], rows));
      ctx.out(
        `imported ${plural(summary.imported.length, 'run')}` +
          (summary.skipped.length ? `, skipped ${summary.skipped.length} already here` : '') +
          `; ${plural(summary.blobs, 'blob')}, ${plural(summary.verifications, 'verification')}`,
      );
    });
}
