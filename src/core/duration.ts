/**
 * @module core/duration
 * Durations as people type them: `30d`, `12h`, `90m`, `45s`, `2w`, or `0`.
 */
import { RepriseError } from './errors.js';

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds; `what` names the option in the error, e.g. `--older-than`. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(text.trim());
  if (text.trim() === '0') return 0;
  if (!m) {
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', `${what} ${JSON.stringify(text)}: expected a duration like 30d, 12h, 90m or 45s`);
  }
  return Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
}
