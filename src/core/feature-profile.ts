/**
 * @module core/feature-profile
 * Reference profiles: what a model version's training data looked like, feature by
 * feature, kept at promotion so production traffic can be compared with it
 * (core/drift scores the comparison). Numbers keep their percentiles and a ten-bin
 * histogram over the deciles; categories keep the counts of their 50 most frequent
 * values. Also: production request rows and predictions turned into one column per
 * feature, and a profile read back from its JSON form, each problem named by its path.
 */
import { RepriseError } from './errors.js';

/** A numeric feature. Missing values (NaN, ±Infinity) are counted apart and left out of the rest. */
export interface NumberProfile {
  readonly kind: 'number';
  readonly name: string;
  /** Values present. */
  readonly count: number;
  readonly missing: number;
  /** 0 when no value was present (likewise max, mean, std). */
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** Population standard deviation. */
  readonly std: number;
  /** The 0th..100th percentiles (101 values, linear interpolation between order statistics); empty when count is 0. */
  readonly quantiles: number[];
  /**
   * PSI bin edges: the deciles 10..90, duplicates dropped. Bins are (-inf, e0], (e0, e1], …,
   * (e_last, +inf); empty when count is 0 (one bin holding everything).
   */
  readonly edges: number[];
  /** Values per bin: one more than the edges. */
  readonly counts: number[];
}

/** A categorical feature. */
export interface CategoryProfile {
  readonly kind: 'category';
  readonly name: string;
  /** Values present (not null). */
  readonly count: number;
  readonly missing: number;
  /** Counts of the most frequent values (at most TOP_CATEGORIES); the rest summed under OTHER_CATEGORY. */
  readonly frequencies: Record<string, number>;
}

export type FeatureProfile = NumberProfile | CategoryProfile;

/** A model version's training data, profiled. */
export interface ReferenceProfile {
  /** In the order the model takes its features. */
  readonly features: FeatureProfile[];
  /** The training target column, which the model's predictions are compared with; null when unknown. */
  readonly target: FeatureProfile | null;
  /** Rows profiled. */
  readonly rows: number;
  /** What was profiled: the data's name (a query, a file) and its content hash. */
  readonly source: { readonly data: string; readonly contentHash: string };
}

/** One feature's values: numbers in a Float64Array (NaN for missing), categories as strings (null for missing). */
export interface FeatureColumn {
  readonly name: string;
  readonly values: Float64Array | (string | null)[];
}

/** Category values kept by name in a profile; the rest are counted together. */
export const TOP_CATEGORIES = 50;
/** The key the values outside the top list are counted under (a value spelled so is counted there too). */
export const OTHER_CATEGORY = '__other__';
/** Percentile points a number profile keeps: 0, 1, …, 100. */
export const QUANTILE_POINTS = 101;

/** The values present, sorted, in a fresh array. */
function presentSorted(values: Float64Array): Float64Array {
  const out = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // NaN and ±Infinity both fail this test: neither can be binned nor averaged.
    if (v - v === 0) out[n++] = v;
  }
  return out.subarray(0, n).sort();
}

/** Percentile p (0..100) of sorted values, interpolated between the two nearest order statistics. */
function percentileOfSorted(sorted: Float64Array, p: number): number {
  const h = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  // Clamped so rounding never puts a percentile outside its two neighbours.
  return Math.min(b, Math.max(a, a + (b - a) * (h - lo)));
}

