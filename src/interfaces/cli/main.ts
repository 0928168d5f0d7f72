/**
 * @module interfaces/cli/main
 * The `reprise` command. Each command is a thin layer over a service; errors from the
 * catalogue print their message, hint and code and set the exit code they carry.
 */
import { Command, CommanderError } from 'commander';
import { isRepriseError } from '../../core/errors.js';
import { REPRISE_VERSION } from '../../app/assemble.js';
import { CliContext, type CliIO } from './context.js';
import { registerAgent } from './commands/agent.js';
import { registerAudit } from './commands/audit.js';
import { registerCancel } from './commands/cancel.js';
import { registerData } from './commands/data.js';
import { registerDb } from './commands/db.js';
import { registerEnv } from './commands/env.js';
import { registerExport } from './commands/export.js';
import { registerGate } from './commands/gate.js';
import { registerCi } from './commands/ci.js';
import { registerHooks } from './commands/hooks.js';
import { registerImage } from './commands/image.js';
import { registerImport } from './commands/import.js';
import { registerInit } from './commands/init.js';
import { registerLogs } from './commands/logs.js';
import { registerLs } from './commands/ls.js';
import { registerMetrics } from './commands/metrics.js';
import { registerMigrate } from './commands/migrate.js';
import { registerModels } from './commands/models.js';
import { registerPromote } from './commands/promote.js';
import { registerQueue } from './commands/queue.js';
import { registerReproduce } from './commands/reproduce.js';
import { registerRetention } from './commands/retention.js';
import { registerRun } from './commands/run.js';
import { registerServer } from './commands/server.js';
import { registerServe } from './commands/serve.js';
import { registerProduction } from './commands/production.js';
import { registerShow } from './commands/show.js';
import { registerSubmit } from './commands/submit.js';
import { registerSweep } from './commands/sweep.js';
import { registerTensorboard } from './commands/tensorboard.js';
import { registerTokens } from './commands/tokens.js';
import { registerUsers } from './commands/users.js';
import { registerVerify } from './commands/verify.js';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('reprise')
    .description('Observable, reproducible machine-learning runs')
    .version(REPRISE_VERSION)
    .showHelpAfterError('(run `reprise help` for the commands)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
    });
  registerInit(program, ctx);
  registerRun(program, ctx);
  registerSubmit(program, ctx);
  registerSweep(program, ctx);
  registerCi(program, ctx);
  registerCancel(program, ctx);
  registerQueue(program, ctx);
  registerLs(program, ctx);
  registerShow(program, ctx);
  registerLogs(program, ctx);
  registerMetrics(program, ctx);
  registerReproduce(program, ctx);
  registerVerify(program, ctx);
  registerExport(program, ctx);
  registerImport(program, ctx);
  registerTensorboard(program, ctx);
  registerGate(program, ctx);
  registerPromote(program, ctx);
  registerModels(program, ctx);
  registerRetention(program, ctx);
  registerData(program, ctx);
  registerEnv(program, ctx);
  registerImage(program, ctx);
  registerServer(program, ctx);
  registerDb(program, ctx);
  registerMigrate(program, ctx);
  registerAgent(program, ctx);
  registerHooks(program, ctx);
  registerUsers(program, ctx);
  registerTokens(program, ctx);
  registerServe(program, ctx);
  registerProduction(program, ctx);
  registerAudit(program, ctx);
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const ctx = new CliContext(io);
  const program = buildProgram(ctx);
  const wantsJson = argv.includes('--json');
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 2;
    }
    if (isRepriseError(e)) {
      if (wantsJson) ctx.out(JSON.stringify({ error: e.toJSON() }, null, 2));
      ctx.err(`reprise: error: ${e.message}`);
      if (e.hint) ctx.err(`  hint: ${e.hint}`);
      ctx.err(`  (${e.code})`);
      return e.exitCode;
    }
    ctx.err(`reprise: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    ctx.err('This is a bug in Reprise; please report it with the command you ran.');
    return 70;
  } finally {
    await ctx.close().catch(() => undefined);
  }
}
