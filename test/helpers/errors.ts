/** Assertions about RepriseErrors shared by unit tests. */
import { expect } from 'vitest';
import { RepriseError } from '../../src/core/errors.js';

/** Runs `fn`, expecting a RepriseError, and returns it for closer inspection. */
export function thrown(fn: () => unknown): RepriseError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RepriseError);
    return e as RepriseError;
  }
  throw new Error('expected a RepriseError, but nothing was thrown');
}
