/**
 * @module core/sweep
 * `reprise sweep` flags: `--grid key=v1,v2` axes whose cross product is every run, or
 * `--random N` samples of `--param key=dist(...)` drawn from a seeded generator, so a
 * recorded spec always expands to the same points. Every failure quotes the flag at fault.
 */
import { bug, RepriseError } from './errors.js';
import { parseOverride, parseValue, type JsonValue } from './params.js';
import { mulberry32, standardNormal, unitFloat } from './seeded-random.js';

export type SweepAxis = { readonly key: string; readonly values: readonly JsonValue[] };
export type Distribution =
  | { readonly kind: 'uniform' | 'loguniform'; readonly low: number; readonly high: number }
  | { readonly kind: 'int'; readonly low: number; readonly high: number }
  | { readonly kind: 'normal'; readonly mean: number; readonly sd: number }
  | { readonly kind: 'choice'; readonly values: readonly JsonValue[] }
  | { readonly kind: 'fixed'; readonly value: JsonValue };
export type SweepParam = {
  readonly key: string;
  /** As typed after `=`. */
  readonly text: string;
  readonly dist: Distribution;
};

/** What a sweep is, as recorded (JSON-serialisable), so it can be shown and re-expanded. */
export type SweepSpec =
  | { readonly kind: 'grid'; readonly axes: readonly SweepAxis[] }
  | { readonly kind: 'random'; readonly count: number; readonly seed: number; readonly params: readonly SweepParam[] };

/** The most runs one sweep may queue. */
export const MAX_SWEEP_RUNS = 10_000;

const MAX_SEED = 2 ** 31 - 1;

type Flag = '--grid' | '--param';

function invalid(flag: Flag, raw: string, why: string): RepriseError {
  return new RepriseError('REPRISE_ERR_SWEEP_INVALID', `${flag} ${JSON.stringify(raw)}: ${why}`, {
    details: { flag, value: raw },
  });
}

/**
 * Splits on commas outside `[...]`, `{...}` and double-quoted strings, so a list item may
 * itself be JSON with commas. Unbalanced text is kept as it is: it then parses as a string,
 * as `-p` would take it.
 */
function splitTopLevel(text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      items.push(text.slice(start, i));
      start = i + 1;
    }
  }
  items.push(text.slice(start));
  return items;
}

/** `key` and the text after the first `=`, the key checked by the same rules as `-p`. */
function splitKey(flag: Flag, raw: string, example: string): { key: string; text: string } {
  const eq = raw.indexOf('=');
  if (eq < 0) throw invalid(flag, raw, `expected ${example}`);
  const key = raw.slice(0, eq).trim();
  const probe = `${key}=0`;
  try {
    return { key: parseOverride(probe).path.join('.'), text: raw.slice(eq + 1) };
  } catch (e) {
    if (!(e instanceof RepriseError)) throw e;
    // Keep -p's wording of what is wrong with the key, under this flag's name.
    const prefix = `-p ${JSON.stringify(probe)}: `;
    throw invalid(flag, raw, e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message);
  }
}

/** List items parsed like `-p` values; surrounding spaces are dropped, an empty item is refused. */
function parseList(flag: Flag, raw: string, text: string, what: string): JsonValue[] {
  return splitTopLevel(text).map((item, i, all) => {
    const trimmed = item.trim();
    if (trimmed === '') throw invalid(flag, raw, `${what}${all.length > 1 ? ` ${i + 1} of ${all.length}` : ''} is empty`);
    return parseValue(trimmed);
  });
}

/** `--grid lr=0.1,0.01`: one axis of the grid. */
export function parseGridFlag(raw: string): SweepAxis {
  const { key, text } = splitKey('--grid', raw, 'key=values, like lr=0.1,0.01');
  if (text.trim() === '') throw invalid('--grid', raw, 'no values after "="');
  return { key, values: parseList('--grid', raw, text, 'value') };
}

const DISTRIBUTION = /^\s*(uniform|loguniform|int|normal|choice)\s*\(([\s\S]*)\)\s*$/;

