/**
 * @module core/verification
 * Whether two runs came out the same: every final metric (but the machine's `system/`
 * samples) compared exactly or within a declared tolerance, every artifact by its hash, the statuses; plus the differences of
 * environment that may explain a divergence. Pure: the caller reads the runs.
 */
import picomatch from 'picomatch';
import { z } from 'zod';
import { isSystemMetric } from './metric-goal.js';
import type { Artifact, EnvironmentFacts, MetricSummary, RunStatus } from './run-manifest.js';

export const VERDICTS = ['exact', 'within_tolerance', 'diverged'] as const;
export type Verdict = (typeof VERDICTS)[number];

export const VERDICT_LABELS: Readonly<Record<Verdict, string>> = {
  exact: 'reproduced exactly',
  within_tolerance: 'reproduced within tolerance',
  diverged: 'diverged',
};

export const isReproduced = (v: Verdict): boolean => v !== 'diverged';

/** `reproduce:` of reprise.yaml: absolute tolerances by metric, and names never compared. */
export interface ReproduceRules {
  /** Metric name (or glob) to the largest absolute difference still counted as reproduced. */
  readonly tolerance: Readonly<Record<string, number>>;
  /** Metric names and artifact paths (globs: `*` within a path segment, `**` across) left out. */
  readonly ignore: readonly string[];
}

export const NO_RULES: ReproduceRules = { tolerance: {}, ignore: [] };

/** What is compared of one run. */
export interface ComparedRun {
  readonly id: string;
  readonly status: RunStatus;
  readonly metrics: Readonly<Record<string, MetricSummary>>;
  readonly artifacts: readonly Artifact[];
  readonly environment: EnvironmentFacts;
  /** The `pip freeze` the stages ran with, when known. */
  readonly lock: string | null;
  /** Each materialized data query's content hash, by its name. */
  readonly data?: Readonly<Record<string, string>>;
}

export interface Difference {
  readonly kind: 'status' | 'metric' | 'artifact' | 'data';
  /** The metric's name, the artifact's path, the data query's name, or `status`. */
  readonly name: string;
  /** A number for metrics (NaN and ±Infinity as strings), a sha256 for artifacts, a content hash for data, a status; null when absent. */
  readonly original: number | string | null;
  readonly reproduction: number | string | null;
  /** reproduction − original, for metrics present in both. */
  readonly delta: number | string | null;
  readonly tolerance: number | null;
  readonly outcome: 'within_tolerance' | 'diverged';
}

export interface EnvironmentDifference {
  /** `python`, `os`, `arch`, `cpu`, `gpus`, `image`, `reprise` or `package <name>`. */
  readonly what: string;
  readonly original: string | null;
  readonly reproduction: string | null;
}

export interface Verification {
  readonly original: string;
  readonly reproduction: string;
  readonly verdict: Verdict;
  readonly checkedAt: number;
  readonly rules: ReproduceRules;
  readonly compared: { readonly metrics: number; readonly artifacts: number };
  /** Metric names and artifact paths the rules left out. */
  readonly ignored: readonly string[];
  /** Everything not exactly equal: within tolerance or diverged. */
  readonly differences: readonly Difference[];
  readonly environment: readonly EnvironmentDifference[];
}

const scalar = z.union([z.number(), z.string()]).nullable();

/** A verification as it travels (the API) and is stored; checked on arrival. */
export const verificationSchema = z.object({
  original: z.string().min(1),
  reproduction: z.string().min(1),
  verdict: z.enum(VERDICTS),
  checkedAt: z.number(),
  rules: z.object({ tolerance: z.record(z.string(), z.number()), ignore: z.array(z.string()) }),
  compared: z.object({ metrics: z.number().int(), artifacts: z.number().int() }),
  ignored: z.array(z.string()),
  differences: z.array(
    z.object({
      kind: z.enum(['status', 'metric', 'artifact', 'data']),
      name: z.string(),
      original: scalar,
      reproduction: scalar,
      delta: scalar,
      tolerance: z.number().nullable(),
      outcome: z.enum(['within_tolerance', 'diverged']),
    }),
  ),
  environment: z.array(z.object({ what: z.string(), original: z.string().nullable(), reproduction: z.string().nullable() })),
}) satisfies z.ZodType<Verification>;

/** NaN and ±Infinity as JSON can carry them. */
function num(n: number): number | string {
  return Number.isFinite(n) ? n : String(n);
}

/** The tolerance of a metric: its own name first, then the first glob that matches. */
function toleranceFor(key: string, rules: ReproduceRules): number | null {
  if (Object.hasOwn(rules.tolerance, key)) return rules.tolerance[key]!;
  for (const [pattern, tol] of Object.entries(rules.tolerance)) if (picomatch.isMatch(key, pattern, { dot: true })) return tol;
  return null;
}

