/**
 * @module interfaces/cli/verify-options
 * `--tolerance KEY=VALUE` and `--ignore PATTERN`, shared by `reprise reproduce` and
 * `reprise verify`: added to the rules the original run's reprise.yaml declares.
 */
import type { Command } from 'commander';
import { RepriseError } from '../../core/errors.js';
import type { ReproduceRules } from '../../core/verification.js';

export interface VerifyFlags {
  tolerance: string[];
  ignore: string[];
}

export function addVerifyOptions(cmd: Command): Command {
  const collect = (v: string, prev: string[]): string[] => [...prev, v];
  return cmd
    .option('--tolerance <metric=value>', 'count a metric as reproduced within this absolute difference; repeatable; adds to reproduce.tolerance', collect, [])
    .option('--ignore <pattern>', 'leave a metric or artifact path out of the comparison (globs: * and **); repeatable; adds to reproduce.ignore', collect, []);
}

export function rulesFromFlags(flags: VerifyFlags): Partial<ReproduceRules> {
  const tolerance: Record<string, number> = {};
  for (const t of flags.tolerance) {
    const eq = t.indexOf('=');
    const key = t.slice(0, eq).trim();
    const value = Number(t.slice(eq + 1));
    if (eq <= 0 || !key || t.slice(eq + 1).trim() === '' || !Number.isFinite(value) || value < 0) {
      throw new RepriseError('REPRISE_ERR_ARG_INVALID', `--tolerance ${JSON.stringify(t)}: expected METRIC=VALUE with a number of 0 or more, e.g. val_loss=1e-6`);
    }
    tolerance[key] = value;
  }
  const ignore = flags.ignore.map((p) => p.trim());
  if (ignore.some((p) => p === '')) throw new RepriseError('REPRISE_ERR_ARG_INVALID', '--ignore: a pattern must not be empty');
  return { tolerance, ignore };
}