/** `--param lr=loguniform(1e-4,1e-1)`: a distribution to sample, or a fixed value. */
export function parseParamFlag(raw: string): SweepParam {
  const { key, text } = splitKey('--param', raw, 'key=distribution, like lr=loguniform(1e-4,1e-1)');
  if (text.trim() === '') throw invalid('--param', raw, 'no value after "="');
  const m = DISTRIBUTION.exec(text);
  if (!m) return { key, text, dist: { kind: 'fixed', value: parseValue(text) } };
  const kind = m[1] as Exclude<Distribution['kind'], 'fixed'>;
  const args = m[2]!;
  if (kind === 'choice') {
    if (args.trim() === '') throw invalid('--param', raw, 'choice needs at least one value');
    return { key, text, dist: { kind, values: parseList('--param', raw, args, 'choice value') } };
  }
  const [a, b] = numbers(raw, kind, args);
  switch (kind) {
    case 'uniform':
      if (!(a < b)) throw invalid('--param', raw, 'uniform needs low < high');
      if (!Number.isFinite(b - a)) throw invalid('--param', raw, 'uniform range is too wide to sample');
      return { key, text, dist: { kind, low: a, high: b } };
    case 'loguniform':
      if (!(0 < a && a < b)) throw invalid('--param', raw, 'loguniform needs 0 < low < high');
      return { key, text, dist: { kind, low: a, high: b } };
    case 'int':
      // Safe integers only, so every whole number in the range can be drawn exactly.
      if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a > b) {
        throw invalid('--param', raw, 'int needs whole numbers low <= high');
      }
      return { key, text, dist: { kind, low: a, high: b } };
    case 'normal':
      if (!(b > 0)) throw invalid('--param', raw, 'normal needs sd > 0');
      // Box–Muller never goes past about 8.6 sd with 53-bit uniforms; keep samples finite.
      if (!Number.isFinite(Math.abs(a) + 9 * b)) throw invalid('--param', raw, 'normal is too wide to sample');
      return { key, text, dist: { kind, mean: a, sd: b } };
  }
}

function numbers(raw: string, kind: string, args: string): [number, number] {
  const parts = splitTopLevel(args).map((s) => s.trim());
  const names = kind === 'normal' ? 'mean, sd' : 'low, high';
  if (parts.length !== 2) {
    throw invalid('--param', raw, `${kind} takes 2 numbers (${names}), got ${args.trim() === '' ? 0 : parts.length}`);
  }
  return parts.map((p) => {
    const n = p === '' ? NaN : Number(p);
    if (!Number.isFinite(n)) throw invalid('--param', raw, `${kind}: ${JSON.stringify(p)} is not a finite number`);
    return n;
  }) as [number, number];
}

function sweepError(message: string, details: Record<string, unknown>, hint?: string): RepriseError {
  return new RepriseError('REPRISE_ERR_SWEEP_INVALID', message, hint === undefined ? { details } : { hint, details });
}

/** Builds and checks a spec from the flags; exactly one of grid / random must be given. */
export function sweepSpec(
  opts: { grid: readonly string[]; random?: number; params: readonly string[]; seed?: number },
  randomSeed: () => number,
): SweepSpec {
  const { grid, random, params, seed } = opts;
  if (grid.length > 0 && random !== undefined) {
    throw sweepError('choose --grid or --random, not both', { flag: '--random' });
  }
  if (params.length > 0 && random === undefined) {
    throw sweepError(
      '--param samples values for --random: add --random N, or list the values with --grid',
      { flag: '--param', value: params[0] },
      'for example: --random 20 --param "lr=loguniform(1e-4,1e-1)"',
    );
  }
  if (grid.length > 0) return gridSpec(grid);
  if (random === undefined) {
    throw sweepError(
      'nothing to sweep: pass --grid key=v1,v2 (repeatable), or --random N with --param key=distribution',
      {},
      'for example: --grid lr=0.1,0.01 or --random 20 --param "lr=loguniform(1e-4,1e-1)"',
    );
  }
  if (!Number.isInteger(random) || random < 1 || random > MAX_SWEEP_RUNS) {
    throw sweepError(`--random ${random}: expected a whole number of runs from 1 to ${MAX_SWEEP_RUNS}`, { flag: '--random', value: random });
  }
  const parsed: SweepParam[] = [];
  for (const raw of params) {
    const p = parseParamFlag(raw);
    const at = parsed.findIndex((q) => q.key === p.key);
    if (at >= 0) throw invalid('--param', raw, `${p.key} is already given by --param ${JSON.stringify(params[at])}`);
    parsed.push(p);
  }
  if (!parsed.some((p) => p.dist.kind !== 'fixed')) {
    throw sweepError(
      `--random ${random}: needs at least one --param with a distribution to sample${parsed.length > 0 ? ' (every --param given is a fixed value)' : ''}`,
      { flag: '--random', value: random },
      'for example: --param "lr=loguniform(1e-4,1e-1)" --param "layers=choice([32],[64])"',
    );
  }
  let s: number;
  if (seed !== undefined) {
    if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
      throw sweepError(`--seed ${seed}: expected a whole number from 0 to ${MAX_SEED}`, { flag: '--seed', value: seed });
    }
    s = seed;
  } else {
    const drawn = randomSeed();
    if (!Number.isSafeInteger(drawn)) throw bug(`sweep seed ${drawn} is not a whole number`);
    // Folded into --seed's range, so the recorded seed can be typed back to repeat the sweep.
    s = Math.abs(drawn) % (MAX_SEED + 1);
  }
  return { kind: 'random', count: random, seed: s, params: parsed };
}