export function compareRuns(original: ComparedRun, reproduction: ComparedRun, rules: ReproduceRules, checkedAt: number): Verification {
  const ignoredBy = rules.ignore.length ? picomatch([...rules.ignore], { dot: true }) : () => false;
  const ignored: string[] = [];
  const differences: Difference[] = [];

  if (original.status !== reproduction.status) {
    differences.push({ kind: 'status', name: 'status', original: original.status, reproduction: reproduction.status, delta: null, tolerance: null, outcome: 'diverged' });
  }

  let metrics = 0;
  for (const key of union(Object.keys(original.metrics), Object.keys(reproduction.metrics))) {
    // Samples of the machine (CPU, memory, GPUs) are no result of the run: never compared.
    if (isSystemMetric(key)) continue;
    if (ignoredBy(key)) {
      ignored.push(key);
      continue;
    }
    metrics++;
    const a = original.metrics[key]?.last;
    const b = reproduction.metrics[key]?.last;
    const tolerance = toleranceFor(key, rules);
    if (a === undefined || b === undefined) {
      differences.push({ kind: 'metric', name: key, original: a === undefined ? null : num(a), reproduction: b === undefined ? null : num(b), delta: null, tolerance, outcome: 'diverged' });
      continue;
    }
    if (Object.is(a, b) || a === b) continue;
    const delta = b - a;
    const within = tolerance !== null && Number.isFinite(delta) && Math.abs(delta) <= tolerance;
    differences.push({ kind: 'metric', name: key, original: num(a), reproduction: num(b), delta: num(delta), tolerance, outcome: within ? 'within_tolerance' : 'diverged' });
  }

  const hashes = (list: readonly Artifact[]) => new Map(list.map((x) => [x.path, x.sha256]));
  const [ha, hb] = [hashes(original.artifacts), hashes(reproduction.artifacts)];
  let artifacts = 0;
  for (const path of union([...ha.keys()], [...hb.keys()])) {
    if (ignoredBy(path)) {
      ignored.push(path);
      continue;
    }
    artifacts++;
    const a = ha.get(path) ?? null;
    const b = hb.get(path) ?? null;
    if (a !== b) differences.push({ kind: 'artifact', name: path, original: a, reproduction: b, delta: null, tolerance: null, outcome: 'diverged' });
  }

  // The rows each data query read: the same query as of the same time must give the same rows.
  const [da, db] = [original.data ?? {}, reproduction.data ?? {}];
  for (const name of union(Object.keys(da), Object.keys(db))) {
    const a = da[name] ?? null;
    const b = db[name] ?? null;
    if (a !== b) differences.push({ kind: 'data', name, original: a, reproduction: b, delta: null, tolerance: null, outcome: 'diverged' });
  }

  const verdict: Verdict = differences.some((d) => d.outcome === 'diverged') ? 'diverged' : differences.length ? 'within_tolerance' : 'exact';
  return {
    original: original.id,
    reproduction: reproduction.id,
    verdict,
    checkedAt,
    rules: { tolerance: { ...rules.tolerance }, ignore: [...rules.ignore] },
    compared: { metrics, artifacts },
    ignored,
    differences,
    environment: environmentDifferences(original, reproduction),
  };
}

/** What differs between the machines and environments of two runs. */
export function environmentDifferences(a: ComparedRun, b: ComparedRun): EnvironmentDifference[] {
  const out: EnvironmentDifference[] = [];
  const facts = (e: EnvironmentFacts): [string, string | null][] => [
    ['python', e.resolved?.pythonVersion ?? e.python?.version ?? null],
    ['os', `${e.os.type} ${e.os.release} (${e.os.platform})`],
    ['arch', e.arch],
    ['cpu', `${e.cpu.model} × ${e.cpu.cores}`],
    ['gpus', e.gpus.length ? e.gpus.map((g) => `${g.name}${g.driver ? ` (driver ${g.driver})` : ''}`).join(', ') : 'none'],
    ['image', e.image ? `${e.image.ref}${e.image.digest ? `@${e.image.digest}` : ''}` : null],
    ['reprise', e.repriseVersion],
  ];
  const fb = new Map(facts(b.environment));
  for (const [what, va] of facts(a.environment)) {
    const vb = fb.get(what) ?? null;
    if (va !== vb) out.push({ what, original: va, reproduction: vb });
  }
  if (a.lock !== null && b.lock !== null) {
    const [pa, pb] = [lockPins(a.lock), lockPins(b.lock)];
    for (const name of union([...pa.keys()], [...pb.keys()])) {
      const [va, vb] = [pa.get(name) ?? null, pb.get(name) ?? null];
      if (va !== vb) out.push({ what: `package ${name}`, original: va, reproduction: vb });
    }
  }
  return out;
}

/** `name==version` lines of a pip freeze, by normalized name (PEP 503); other lines by their text. */
export function lockPins(freeze: string): Map<string, string> {
  const pins = new Map<string, string>();
  for (const raw of freeze.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:==|@)\s*(.+)$/.exec(line);
    if (m) pins.set(m[1]!.toLowerCase().replace(/[-_.]+/g, '-'), m[2]!.trim());
    else pins.set(line, line);
  }
  return pins;
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}
