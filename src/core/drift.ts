/**
 * @module core/drift
 * Drift scores: a window of production values compared with a version's reference profile
 * (core/feature-profile), feature by feature and for the predictions. Numbers: the
 * population stability index over the reference's decile bins and the Kolmogorov–Smirnov
 * distance read at its percentiles. Categories: PSI, the Jensen–Shannon distance and a
 * chi-square test. Each window is a million values a feature or more, so numbers are
 * scored in one pass over a typed array, a table lookup and a short search placing each
 * value, nothing allocated per value.
 */
import { RepriseError } from './errors.js';
import { featureColumns, OTHER_CATEGORY, outputColumn, type CategoryProfile, type FeatureProfile, type NumberProfile, type ReferenceProfile } from './feature-profile.js';
import type { FeatureDrift, Thresholds } from './model-monitoring.js';

/** The thresholds scoring reads. */
export type DriftThresholds = Pick<Thresholds, 'psi' | 'ks' | 'js'>;

/**
 * The share an empty bin is taken to hold in PSI: without a floor, a bin empty on one side
 * makes the index infinite. With it, a bin holding a share s on one side and none on the
 * other adds about s·ln(s/1e-4), e.g. 1.5 for 20%.
 */
export const PSI_EMPTY_BIN = 1e-4;

/** Added to every category's reference count before the chi-square's expected counts are drawn from them. */
const CHI2_SMOOTHING = 0.5;

/** A score as messages show it: three significant digits. */
function shown(x: number): string {
  return String(Number(x.toPrecision(3)));
}

/** PSI of two sets of bin counts, each turned into shares (empty bins floored at PSI_EMPTY_BIN). */
function psiOf(reference: ArrayLike<number>, refTotal: number, current: ArrayLike<number>, curTotal: number): number {
  let psi = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = Math.max(reference[i]! / refTotal, PSI_EMPTY_BIN);
    const c = Math.max(current[i]! / curTotal, PSI_EMPTY_BIN);
    psi += (c - r) * Math.log(c / r);
  }
  return psi;
}

function judged(scores: Array<[label: string, value: number | null, threshold: number]>): { drifted: boolean; reasons: string[] } {
  const reasons = scores.filter(([, v, t]) => v !== null && v > t).map(([label, v, t]) => `${label} ${shown(v!)} > ${t}`);
  return { drifted: reasons.length > 0, reasons };
}

/**
 * For each of the n+1 places a value can fall among the quantiles (index j: above q[j-1],
 * at most q[j]), its PSI bin, when every edge is one of the quantiles (as in every profile
 * profileNumbers makes): a value's bin is then the number of edges at most q[j-1], so one
 * search places a value on both grids. Null when an edge is not a quantile.
 */
function binOfPlace(q: Float64Array, edges: readonly number[]): Int32Array | null {
  if (!edges.every((e) => q.includes(e))) return null;
  const map = new Int32Array(q.length + 1);
  let bin = 0;
  for (let j = 1; j <= q.length; j++) {
    while (bin < edges.length && edges[bin]! <= q[j - 1]!) bin++;
    map[j] = bin;
  }
  return map;
}

/** Cells of the lookup table that narrows each value's search among the quantiles. */
const CELLS = 4096;

/**
 * A value's place among sorted quantiles q (the first j with q[j] >= v; q.length when
 * none), found through a table of equal-width cells over [q[0], q[last]]: `first[c]` is
 * how many quantiles fall in cells before c, so a value in cell c has its place in
 * first[c]..first[c+1], usually one or two candidates, which a binary search settles.
 * Quantiles and values go through the same cell function, which never decreases, so
 * the answer is exact whatever the rounding. Skewed data only widens some cells' ranges.
 */
class QuantileIndex {
  private readonly q: Float64Array;
  private readonly lo: number;
  private readonly hi: number;
  private readonly scale: number;
  private readonly first: Int32Array;

  constructor(q: Float64Array) {
    this.q = q;
    const n = q.length;
    this.lo = n > 0 ? q[0]! : 0;
    this.hi = n > 0 ? q[n - 1]! : 0;
    const width = this.hi - this.lo;
    // A constant (or empty) reference has no width to divide: every value is then below, at or above it.
    this.scale = width > 0 && Number.isFinite(CELLS / width) ? CELLS / width : 0;
    this.first = new Int32Array(CELLS + 1);
    if (this.scale > 0) {
      let j = 0;
      for (let c = 0; c <= CELLS; c++) {
        while (j < n && this.cellOf(q[j]!) < c) j++;
        this.first[c] = j;
      }
    } else {
      // Every value lands in cell 0, whose range is then all of q: a plain binary search.
      this.first.fill(n, 1);
    }
  }

