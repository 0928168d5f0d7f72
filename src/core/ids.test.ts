import { describe, expect, it } from 'vitest';
import { newRunId, newRunName, RUN_ID_PATTERN, runIdTime } from './ids.js';

// The id factory is monotonic and module-wide: an id asked for at a time earlier than a
// previous one reuses the previous time. Every test here therefore uses times later
// than all times used before it.
let clock = Date.now() + 1_000;
const later = (ms: number): number => (clock += ms);

describe('newRunId', () => {
  it('is 26 characters of lower-case Crockford base32', () => {
    for (let i = 0; i < 50; i++) {
      const id = newRunId(later(1));
      expect(id).toHaveLength(26);
      expect(id).toBe(id.toLowerCase());
      expect(id).toMatch(RUN_ID_PATTERN);
    }
  });

  it('uses the current time by default', () => {
    const before = Date.now();
    const id = newRunId();
    // The module-wide clock above may already be ahead of the wall clock.
    expect(runIdTime(id)).toBeGreaterThanOrEqual(before);
    clock = Math.max(clock, runIdTime(id));
  });

  it('sorts ids made at increasing times in that order', () => {
    const ids = [later(1), later(1), later(1_000), later(86_400_000), later(1)].map((t) => newRunId(t));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps many ids made in the same millisecond strictly increasing', () => {
    const t = later(10);
    const ids = Array.from({ length: 1_000 }, () => newRunId(t));
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!, `id ${i}`).toBe(true);
    for (const id of ids) expect(runIdTime(id)).toBe(t);
  });
});

describe('runIdTime', () => {
  it('decodes the time an id was made at', () => {
    for (const step of [1, 777, 3_600_000]) {
      const t = later(step);
      expect(runIdTime(newRunId(t))).toBe(t);
    }
  });

  it('reads the first 10 characters as a base32 number of ms, in either case', () => {
    const rest = 'a'.repeat(16);
    expect(runIdTime(`0000000000${rest}`)).toBe(0);
    expect(runIdTime(`0000000010${rest}`)).toBe(32);
    expect(runIdTime(`00000000zz${rest}`)).toBe(32 * 32 - 1);
    // The largest time a ULID holds: 2^48 - 1.
    expect(runIdTime(`7zzzzzzzzz${rest}`)).toBe(2 ** 48 - 1);
    expect(runIdTime(`7ZZZZZZZZZ${rest.toUpperCase()}`)).toBe(2 ** 48 - 1);
  });

  it('gives NaN for a text that is not an id', () => {
    expect(runIdTime('not-an-id-at-all!!')).toBeNaN();
    expect(runIdTime('01arz3ndeu')).toBeNaN(); // 'u' is not in the alphabet
  });
});

describe('newRunName', () => {
  /** A random source that returns the given values in turn. */
  const sequence = (...values: number[]): (() => number) => {
    let i = 0;
    return () => values[i++ % values.length]!;
  };

  it('is adjective-noun-number', () => {
    for (let i = 0; i < 200; i++) expect(newRunName()).toMatch(/^[a-z]+-[a-z]+-[1-9]\d{0,2}$/);
  });

  it('picks the first words and number 1 for the lowest random values', () => {
    expect(newRunName(sequence(0))).toBe('amber-badger-1');
  });

  it('picks the last words and number 999 for the highest random values', () => {
    expect(newRunName(sequence(0.999999))).toBe('zesty-yak-999');
  });

  it('draws adjective, noun and number in that order', () => {
    // 0.5 of 50 adjectives is index 25 (lucky); 0.02 of 50 nouns is index 1 (bear); 0.4168 * 999 + 1 = 417.
    expect(newRunName(sequence(0.5, 0.02, 0.4168))).toBe('lucky-bear-417');
  });
});
