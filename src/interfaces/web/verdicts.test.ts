import { describe, expect, it } from 'vitest';
import { VERDICT_LABELS as CORE_LABELS } from '../../core/verification.js';
import { rowReproduction, VERDICT_LABELS } from './verdicts.js';

const ORIGINAL = '01aaaaaaaaaaaaaaaaaaaaaaaa';
const COPY = '01bbbbbbbbbbbbbbbbbbbbbbbb';
const names = { [ORIGINAL]: 'brave-otter-417', [COPY]: 'calm-heron-12' };

describe('verdicts in the UI', () => {
  it("are core's labels", () => {
    expect(VERDICT_LABELS).toEqual(CORE_LABELS);
  });

  it('mark a reproduction and its original with the newest check, from each side', () => {
    const verification = { original: ORIGINAL, reproduction: COPY, verdict: 'within_tolerance' as const };
    expect(rowReproduction({ id: COPY, reproduces: ORIGINAL, verification, relatedNames: { [ORIGINAL]: names[ORIGINAL] } })).toEqual({
      role: 'reproduction',
      verdict: 'within_tolerance',
      title: 'reproduces brave-otter-417: reproduced within tolerance',
    });
    expect(rowReproduction({ id: ORIGINAL, reproduces: null, verification, relatedNames: { [COPY]: names[COPY] } })).toEqual({
      role: 'original',
      verdict: 'within_tolerance',
      title: 'reproduced by calm-heron-12: reproduced within tolerance',
    });
  });

  it('mark a reproduction not checked yet as pending, and name a run missing from the store by its id', () => {
    expect(rowReproduction({ id: COPY, reproduces: ORIGINAL, verification: null, relatedNames: {} })).toEqual({
      role: 'reproduction',
      verdict: 'pending',
      title: `reproduces ${ORIGINAL}: verdict pending`,
    });
    expect(rowReproduction({ id: ORIGINAL, reproduces: null, verification: null, relatedNames: {} })).toBeUndefined();
  });
});
