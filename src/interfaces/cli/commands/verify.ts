import type { Command } from 'commander';
import { isReproduced } from '../../../core/verification.js';
import type { CliContext } from '../context.js';
import { EXIT_RUN_FAILED } from '../run-progress.js';
import { renderVerification } from '../verification-report.js';
import { addVerifyOptions, rulesFromFlags, type VerifyFlags } from '../verify-options.js';

export function registerVerify(program: Command, ctx: CliContext): void {
  addVerifyOptions(
    program
      .command('verify')
      .description("compare two finished runs as a reproduction is judged: final metrics (within reproduce.tolerance), artifacts by hash, environments; exits 0 only when B reproduces A")
      .argument('<a>', 'the original run: id, unique id prefix, or name')
      .argument('<b>', 'the run compared with it'),
  )
    .option('--json', 'print the comparison as JSON')
    .action(async (refA: string, refB: string, opts: VerifyFlags & { json?: boolean }) => {
      const extra = rulesFromFlags(opts);
      const app = await ctx.app();
      const [a, b] = [await app.catalog.resolve(refA), await app.catalog.resolve(refB)];
      const verification = await app.verifications.verify(a, b, extra);
      if (opts.json) ctx.json(verification);
      else ctx.out(renderVerification(verification, a, b));
      process.exitCode = isReproduced(verification.verdict) ? 0 : EXIT_RUN_FAILED;
    });
}