/** A numeric feature's profile; NaN (and ±Infinity) count as missing. */
export function profileNumbers(name: string, values: Float64Array): NumberProfile {
  const sorted = presentSorted(values);
  const count = sorted.length;
  const missing = values.length - count;
  if (count === 0) return { kind: 'number', name, count, missing, min: 0, max: 0, mean: 0, std: 0, quantiles: [], edges: [], counts: [0] };
  let sum = 0;
  for (let i = 0; i < count; i++) sum += sorted[i]!;
  const mean = sum / count;
  // Two passes: the squares of deviations, not of values, so large offsets lose nothing.
  let squares = 0;
  for (let i = 0; i < count; i++) squares += (sorted[i]! - mean) ** 2;
  const quantiles: number[] = [];
  for (let p = 0; p < QUANTILE_POINTS; p++) quantiles.push(percentileOfSorted(sorted, p));
  const edges: number[] = [];
  for (let p = 10; p <= 90; p += 10) {
    const e = quantiles[p]!;
    if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e);
  }
  // The values are sorted: each bin is a run of them, found by walking once.
  const counts: number[] = [];
  let i = 0;
  for (const e of edges) {
    let c = 0;
    while (i < count && sorted[i]! <= e) {
      i++;
      c++;
    }
    counts.push(c);
  }
  counts.push(count - i);
  return { kind: 'number', name, count, missing, min: sorted[0]!, max: sorted[count - 1]!, mean, std: Math.sqrt(squares / count), quantiles, edges, counts };
}

/** A categorical feature's profile; null counts as missing. */
export function profileCategories(name: string, values: readonly (string | null)[]): CategoryProfile {
  const tally = new Map<string, number>();
  let missing = 0;
  for (const v of values) {
    if (v === null || v === undefined) missing++;
    else tally.set(v, (tally.get(v) ?? 0) + 1);
  }
  // Most frequent first; equal counts in code-point order, so the same data gives the same profile.
  const ranked = [...tally].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const kept: [string, number][] = [];
  let other = 0;
  for (const [value, n] of ranked) {
    if (value !== OTHER_CATEGORY && kept.length < TOP_CATEGORIES) kept.push([value, n]);
    else other += n;
  }
  if (other > 0) kept.push([OTHER_CATEGORY, other]);
  // fromEntries defines own properties, so a value named `__proto__` is kept as a key like any other.
  return { kind: 'category', name, count: values.length - missing, missing, frequencies: Object.fromEntries(kept) };
}

/** Profiles of columns: a Float64Array is a numeric feature, a list of strings a categorical one. */
export function profileColumns(columns: readonly FeatureColumn[]): FeatureProfile[] {
  return columns.map((c) => (c.values instanceof Float64Array ? profileNumbers(c.name, c.values) : profileCategories(c.name, c.values)));
}

/** A category value as a string: numbers and booleans written out; anything else missing. */
function categoryOf(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

/**
 * Production request rows as one column per reference feature, in the reference's order.
 * A row is a list (values in feature order; a short one is missing the rest) or an object
 * keyed by feature name. Number features take numbers only (anything else is NaN, missing);
 * categories take strings, with numbers and booleans written out (null or absent: missing).
 * Rows that are neither a list nor an object are skipped and counted.
 */
export function featureColumns(rows: readonly unknown[], reference: ReferenceProfile): { columns: FeatureColumn[]; rows: number; skipped: number } {
  const features = reference.features;
  const k = features.length;
  let kept = 0;
  let skipped = 0;
  for (const row of rows) {
    if (typeof row === 'object' && row !== null) kept++;
    else skipped++;
  }
  const numeric = features.map((f) => f.kind === 'number');
  const names = features.map((f) => f.name);
  const numbers: (Float64Array | null)[] = numeric.map((isNumber) => (isNumber ? new Float64Array(kept) : null));
  const strings: ((string | null)[] | null)[] = numeric.map((isNumber) => (isNumber ? null : new Array<string | null>(kept).fill(null)));
  let r = 0;
  for (const row of rows) {
    if (typeof row !== 'object' || row === null) continue;
    if (Array.isArray(row)) {
      for (let j = 0; j < k; j++) {
        const v: unknown = j < row.length ? row[j] : undefined;
        if (numeric[j]) numbers[j]![r] = typeof v === 'number' ? v : NaN;
        else strings[j]![r] = categoryOf(v);
      }
    } else {
      const o = row as Record<string, unknown>;
      for (let j = 0; j < k; j++) {
        const name = names[j]!;
        const v = Object.hasOwn(o, name) ? o[name] : undefined;
        if (numeric[j]) numbers[j]![r] = typeof v === 'number' ? v : NaN;
        else strings[j]![r] = categoryOf(v);
      }
    }
    r++;
  }
  const columns = features.map((f, j): FeatureColumn => ({ name: f.name, values: numeric[j] ? numbers[j]! : strings[j]! }));
  return { columns, rows: kept, skipped };
}

const OUTPUT_KEYS = ['label', 'class', 'prediction'] as const;

/** An output with its wrapping taken off: `{label: x}` (or `class`, `prediction`) and `[x]` give x. */
function unwrapOutput(v: unknown): unknown {
  for (let depth = 0; depth < 4; depth++) {
    if (Array.isArray(v)) {
      if (v.length !== 1) return v;
      v = v[0];
    } else if (typeof v === 'object' && v !== null) {
      const key = OUTPUT_KEYS.find((k) => Object.hasOwn(v as object, k));
      if (key === undefined) return v;
      v = (v as Record<string, unknown>)[key];
    } else {
      return v;
    }
  }
  return v;
}

/** The index of the greatest of a list of numbers (probabilities or scores); null when any entry is not a number. */
function argmax(list: readonly unknown[]): number | null {
  let best = -1;
  let top = -Infinity;
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    if (typeof x !== 'number' || Number.isNaN(x)) return null;
    if (best < 0 || x > top) {
      best = i;
      top = x;
    }
  }
  return best < 0 ? null : best;
}