  private cellOf(v: number): number {
    return Math.min(CELLS - 1, Math.floor((v - this.lo) * this.scale));
  }

  place(v: number): number {
    const q = this.q;
    if (v <= this.lo) return 0;
    if (v > this.hi) return q.length;
    // Here lo < v <= hi, so the width is positive and the cell in range.
    const c = this.cellOf(v);
    let a = this.first[c]!;
    let b = this.first[c + 1]!;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (q[mid]! < v) a = mid + 1;
      else b = mid;
    }
    return a;
  }
}

/**
 * A numeric feature's drift: PSI over the reference's bins, and the Kolmogorov–Smirnov
 * distance. NaN and ±Infinity are missing; PSI and KS read the values present.
 *
 * KS is approximated on the reference's 101 percentiles rather than over every value:
 * the current values are counted into the places between percentiles in the same pass
 * that bins them for PSI, and the two distributions are compared at each percentile q
 * (the reference's CDF there is the percentile's rank p; the current's, the share of
 * values at most q) and just below it (to catch mass below a repeated percentile, such
 * as a constant reference). Between two percentiles the reference's CDF rises by 0.01,
 * so this reads the true distance to within about 0.01.
 */
export function scoreNumbers(ref: NumberProfile, current: Float64Array, thresholds: DriftThresholds): FeatureDrift {
  const q = Float64Array.from(ref.quantiles);
  const nq = q.length;
  const edges = Float64Array.from(ref.edges);
  const ne = edges.length;
  // places[j]: values above q[j-1] and at most q[j]; atQuantile[j]: those equal to q[j].
  const places = new Float64Array(nq + 1);
  const atQuantile = new Float64Array(nq);
  const bins = new Float64Array(ne + 1);
  const binOf = binOfPlace(q, ref.edges);
  const index = new QuantileIndex(q);
  let missing = 0;
  for (let i = 0; i < current.length; i++) {
    const v = current[i]!;
    if (v - v !== 0) {
      missing++;
      continue;
    }
    const place = index.place(v);
    places[place]!++;
    if (place < nq && q[place] === v) atQuantile[place]!++;
    if (binOf !== null) {
      bins[binOf[place]!]!++;
    } else {
      let a = 0;
      let b = ne;
      while (a < b) {
        const mid = (a + b) >>> 1;
        if (edges[mid]! < v) a = mid + 1;
        else b = mid;
      }
      bins[a]!++;
    }
  }
  const rows = current.length;
  const present = rows - missing;
  const missingRate = rows === 0 ? 0 : missing / rows;
  let psi = 0;
  let ks = 0;
  // Nothing to compare on one side or the other: no score rather than an invented one.
  if (present > 0 && ref.count > 0 && nq > 1) {
    psi = psiOf(ref.counts, ref.count, bins, present);
    let below = 0;
    for (let a = 0; a < nq; ) {
      // Percentiles a..b share one value (a repeated value in the reference).
      let b = a;
      while (b + 1 < nq && q[b + 1] === q[a]) b++;
      const pBelow = a / (nq - 1);
      const pAt = b / (nq - 1);
      ks = Math.max(ks, Math.abs((below + places[a]! - atQuantile[a]!) / present - pBelow));
      // Places a+1..b are empty intervals (q[a], q[a]]: everything at most q[a] has place a or lower.
      below += places[a]!;
      ks = Math.max(ks, Math.abs(below / present - pAt));
      a = b + 1;
    }
  }
  const verdict = judged([
    ['psi', psi, thresholds.psi],
    ['ks', ks, thresholds.ks],
  ]);
  return { feature: ref.name, kind: 'number', rows, missingRate, psi, ks, js: null, chi2: null, ...verdict };
}

/**
 * A categorical feature's drift: PSI, the Jensen–Shannon distance (base 2, so 0..1) and a
 * chi-square test of the current counts against the reference's shares. Values outside
 * the reference's top list count as its OTHER_CATEGORY; null is missing.
 */
