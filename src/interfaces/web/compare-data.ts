/**
 * What the compare page works out from runs, apart from drawing: which values differ,
 * the best value per metric, artifacts by hash, environment facts and installed packages
 * (from `pip freeze` locks) side by side.
 */
import type { Artifact, RunManifest } from './api.js';
import { isBetter, type MetricGoal } from '../../core/metric-goal.js';
import { formatBytes, formatNumber } from './format.js';

/** One value per run; undefined where a run has none. */
export type Cells<T> = readonly (T | undefined)[];

function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || a === b;
  if (a === undefined || b === undefined) return a === b;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Whether the runs disagree; a run without the value disagrees with one that has it. */
export function valuesDiffer(values: Cells<unknown>): boolean {
  return values.some((v) => !sameValue(v, values[0]));
}

/** Every key of any run, sorted. */
export function unionKeys(records: readonly Readonly<Record<string, unknown>>[]): string[] {
  return [...new Set(records.flatMap((r) => Object.keys(r)))].sort((a, b) => a.localeCompare(b));
}

/** The keys every run has, in sorted order. */
export function sharedKeys(lists: readonly (readonly string[])[]): string[] {
  if (lists.length === 0) return [];
  return [...lists[0]!].filter((k) => lists.every((l) => l.includes(k))).sort((a, b) => a.localeCompare(b));
}

/** The runs holding the best value (ties share it); none when no value is a number. */
export function bestIndexes(values: Cells<number>, goal: MetricGoal): number[] {
  let best: number | undefined;
  for (const v of values) if (v !== undefined && isBetter(goal, v, best)) best = v;
  if (best === undefined) return [];
  return values.flatMap((v, i) => (v === best ? [i] : []));
}

/** A value against a baseline, signed: "+0.012", "-3", "±0"; '' when either is not a number. */
export function formatDelta(value: number | undefined, base: number | undefined): string {
  if (value === undefined || base === undefined || !Number.isFinite(value) || !Number.isFinite(base)) return '';
  const d = value - base;
  if (d === 0) return '±0';
  return `${d > 0 ? '+' : '-'}${formatNumber(Math.abs(d), 3)}`;
}

/* Packages */

/** Package name as pip compares them: case and the runs of -_. do not matter. */
export function packageName(name: string): string {
  return name.trim().toLowerCase().replace(/[-_.]+/g, '-');
}

/**
 * `pip freeze` output as name → version. Pinned lines (`numpy==1.26.4`) give the version;
 * direct references (`pkg @ file:///…`) and editable installs (`-e git+…#egg=pkg`) give
 * where they came from, which is what tells two of them apart.
 */
export function parseFreeze(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (!line || line.startsWith('#')) continue;
    const editable = /^(?:-e|--editable)\s+(\S+)$/.exec(line);
    if (editable) {
      const egg = /[#&]egg=([^&]+)/.exec(editable[1]!);
      out.set(packageName(egg ? egg[1]! : editable[1]!), `editable ${editable[1]}`);
      continue;
    }
    if (line.startsWith('-')) continue;
    const pinned = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*===?\s*(\S+)/.exec(line);
    if (pinned) {
      out.set(packageName(pinned[1]!), pinned[2]!);
      continue;
    }
    const direct = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*@\s*(\S+)/.exec(line);
    if (direct) out.set(packageName(direct[1]!), direct[2]!);
  }
  return out;
}

export interface PackageRow {
  readonly name: string;
  /** Per run: the version, undefined where the package is not installed. */
  readonly versions: Cells<string>;
}

/**
 * The packages whose versions are not the same in every run, sorted by name. Runs without
 * a known lock (null) are left out of the comparison and show no version.
 */
export function packageDifferences(locks: readonly (ReadonlyMap<string, string> | null)[]): PackageRow[] {
  const known = locks.filter((l): l is ReadonlyMap<string, string> => l !== null);
  const names = [...new Set(known.flatMap((l) => [...l.keys()]))].sort((a, b) => a.localeCompare(b));
  return names
    .map((name) => ({ name, versions: locks.map((l) => l?.get(name)), compared: known.map((l) => l.get(name)) }))
    .filter((row) => valuesDiffer(row.compared))
    .map(({ name, versions }) => ({ name, versions }));
}

/* Artifacts */

export type ArtifactState = 'same' | 'differs' | 'missing';

export interface ArtifactRow {
  readonly path: string;
  readonly files: Cells<Artifact>;
  readonly state: ArtifactState;
  /** Indexes of the runs without the file. */
  readonly missingIn: number[];
}

/** Every artifact path of any run, and whether its content (by sha256) is the same everywhere. */
export function artifactRows(runs: readonly (readonly Artifact[])[]): ArtifactRow[] {
  const byPath = runs.map((list) => new Map(list.map((a) => [a.path, a])));
  const paths = [...new Set(runs.flatMap((list) => list.map((a) => a.path)))].sort((a, b) => a.localeCompare(b));
  return paths.map((path) => {
    const files = byPath.map((m) => m.get(path));
    const missingIn = files.flatMap((f, i) => (f === undefined ? [i] : []));
    const state: ArtifactState = missingIn.length > 0 ? 'missing' : valuesDiffer(files.map((f) => f!.sha256)) ? 'differs' : 'same';
    return { path, files, state, missingIn };
  });
}