/**
 * A model's predictions as one column of the kind of its training target. An output that
 * is an object with a `label`, `class` or `prediction` key, or a list of one, is unwrapped;
 * for a categorical target, a list of several numbers (class probabilities or scores)
 * stands for the index of the greatest, written as a string.
 */
export function outputColumn(outputs: readonly unknown[], target: FeatureProfile): FeatureColumn {
  if (target.kind === 'number') {
    const values = new Float64Array(outputs.length);
    for (let i = 0; i < outputs.length; i++) {
      const v = unwrapOutput(outputs[i]);
      values[i] = typeof v === 'number' ? v : NaN;
    }
    return { name: target.name, values };
  }
  const values = new Array<string | null>(outputs.length);
  for (let i = 0; i < outputs.length; i++) {
    const v = unwrapOutput(outputs[i]);
    if (Array.isArray(v)) {
      const best = v.length > 1 ? argmax(v) : null;
      values[i] = best === null ? null : String(best);
    } else {
      values[i] = categoryOf(v);
    }
  }
  return { name: target.name, values };
}

// ---------------------------------------------------------------------------------------
// A profile read back from JSON (the store keeps it so): every problem named by its path.

function invalid(path: string, problem: string): RepriseError {
  const where = path === '' ? '' : `${path}: `;
  return new RepriseError('REPRISE_ERR_ARG_INVALID', `reference profile: ${where}${problem}`, { details: { field: path } });
}

function shown(v: unknown): string {
  return JSON.stringify(v)?.slice(0, 40) ?? String(v);
}

function record(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(path, `expected an object, got ${shown(v)}`);
  return v as Record<string, unknown>;
}

function finite(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(path, `expected a finite number, got ${shown(v)}`);
  return v;
}

function tally(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalid(path, `expected a whole number >= 0, got ${shown(v)}`);
  return v;
}

function text(v: unknown, path: string): string {
  if (typeof v !== 'string') throw invalid(path, `expected a string, got ${shown(v)}`);
  return v;
}

/** Finite numbers that never decrease (strictly increase when `strict`). */
function ascending(v: unknown, path: string, max: number, strict: boolean): number[] {
  if (!Array.isArray(v)) throw invalid(path, `expected a list of numbers, got ${shown(v)}`);
  if (v.length > max) throw invalid(path, `has ${v.length} entries; at most ${max}`);
  const out = v.map((x, i) => finite(x, `${path}[${i}]`));
  for (let i = 1; i < out.length; i++) {
    if (strict ? !(out[i]! > out[i - 1]!) : !(out[i]! >= out[i - 1]!)) throw invalid(`${path}[${i}]`, `${out[i]} is not above ${out[i - 1]}: the list must ${strict ? 'increase' : 'never decrease'}`);
  }
  return out;
}

