import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileVersionRecord, scalarRecord, textRecord } from '../core/tfevents/event-encoder.js';
import { EventHarvest } from '../core/tfevents/event-harvest.js';
import { EventLogReader } from './event-log-reader.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function logdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'reprise-tb-'));
  dirs.push(d);
  return d;
}

describe('EventLogReader', () => {
  it('reads a file as it grows, a record split between two reads taken once, whole', async () => {
    const dir = logdir();
    const file = join(dir, 'events.out.tfevents.1700000000.host');
    const third = scalarRecord('loss', 2, 3000, 0.25);
    writeFileSync(file, Buffer.concat([fileVersionRecord(1000), scalarRecord('loss', 1, 2000, 0.5), third.subarray(0, 10)]));
    const reader = new EventLogReader(dir);
    const h = new EventHarvest();
    await reader.read(h, false);
    expect([...h.take().metrics[0]!.steps]).toEqual([1]);
    appendFileSync(file, third.subarray(10));
    await reader.read(h, false);
    expect([...h.take().metrics[0]!.values]).toEqual([0.25]);
    expect(reader.report()).toEqual({ files: 1, records: 3, skipped: 0, examples: [] });
  });

  it('reads a record larger than one read, and names a torn end once the writers are done', async () => {
    const dir = logdir();
    mkdirSync(join(dir, 'eval'));
    const big = 'x'.repeat(6 * 1024 * 1024);
    const file = join(dir, 'eval', 'events.out.tfevents.1700000000.host');
    writeFileSync(file, Buffer.concat([textRecord('log', 0, 1000, big), scalarRecord('loss', 1, 2000, 1), scalarRecord('loss', 2, 3000, 2).subarray(0, 20)]));
    const reader = new EventLogReader(dir);
    const h = new EventHarvest();
    await reader.read(h, false);
    let got = h.take();
    expect(got.notes.map((n) => [n.key, n.text.length])).toEqual([['eval/log', 65_536]]);
    expect(got.metrics.map((m) => m.key)).toEqual(['eval/loss']);
    expect(reader.report().skipped).toBe(0);
    await reader.read(h, true);
    got = h.take();
    expect(got.metrics).toEqual([]);
    expect(reader.report()).toMatchObject({ records: 2, skipped: 1, examples: [{ file: 'eval/events.out.tfevents.1700000000.host', problem: expect.stringMatching(/torn/) }] });
  });
});