/** The state of an artifact row in words, naming runs that lack the file. */
export function artifactStateWords(row: ArtifactRow, runNames: readonly string[]): string {
  if (row.state === 'same') return 'same in all';
  if (row.state === 'differs') return 'differs';
  return `missing in ${row.missingIn.map((i) => runNames[i] ?? '?').join(', ')}`;
}

/* Environment */

export interface EnvRow {
  readonly key: string;
  readonly label: string;
  /** Per run, in words; undefined where it is not known. */
  readonly values: Cells<string>;
  /** How a long value (a hash) shows; the full value goes in a tooltip. */
  readonly short?: (value: string) => string;
}

type Facts = NonNullable<RunManifest['environment']>;
type Code = NonNullable<RunManifest['code']>;
type Fact = (m: RunManifest) => string | undefined;

/** What a cell says of a fact a run did not record (one logged through the MLflow client). */
export const NOT_RECORDED = 'not recorded';

/** A fact of the machine and environment; `not recorded` for a run that recorded none. */
const ofEnv = (fact: (e: Facts) => string | undefined): Fact => (m) => (m.environment ? fact(m.environment) : NOT_RECORDED);
/** A fact of the code; `not recorded` for a run that recorded none. */
const ofCode = (fact: (c: Code) => string | undefined): Fact => (m) => (m.code ? fact(m.code) : NOT_RECORDED);

/** Hashes inside a value cut to `length` characters. */
const hashesTo = (length: number) => (value: string) => value.replace(/\b[0-9a-f]{32,}\b/g, (h) => h.slice(0, length));

const ENV_FACTS: readonly { key: string; label: string; fact: Fact; short?: (value: string) => string }[] = [
  { key: 'python', label: 'Python version', fact: ofEnv((e) => e.python?.version ?? e.resolved?.pythonVersion) },
  { key: 'os', label: 'Operating system', fact: ofEnv((e) => `${e.os.type} ${e.os.release}`) },
  { key: 'arch', label: 'Architecture', fact: ofEnv((e) => e.arch) },
  { key: 'cpu', label: 'CPU', fact: ofEnv((e) => e.cpu.model) },
  { key: 'cores', label: 'CPU cores', fact: ofEnv((e) => String(e.cpu.cores)) },
  { key: 'memory', label: 'Memory', fact: ofEnv((e) => formatBytes(e.memoryBytes)) },
  {
    key: 'gpus',
    label: 'GPUs',
    fact: ofEnv((e) => (e.gpus.length === 0 ? 'none' : e.gpus.map((g) => (g.memoryMiB === null ? g.name : `${g.name} (${formatBytes(g.memoryMiB * 1024 * 1024)})`)).join(', '))),
  },
  { key: 'image', label: 'Container image', fact: ofEnv((e) => (e.image ? `${e.image.ref}${e.image.digest ? `@${e.image.digest}` : ''}` : 'none')) },
  { key: 'envHash', label: 'Environment hash', fact: ofEnv((e) => (e.resolved ? (e.resolved.hash ?? 'system interpreter') : undefined)), short: hashesTo(12) },
  { key: 'pip', label: 'pip version', fact: ofEnv((e) => e.resolved?.pipVersion ?? undefined) },
  { key: 'commit', label: 'Code commit', fact: ofCode((c) => (c.kind === 'git' ? c.commit : `folder snapshot ${c.snapshot.sha256}`)), short: hashesTo(7) },
  { key: 'branch', label: 'Branch', fact: ofCode((c) => (c.kind === 'git' ? (c.branch ?? 'detached') : undefined)) },
  { key: 'dirty', label: 'Uncommitted changes', fact: ofCode((c) => (c.kind === 'git' ? (c.dirty ? `yes (${c.changedFiles.length} files)` : 'no') : undefined)) },
];

/** The environment facts of each run, one row per fact. */
export function envRows(manifests: readonly RunManifest[]): EnvRow[] {
  return ENV_FACTS.map(({ key, label, fact, short }) => ({
    key,
    label,
    values: manifests.map((m) => fact(m)),
    ...(short === undefined ? {} : { short }),
  }));
}

/** The lock (`pip freeze`) blob of a run, if its environment was prepared. */
export function lockOf(m: RunManifest): string | null {
  return m.environment?.resolved?.lock.sha256 ?? null;
}

/** The code a run ran, short: a 7-character commit, that it was a folder snapshot, or that none was recorded. */
export function shortCode(m: RunManifest): string {
  if (!m.code) return NOT_RECORDED;
  return m.code.kind === 'git' ? m.code.commit.slice(0, 7) : 'folder snapshot';
}
