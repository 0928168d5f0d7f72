/**
 * @module interfaces/cli/verification-report
 * How a comparison of two runs reads on a terminal: the verdict, a table of every
 * difference, and the differences of environment that may explain them.
 */
import type { RunRecord } from '../../core/run.js';
import { VERDICT_LABELS, type Difference, type Verification } from '../../core/verification.js';
import { formatNumber, table } from './format.js';

function value(v: Difference['original'], kind: Difference['kind']): string {
  if (v === null) return '(absent)';
  if (typeof v === 'number') return formatNumber(v);
  return kind === 'artifact' || kind === 'data' ? v.slice(0, 12) : v;
}

function delta(d: Difference): string {
  if (d.delta === null) return '-';
  if (typeof d.delta === 'string') return d.delta;
  return `${d.delta > 0 ? '+' : ''}${d.delta.toPrecision(3)}`;
}

export function renderVerification(v: Verification, original: RunRecord, reproduction: RunRecord): string {
  const out: string[] = [];
  const diverged = v.differences.filter((d) => d.outcome === 'diverged').length;
  const what = `${v.compared.metrics} metric(s) and ${v.compared.artifacts} artifact(s) compared`;
  out.push(`${reproduction.name} against ${original.name}: ${VERDICT_LABELS[v.verdict]} · ${what}${v.differences.length ? `, ${diverged} diverged, ${v.differences.length - diverged} within tolerance` : ', all identical'}`);
  if (v.differences.length) {
    out.push(
      table(
        ['KIND', 'NAME', 'ORIGINAL', 'REPRODUCTION', 'DELTA', 'TOLERANCE', 'OUTCOME'],
        v.differences.map((d) => [d.kind, d.name, value(d.original, d.kind), value(d.reproduction, d.kind), delta(d), d.tolerance === null ? '-' : String(d.tolerance), d.outcome.replace('_', ' ')]),
      )
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
  }
  if (v.ignored.length) out.push(`ignored: ${v.ignored.join(', ')}`);
  if (v.environment.length) {
    out.push(v.verdict === 'exact' ? 'environment differences:' : 'environment differences that may explain it:');
    out.push(
      table(['WHAT', 'ORIGINAL', 'REPRODUCTION'], v.environment.map((e) => [e.what, e.original ?? '(none)', e.reproduction ?? '(none)']))
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
  } else {
    out.push('same interpreter, OS, CPU, GPUs and packages');
  }
  return out.join('\n');
}