export function scoreCategories(ref: CategoryProfile, current: readonly (string | null)[], thresholds: DriftThresholds): FeatureDrift {
  const entries = Object.entries(ref.frequencies);
  const index = new Map<string, number>();
  entries.forEach(([k], i) => index.set(k, i));
  // A slot for the values outside the list, when the reference has none of its own.
  let other = index.get(OTHER_CATEGORY);
  const slots = entries.length + (other === undefined ? 1 : 0);
  other ??= entries.length;
  const refCounts = new Float64Array(slots);
  entries.forEach(([, n], i) => (refCounts[i] = n));
  const curCounts = new Float64Array(slots);
  let missing = 0;
  for (let i = 0; i < current.length; i++) {
    const v = current[i];
    if (v === null || v === undefined) {
      missing++;
      continue;
    }
    curCounts[index.get(v) ?? other]!++;
  }
  // The extra slot counts only when something fell in it.
  const k = slots > entries.length && curCounts[slots - 1] === 0 ? entries.length : slots;
  const rows = current.length;
  const present = rows - missing;
  const missingRate = rows === 0 ? 0 : missing / rows;
  let refTotal = 0;
  for (let i = 0; i < k; i++) refTotal += refCounts[i]!;
  let psi = 0;
  let js = 0;
  let chi2 = { statistic: 0, pValue: 1 };
  if (present > 0 && refTotal > 0) {
    psi = psiOf(refCounts.subarray(0, k), refTotal, curCounts.subarray(0, k), present);
    let divergence = 0;
    let statistic = 0;
    for (let i = 0; i < k; i++) {
      const p = refCounts[i]! / refTotal;
      const c = curCounts[i]! / present;
      const m = (p + c) / 2;
      if (p > 0) divergence += 0.5 * p * Math.log2(p / m);
      if (c > 0) divergence += 0.5 * c * Math.log2(c / m);
      const expected = (present * (refCounts[i]! + CHI2_SMOOTHING)) / (refTotal + CHI2_SMOOTHING * k);
      statistic += (curCounts[i]! - expected) ** 2 / expected;
    }
    js = Math.sqrt(Math.min(1, Math.max(0, divergence)));
    chi2 = k > 1 ? { statistic, pValue: chiSquareSurvival(statistic, k - 1) } : { statistic: 0, pValue: 1 };
  }
  const verdict = judged([
    ['psi', psi, thresholds.psi],
    ['js', js, thresholds.js],
  ]);
  return { feature: ref.name, kind: 'category', rows, missingRate, psi, ks: null, js, chi2, ...verdict };
}

/** One column scored against its profile; the column must be of the profile's kind. */
export function scoreColumn(profile: FeatureProfile, values: Float64Array | readonly (string | null)[], thresholds: DriftThresholds): FeatureDrift {
  if (profile.kind === 'number' && values instanceof Float64Array) return scoreNumbers(profile, values, thresholds);
  if (profile.kind === 'category' && !(values instanceof Float64Array)) return scoreCategories(profile, values, thresholds);
  throw new RepriseError('REPRISE_ERR_ARG_INVALID', `${profile.name}: a ${profile.kind} feature cannot be scored from ${values instanceof Float64Array ? 'numbers' : 'strings'}`, {
    details: { field: profile.name },
  });
}

/** A window's scores: each reference feature, and the predictions when outputs and a target profile are there. */
export interface WindowScores {
  readonly features: FeatureDrift[];
  readonly prediction: FeatureDrift | null;
  /** Request rows scored. */
  readonly rows: number;
  /** Rows that were neither a list nor an object. */
  readonly skipped: number;
}

/** A window of request rows (and their model's outputs) scored against a reference profile. */
export function scoreWindow(reference: ReferenceProfile, rows: readonly unknown[], outputs: readonly unknown[] | null, thresholds: DriftThresholds): WindowScores {
  const cols = featureColumns(rows, reference);
  const features = reference.features.map((f, j) => scoreColumn(f, cols.columns[j]!.values, thresholds));
  const target = reference.target;
  const prediction = outputs !== null && target !== null ? scoreColumn(target, outputColumn(outputs, target).values, thresholds) : null;
  return { features, prediction, rows: cols.rows, skipped: cols.skipped };
}

// ---------------------------------------------------------------------------------------
// The chi-square distribution's tail, from the regularized incomplete gamma function.

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7: about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const GAMMA_EPS = 1e-15;
const GAMMA_MAX_ITER = 10_000;

/**
 * Q(a, x) = Γ(a, x) / Γ(a), the regularized upper incomplete gamma function, for a > 0 and
 * x >= 0: by its series below x = a + 1 (as 1 − P), by its continued fraction above, where
 * each converges fast (the usual split; Numerical Recipes §6.2).
 */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return NaN;
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  const logPrefix = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < GAMMA_MAX_ITER; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * GAMMA_EPS) break;
    }
    return Math.min(1, Math.max(0, 1 - sum * Math.exp(logPrefix)));
  }
  // Modified Lentz's method.
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < GAMMA_MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < GAMMA_EPS) break;
  }
  return Math.min(1, Math.max(0, Math.exp(logPrefix) * h));
}

/** P(X >= x) for X chi-square distributed with `df` degrees of freedom: a statistic's p-value. */
export function chiSquareSurvival(x: number, df: number): number {
  if (x <= 0) return 1;
  return regularizedGammaQ(df / 2, x / 2);
}
