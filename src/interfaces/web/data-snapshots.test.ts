/** How the data pages group the runs' reads of a table into the snapshots they read. */
import { describe, expect, it } from 'vitest';
import type { DataRead } from './api.js';
import { groupSnapshots, runCount } from './data-snapshots.js';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);

function read(runId: string, asOf: number, contentHash: string | null, extra: Partial<DataRead> = {}): DataRead {
  return {
    runId,
    runName: `run-${runId}`,
    project: 'p',
    status: 'succeeded',
    createdAt: asOf + 10,
    name: 'train',
    asOf,
    rows: contentHash === null ? null : 5,
    contentHash,
    ...extra,
  };
}

const shape = (reads: readonly DataRead[]) =>
  groupSnapshots(reads).map((s) => ({ asOf: s.asOf, hash: s.contentHash, rows: s.rows, runs: s.reads.map((r) => `${r.runId}:${r.name}`) }));

describe('groupSnapshots', () => {
  it('makes one snapshot of the runs that read the same rows as of the same time', () => {
    expect(shape([read('r1', 1000, HASH_A), read('r2', 1000, HASH_A, { createdAt: 2000 })])).toEqual([{ asOf: 1000, hash: HASH_A, rows: 5, runs: ['r2:train', 'r1:train'] }]);
  });

  it('keeps apart what differs in time or in content, newest time first', () => {
    const reads = [read('r1', 1000, HASH_A), read('r2', 3000, HASH_A), read('r3', 1000, HASH_B, { rows: 2 })];
    expect(shape(reads)).toEqual([
      { asOf: 3000, hash: HASH_A, rows: 5, runs: ['r2:train'] },
      { asOf: 1000, hash: HASH_A, rows: 5, runs: ['r1:train'] },
      { asOf: 1000, hash: HASH_B, rows: 2, runs: ['r3:train'] },
    ]);
  });

  it('groups reads not materialized yet as pending, after the materialized ones of the same time', () => {
    const reads = [read('r1', 1000, null), read('r2', 1000, HASH_A), read('r3', 1000, null, { createdAt: 5000, name: 'test' })];
    const snapshots = groupSnapshots(reads);
    expect(shape(reads)).toEqual([
      { asOf: 1000, hash: HASH_A, rows: 5, runs: ['r2:train'] },
      { asOf: 1000, hash: null, rows: null, runs: ['r3:test', 'r1:train'] },
    ]);
    expect(snapshots.map((s) => s.key)).toEqual([`1000:${HASH_A}`, '1000:pending']);
  });

  it('counts a run that read the same rows under two names once', () => {
    const [snapshot] = groupSnapshots([read('r1', 1000, HASH_A, { name: 'train' }), read('r1', 1000, HASH_A, { name: 'eval' }), read('r2', 1000, HASH_A)]);
    expect(snapshot!.reads).toHaveLength(3);
    expect(runCount(snapshot!)).toBe(2);
  });

  it('gives nothing for no reads', () => {
    expect(groupSnapshots([])).toEqual([]);
  });
});