function gridSpec(grid: readonly string[]): SweepSpec {
  const axes: SweepAxis[] = [];
  const raws: string[] = [];
  for (const raw of grid) {
    const axis = parseGridFlag(raw);
    const at = axes.findIndex((a) => a.key === axis.key);
    if (at >= 0) throw invalid('--grid', raw, `${axis.key} is already swept by --grid ${JSON.stringify(raws[at])}`);
    axes.push(axis);
    raws.push(raw);
  }
  const size = gridSize(axes);
  if (size > MAX_SWEEP_RUNS) {
    throw sweepError(
      `--grid: ${axes.map((a) => a.values.length).join(' × ')} = ${size} runs, more than the ${MAX_SWEEP_RUNS} a sweep may queue`,
      { flag: '--grid', runs: size },
      'sweep fewer values, or sample the space with --random N',
    );
  }
  return { kind: 'grid', axes };
}

function gridSize(axes: readonly SweepAxis[]): number {
  return axes.reduce((n, a) => n * a.values.length, 1);
}

/** How many runs a spec expands to. */
export function sweepSize(spec: SweepSpec): number {
  return spec.kind === 'grid' ? gridSize(spec.axes) : spec.count;
}


function sample(dist: Distribution, next: () => number): JsonValue {
  switch (dist.kind) {
    case 'fixed':
      return structuredClone(dist.value);
    case 'choice':
      return structuredClone(dist.values[Math.floor(unitFloat(next) * dist.values.length)]!);
    case 'uniform': {
      // Rounding can land on `high` when the range is narrow next to `low`; draw again to keep [low, high).
      for (;;) {
        const v = dist.low + unitFloat(next) * (dist.high - dist.low);
        if (v < dist.high) return v;
      }
    }
    case 'loguniform': {
      const lo = Math.log(dist.low);
      const v = Math.exp(lo + unitFloat(next) * (Math.log(dist.high) - lo));
      // exp(log(x)) may miss x by an ulp; the bounds as typed still hold.
      return Math.min(dist.high, Math.max(dist.low, v));
    }
    case 'int': {
      const span = dist.high - dist.low + 1;
      return Math.min(dist.high, dist.low + Math.floor(unitFloat(next) * span));
    }
    case 'normal':
      return dist.mean + dist.sd * standardNormal(next);
  }
}

/**
 * Every point of the sweep, in a stable order: grid = cross product, first axis slowest
 * (like nested loops in the order given); random = `count` samples drawn from a PRNG
 * seeded by `seed`, each point drawing its params in the order given (fixed ones draw
 * nothing). Each point maps a dotted key to its value.
 */
export function expandSweep(spec: SweepSpec): Array<Record<string, JsonValue>> {
  if (spec.kind === 'random') {
    const next = mulberry32(spec.seed);
    return Array.from({ length: spec.count }, () => {
      const point: Record<string, JsonValue> = {};
      for (const p of spec.params) point[p.key] = sample(p.dist, next);
      return point;
    });
  }
  let points: Array<Record<string, JsonValue>> = [{}];
  for (const axis of spec.axes) {
    points = points.flatMap((point) => axis.values.map((v) => ({ ...point, [axis.key]: v })));
  }
  // Cloned last: points share the earlier axes' values until then, and each run gets its own.
  return spec.axes.length === 0 ? [] : points.map((p) => structuredClone(p));
}

/** Human summary, e.g. `grid lr × layers (4 runs)` or `random 20 of lr, dropout (seed 123)`. */
export function describeSweep(spec: SweepSpec): string {
  if (spec.kind === 'grid') {
    const n = gridSize(spec.axes);
    return `grid ${spec.axes.map((a) => a.key).join(' × ')} (${n} ${n === 1 ? 'run' : 'runs'})`;
  }
  return `random ${spec.count} of ${spec.params.map((p) => p.key).join(', ')} (seed ${spec.seed})`;
}
