#!/usr/bin/env node
// Drift scoring at production scale, in this one process (single thread): a reference
// profile of 50 numeric features made from 100,000 training rows, then a window of
// 1,000,000 request rows x 50 features scored against it, half the features shifted by
// one standard deviation (so half must come out drifted, and do: checked).
//   (a) the columns already apart, one Float64Array a feature: scoreNumbers on each;
//   (b) the window as the monitor holds it, one list of 50 values a request row, with a
//       numeric prediction each: scoreWindow, which first turns the rows into columns
//       (timed apart as well).
// Target: under 10 s for (b), the realistic path, on a 2-core machine.
import { loadavg } from 'node:os';
import { dist, int, median, ms, now, scaled, SCALE, verdict } from './server-lib.mjs';

const TARGET_MS = 10_000;
const FEATURES = 50;
const REF_ROWS = scaled(100_000, 1000);
const ROWS = scaled(1_000_000, 10_000);
const ROUNDS = 3;
const SHIFT_STD = 1;

const [{ profileColumns, profileNumbers, featureColumns }, { scoreNumbers, scoreWindow }, { DEFAULT_MONITOR_SETTINGS }, { seededRandom }] = await Promise.all([
  dist('core/feature-profile.js'),
  dist('core/drift.js'),
  dist('core/model-monitoring.js'),
  dist('core/seeded-random.js'),
]);
const thresholds = DEFAULT_MONITOR_SETTINGS.thresholds;

/** Standard normal draws from a seed: the same data every run. */
const normals = (seed) => seededRandom(seed).normal;

// Feature j: mean j, standard deviation 1 + j/10; the second half shifted in production.
const meanOf = (j) => j;
const stdOf = (j) => 1 + j / 10;
const shifted = (j) => j >= FEATURES / 2;

function column(n, j, seed, shift) {
  const next = normals(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = meanOf(j) + stdOf(j) * (next() + shift);
  return out;
}

const timedSync = (rounds, fn) => {
  const times = [];
  let last;
  for (let i = 0; i < rounds; i++) {
    const t = now();
    last = fn();
    times.push(now() - t);
  }
  return { median: median(times), last };
};

function checkDrifted(features, what) {
  const wrong = features.filter((f, j) => f.drifted !== shifted(j));
  if (wrong.length > 0) throw new Error(`${what}: ${wrong.map((f) => `${f.feature} drifted=${f.drifted} (psi ${f.psi}, ks ${f.ks})`).join('; ')}`);
}

console.log(
  `drift: a reference of ${FEATURES} numeric features from ${int(REF_ROWS)} rows, a window of ${int(ROWS)} rows x ${FEATURES} features, half shifted by ${SHIFT_STD} std, one thread` +
    `${SCALE !== 1 ? `, BENCH_SCALE=${SCALE}` : ''} (load average ${loadavg()[0].toFixed(2)})`,
);

const train = Array.from({ length: FEATURES }, (_, j) => ({ name: `f${j}`, values: column(REF_ROWS, j, 1000 + j, 0) }));
const targetValues = column(REF_ROWS, 0, 999, 0);
const profiled = timedSync(ROUNDS, () => profileColumns(train));
const reference = { features: profiled.last, target: profileNumbers('y', targetValues), rows: REF_ROWS, source: { data: 'bench', contentHash: 'none' } };
console.log(`  reference profile of ${int(REF_ROWS)} rows x ${FEATURES} features (sort, percentiles, bins): ${ms(profiled.median)} ms median of ${ROUNDS}`);

// (a) Columns apart.
const columns = Array.from({ length: FEATURES }, (_, j) => column(ROWS, j, 2000 + j, shifted(j) ? SHIFT_STD : 0));
const scored = timedSync(ROUNDS, () => reference.features.map((f, j) => scoreNumbers(f, columns[j], thresholds)));
checkDrifted(scored.last, 'scoreNumbers');
const values = ROWS * FEATURES;
console.log(
  `  (a) scoreNumbers over ${FEATURES} columns of ${int(ROWS)} values: ${ms(scored.median)} ms median of ${ROUNDS} ` +
    `(${int(values / (scored.median / 1000) / 1e6)} million values/s; ${scored.last.filter((f) => f.drifted).length} of ${FEATURES} features drifted, as shifted)`,
);

// (b) Request rows, as the monitor reads them from its samples: one list a row.
const rows = new Array(ROWS);
for (let i = 0; i < ROWS; i++) {
  const row = [];
  for (let j = 0; j < FEATURES; j++) row.push(columns[j][i]);
  rows[i] = row;
}
const outputs = Array.from(column(ROWS, 0, 3000, 0));
columns.length = 0;
const transposed = timedSync(ROUNDS, () => featureColumns(rows, reference));
const window = timedSync(ROUNDS, () => scoreWindow(reference, rows, outputs, thresholds));
checkDrifted(window.last.features, 'scoreWindow');
if (window.last.rows !== ROWS || window.last.prediction?.drifted !== false) throw new Error(`scoreWindow: ${window.last.rows} rows, prediction ${JSON.stringify(window.last.prediction)}`);
console.log(`  (b) scoreWindow over ${int(ROWS)} row lists of ${FEATURES} values and their predictions: ${ms(window.median)} ms median of ${ROUNDS}  target < ${int(TARGET_MS)} ms: ${verdict(window.median < TARGET_MS)}`);
console.log(`      of which rows into columns (featureColumns): ${ms(transposed.median)} ms`);
