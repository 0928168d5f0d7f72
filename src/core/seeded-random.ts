/**
 * @module core/seeded-random
 * Pseudo-random draws from a seed, the same on every machine: what a random sweep's
 * points are drawn from (so a recorded sweep means the same forever), and the data the
 * drift tests and benchmark generate.
 */

/**
 * mulberry32: a small, well-known generator of 32-bit draws. Its output for a seed is part
 * of what a recorded sweep means, so it must never change.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Uniform in [0, 1) with 53 bits from two draws, so wide ranges are not coarse. */
export function unitFloat(next: () => number): number {
  return ((next() >>> 5) * 67_108_864 + (next() >>> 6)) / 9_007_199_254_740_992;
}

/** A standard normal draw (Box–Muller); 1 - u is in (0, 1], so the log is finite. */
export function standardNormal(next: () => number): number {
  const u1 = 1 - unitFloat(next);
  const u2 = unitFloat(next);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Uniform and standard normal draws from one seed. */
export function seededRandom(seed: number): { uniform(): number; normal(): number } {
  const next = mulberry32(seed);
  return { uniform: () => unitFloat(next), normal: () => standardNormal(next) };
}
