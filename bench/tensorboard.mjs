#!/usr/bin/env node
// TensorBoard event files: a file of 1,000,000 scalar points (10 tags x 100,000 steps,
// one simple value per record, as PyTorch and tensorboardX write them), then
// - read: every record framed, both CRC32C checks, decoded and gathered into metric
//   columns (what ingestion does before storing), median of 5 after one of warm-up
//   (target: over 1,000,000 points per second);
// - ingest: the same read, then stored into a run of a new SQLite store (what a run's
//   TensorBoard folder costs), in-process, median of 3;
// - import: `reprise import-tb` of the file into a new SQLite store, end to end (a new
//   process: its start included);
// - write: `reprise tensorboard` of that run back into event files, end to end; and the
//   encoder alone (records framed and written to a file).
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN } from './lib.mjs';
import { BENCH_TMP, dist, int, median, mib, now, recordFactory, scaled, SCALE, tempHome, verdict } from './server-lib.mjs';

const TARGET_READ = 1_000_000;
const TAGS = 10;
const POINTS = scaled(1_000_000, 10_000);
const STEPS = Math.ceil(POINTS / TAGS);

const [{ fileVersionRecord, scalarRecord, eventFileName }, { EventHarvest }, { EventLogReader }, { storeHarvest }, { SqliteMetadataStore }] = await Promise.all([
  dist('core/tfevents/event-encoder.js'),
  dist('core/tfevents/event-harvest.js'),
  dist('services/event-log-reader.js'),
  dist('services/tensorboard-tailer.js'),
  dist('adapters/metadata-store/sqlite/sqlite-metadata-store.js'),
]);
const runRecord = await recordFactory();

const rate = (n, msTaken) => `${int((n / msTaken) * 1000)} points/s`;
const { home, cleanup } = tempHome('tensorboard');
try {
  console.log(`${int(POINTS)} scalars in one event file, under ${BENCH_TMP}${SCALE !== 1 ? `, BENCH_SCALE=${SCALE}` : ''} (load average ${loadavg()[0].toFixed(2)})`);
  const logdir = join(home, 'tb', 'train');
  mkdirSync(logdir, { recursive: true });
  const file = join(logdir, eventFileName(1_700_000_000_000, 'bench', 1, 0));

  const tEnc = now();
  let parts = [fileVersionRecord(1_700_000_000_000)];
  let written = 0;
  for (let step = 0; step < STEPS && written < POINTS; step++) {
    for (let t = 0; t < TAGS && written < POINTS; t++, written++) {
      parts.push(scalarRecord(`metric_${t}`, step, 1_700_000_000_000 + step * 10, Math.exp(-step / 50_000) + t));
    }
  }
  writeFileSync(file, Buffer.concat(parts));
  const encMs = now() - tEnc;
  // A million records held would make every later collection of garbage slower: not what a reader has.
  parts = null;
  const bytes = statSync(file).size;
  console.log(`encode and write: ${rate(written, encMs)} (${encMs.toFixed(0)} ms, ${mib(bytes)} MiB)`);

  const reads = [];
  let points = 0;
  for (let i = 0; i < 6; i++) {
    const t = now();
    const harvest = new EventHarvest();
    await new EventLogReader(join(home, 'tb')).read(harvest, true);
    points = harvest.take().metrics.reduce((n, m) => n + m.steps.length, 0);
    // The first read compiles the code path: it is not what a long ingestion costs.
    if (i > 0) reads.push(now() - t);
  }
  if (points !== written) throw new Error(`read ${points} points, wrote ${written}`);
  const readMs = median(reads);
  const readRate = (points / readMs) * 1000;
  console.log(`read (framing, CRC32C checks, decoding, columns): ${rate(points, readMs)} (median ${readMs.toFixed(0)} ms of 5, after a warm-up; ${(bytes / 2 ** 20 / (readMs / 1000)).toFixed(0)} MiB/s) target over ${int(TARGET_READ)} points/s: ${verdict(readRate > TARGET_READ)}`);

  const ingests = [];
  for (let i = 0; i < 3; i++) {
    const store = new SqliteMetadataStore({ path: join(home, `ingest-${i}.db`) });
    await store.init();
    const run = runRecord({ status: 'running' });
    await store.createRun(run);
    const t = now();
    const harvest = new EventHarvest();
    await new EventLogReader(join(home, 'tb')).read(harvest, true);
    await storeHarvest(store, run.id, harvest.take());
    ingests.push(now() - t);
    await store.close();
  }
  console.log(`ingest into a run of a SQLite store (read as above, then stored): ${rate(points, median(ingests))} (median ${median(ingests).toFixed(0)} ms of 3)`);

  const env = { ...process.env, REPRISE_HOME: join(home, 'store') };
  for (const k of Object.keys(env)) if (k.startsWith('REPRISE_') && k !== 'REPRISE_HOME') delete env[k];
  const cli = (args) => {
    const t = now();
    const res = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
    if (res.status !== 0) throw new Error(`reprise ${args.join(' ')} failed:\n${res.stderr}`);
    return { ms: now() - t, json: JSON.parse(res.stdout) };
  };
  const imp = cli(['import-tb', join(home, 'tb'), '--project', 'bench', '--json']);
  const run = imp.json.imported[0];
  console.log(`reprise import-tb into SQLite, end to end: ${rate(run.scalars, imp.ms)} (${imp.ms.toFixed(0)} ms for ${int(run.scalars)} points)`);
  const out = cli(['tensorboard', run.id, '--logdir', join(home, 'out'), '--json']);
  console.log(`reprise tensorboard back to event files, end to end: ${rate(out.json.runs[0].scalars, out.ms)} (${out.ms.toFixed(0)} ms)`);
  if (!(readRate > TARGET_READ)) process.exitCode = 1;
} finally {
  cleanup();
}