function featureProfile(v: unknown, path: string): FeatureProfile {
  const o = record(v, path);
  const name = text(o.name, `${path}.name`);
  const count = tally(o.count, `${path}.count`);
  const missing = tally(o.missing, `${path}.missing`);
  if (o.kind === 'category') {
    const f = record(o.frequencies, `${path}.frequencies`);
    const entries = Object.entries(f);
    if (entries.length > TOP_CATEGORIES + 1) throw invalid(`${path}.frequencies`, `has ${entries.length} values; at most ${TOP_CATEGORIES} and ${OTHER_CATEGORY}`);
    let total = 0;
    const kept = entries.map(([k, n]): [string, number] => {
      total += tally(n, `${path}.frequencies.${k}`);
      return [k, n as number];
    });
    if (total !== count) throw invalid(`${path}.frequencies`, `add up to ${total}, not count (${count})`);
    return { kind: 'category', name, count, missing, frequencies: Object.fromEntries(kept) };
  }
  if (o.kind !== 'number') throw invalid(`${path}.kind`, `expected "number" or "category", got ${shown(o.kind)}`);
  const min = finite(o.min, `${path}.min`);
  const max = finite(o.max, `${path}.max`);
  const mean = finite(o.mean, `${path}.mean`);
  const std = finite(o.std, `${path}.std`);
  if (std < 0) throw invalid(`${path}.std`, `must be >= 0, got ${std}`);
  if (min > max) throw invalid(`${path}.min`, `${min} is above max (${max})`);
  const quantiles = ascending(o.quantiles, `${path}.quantiles`, QUANTILE_POINTS, false);
  const expected = count === 0 ? 0 : QUANTILE_POINTS;
  if (quantiles.length !== expected) throw invalid(`${path}.quantiles`, `has ${quantiles.length} entries; expected ${expected} for count ${count}`);
  const edges = ascending(o.edges, `${path}.edges`, QUANTILE_POINTS, true);
  if (!Array.isArray(o.counts)) throw invalid(`${path}.counts`, `expected a list of counts, got ${shown(o.counts)}`);
  const counts = o.counts.map((n, i) => tally(n, `${path}.counts[${i}]`));
  if (counts.length !== edges.length + 1) throw invalid(`${path}.counts`, `has ${counts.length} entries; expected one more than edges (${edges.length})`);
  const binned = counts.reduce((a, b) => a + b, 0);
  if (binned !== count) throw invalid(`${path}.counts`, `add up to ${binned}, not count (${count})`);
  return { kind: 'number', name, count, missing, min, max, mean, std, quantiles, edges, counts };
}

/** A reference profile from its JSON form, checked whole; REPRISE_ERR_ARG_INVALID names the path at fault. */
export function parseReferenceProfile(json: unknown): ReferenceProfile {
  const o = record(json, '');
  if (!Array.isArray(o.features)) throw invalid('features', `expected a list of feature profiles, got ${shown(o.features)}`);
  const features = o.features.map((f, i) => featureProfile(f, `features[${i}]`));
  const seen = new Set<string>();
  features.forEach((f, i) => {
    if (seen.has(f.name)) throw invalid(`features[${i}].name`, `${shown(f.name)} appears twice`);
    seen.add(f.name);
  });
  const target = o.target === null || o.target === undefined ? null : featureProfile(o.target, 'target');
  const rows = tally(o.rows, 'rows');
  const s = record(o.source, 'source');
  const source = { data: text(s.data, 'source.data'), contentHash: text(s.contentHash, 'source.contentHash') };
  return { features, target, rows, source };
}
