/**
 * Verdicts of reproduction checks in words (core's labels, repeated so the bundle stays
 * free of zod and picomatch; a test keeps the two in step).
 */
import type { RunRow, Verdict } from './api.js';

export const VERDICT_LABELS: Readonly<Record<Verdict, string>> = {
  exact: 'reproduced exactly',
  within_tolerance: 'reproduced within tolerance',
  diverged: 'diverged',
};

export const PENDING_LABEL = 'verdict pending';

/** How a row's run takes part in a reproduction, for its mark in the runs table; undefined when it does not. */
export interface RowReproduction {
  readonly role: 'reproduction' | 'original';
  readonly verdict: Verdict | 'pending';
  /** "reproduces brave-otter-417: reproduced exactly" */
  readonly title: string;
}

export function rowReproduction(row: Pick<RunRow, 'id' | 'reproduces' | 'verification' | 'relatedNames'>): RowReproduction | undefined {
  const name = (id: string) => row.relatedNames[id] ?? id;
  const v = row.verification;
  if (v) {
    const label = VERDICT_LABELS[v.verdict];
    return v.reproduction === row.id
      ? { role: 'reproduction', verdict: v.verdict, title: `reproduces ${name(v.original)}: ${label}` }
      : { role: 'original', verdict: v.verdict, title: `reproduced by ${name(v.reproduction)}: ${label}` };
  }
  if (row.reproduces !== null) return { role: 'reproduction', verdict: 'pending', title: `reproduces ${name(row.reproduces)}: ${PENDING_LABEL}` };
  return undefined;
}
