#!/usr/bin/env node
// Garbage collection over a store of 10,000 finished runs with 10 artifacts each: a
// third failed a month ago (due), the rest passed their gates (kept). Every run's model
// folder holds one file all runs share, so gc has references to count. Timed: `reprise
// gc --dry-run` and `reprise gc` as a user runs them (the CLI, on the store under
// REPRISE_HOME), with what each reported. No target: figures to watch.
//
// The records are written with the store's own API (one transaction per run); the blob
// files are written straight into the blob folder's layout, since filling the store is
// not what is measured.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from './lib.mjs';
import { dist, int, mib, ms, now, recordFactory, scaled, tempHome } from './server-lib.mjs';

const RUNS = scaled(10_000, 100);
const FILES = 10;
const BYTES = 2048;
const DAY = 86_400_000;

const [{ SqliteMetadataStore }] = await Promise.all([dist('adapters/metadata-store/sqlite/sqlite-metadata-store.js')]);
const runRecord = await recordFactory();
const { execFileSync } = await import('node:child_process');

const { home, cleanup } = tempHome('gc');
const store = new SqliteMetadataStore({ path: join(home, 'reprise.db') });
await store.init();
const blobDir = join(home, 'blobs', 'sha256');

function blob(text) {
  const bytes = Buffer.alloc(BYTES, text);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const dir = join(blobDir, sha256.slice(0, 2));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, sha256), bytes);
  return { sha256, size: bytes.length };
}

const t0 = now();
const shared = blob('shared model file');
const started = Date.now() - 40 * DAY;
let due = 0;
for (let i = 0; i < RUNS; i++) {
  const failed = i % 3 === 0;
  if (failed) due++;
  const createdAt = started + i * 1000;
  const artifacts = [{ path: 'model/shared.bin', ...shared }];
  for (let f = 1; f < FILES; f++) artifacts.push({ path: `outputs/part-${f}.bin`, ...blob(`run ${i} file ${f}`) });
  const r = runRecord({ status: failed ? 'failed' : 'succeeded', createdAt, endedAt: createdAt + 500 }, { check: false });
  const gate = failed ? undefined : { status: 'passed', evaluatedAt: createdAt + 500, results: [] };
  const run = { ...r, manifest: { ...r.manifest, status: r.status, outputs: { ...r.manifest.outputs, artifacts, ...(gate ? { gate } : {}) } } };
  await store.importRun({ run, params: {}, tags: {}, artifacts, metrics: [] });
}
await store.close();
console.log(`store: ${int(RUNS)} runs, ${int(RUNS * (FILES - 1) + 1)} blobs of ${int(BYTES)} bytes, ${int(due)} runs failed 40 days ago (made in ${ms((now() - t0) / 1000)} s)`);

function gc(args) {
  const t = now();
  const out = execFileSync(process.execPath, [BIN, 'gc', '--json', '--grace', '0', ...args], { env: { ...process.env, REPRISE_HOME: home }, stdio: ['ignore', 'pipe', 'ignore'] });
  return { ms: now() - t, report: JSON.parse(out.toString('utf8')) };
}

const dry = gc(['--dry-run']);
console.log(`reprise gc --dry-run: ${ms(dry.ms)} ms · would free ${int(dry.report.blobsFreed)} blobs (${mib(dry.report.bytesFreed)} MiB) of ${int(dry.report.runsCollected.length)} runs, ${int(dry.report.blobsShared)} shared kept`);
const real = gc([]);
console.log(
  `reprise gc:           ${ms(real.ms)} ms · freed ${int(real.report.blobsFreed)} blobs (${mib(real.report.bytesFreed)} MiB) of ${int(real.report.runsCollected.length)} runs, ` +
    `${int(real.report.blobsShared)} shared kept; ${int(real.report.blobsFreed / (real.ms / 1000))} blobs/s`,
);
const again = gc([]);
console.log(`reprise gc again:     ${ms(again.ms)} ms · freed ${int(again.report.blobsFreed)} (nothing left to do)`);
cleanup();
const ok = real.report.blobsFreed === due * (FILES - 1) && real.report.blobsShared === 1 && again.report.blobsFreed === 0;
if (!ok) {
  console.log('UNEXPECTED: the figures above do not add up');
  process.exitCode = 1;
}
