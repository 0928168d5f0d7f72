import { describe, expect, it } from 'vitest';
import { EventDecoder, legacyHistogram } from './event-decoder.js';
import { fileVersionRecord, histogramRecord, scalarRecord, sessionEndRecord, sessionStartRecord, textRecord } from './event-encoder.js';
import { EventHarvest } from './event-harvest.js';
import { scanRecords } from './record-frame.js';

const hex = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');

function harvestOf(file: Buffer, decoder = new EventDecoder()) {
  const h = new EventHarvest();
  scanRecords(file, true, (p) => decoder.decode(p, h));
  return h.take();
}

describe('event decoding', () => {
  it('reads a simple-value scalar (vector B) with its step and time', () => {
    const h = new EventHarvest();
    new EventDecoder().decode(hex('0900006040fc54d94110072a0d0a0b0a046c6f7373150000803e'), h);
    const m = h.take().metrics;
    expect(m).toHaveLength(1);
    expect(m[0]!.key).toBe('loss');
    expect([...m[0]!.steps, ...m[0]!.values, ...m[0]!.ts]).toEqual([7, 0.25, 1700000001500]);
  });

  it('reads a TF2 scalar tensor (vector C) and a TF2 histogram tensor (vector D)', () => {
    const h = new EventHarvest();
    const d = new EventDecoder();
    d.decode(hex('0900008040fc54d9411003 2a20 0a1e 0a03616363 420a 0801 1200 2204 0000003f 4a0b 0a09 0a077363616c617273'), h);
    d.decode(
      hex(
        `090000c040fc54d941 1004 2a55 0a53 0a0168 423e 0802 1208 1202 0802 1202 0803 2230
         0000000000000000 000000000000f03f 0000000000000840 000000000000f03f 0000000000000040 000000000000f03f
         4a0e 0a0c 0a0a686973746f6772616d73`,
      ),
      h,
    );
    const got = h.take();
    expect(got.metrics.map((m) => [m.key, m.steps[0], m.values[0]])).toEqual([['acc', 3, 0.5]]);
    expect(got.histograms).toHaveLength(1);
    expect(got.histograms[0]!.key).toBe('h');
    expect([...got.histograms[0]!.points[0]!.buckets]).toEqual([0, 1, 3, 1, 2, 1]);
    expect(got.histograms[0]!.points[0]!.step).toBe(4);
  });

  it("applies a tag's first metadata to its later values, as TensorBoard does", () => {
    const first = hex('0900008040fc54d9411003 2a20 0a1e 0a03616363 420a 0801 1200 2204 0000003f 4a0b 0a09 0a077363616c617273');
    // The same tag at step 4 without metadata: TF1 writes metadata only once.
    const later = hex('0900008040fc54d9411004 2a13 0a11 0a03616363 420a 0801 1200 2204 0000803f');
    const d = new EventDecoder();
    const h = new EventHarvest();
    d.decode(first, h);
    d.decode(later, h);
    expect([...h.take().metrics[0]!.values]).toEqual([0.5, 1]);
    // Without the first, the tensor has no plugin and is not kept.
    const alone = new EventHarvest();
    new EventDecoder().decode(later, alone);
    expect(alone.take()).toMatchObject({ metrics: [], skipped: { 'a tensor without plugin metadata': 1 } });
  });

  it('turns a legacy histogram into rows, dropping the empty padding at both ends', () => {
    // tensorboardX: one empty bucket whose limit is the first bin's left edge, then the bins.
    const p = legacyHistogram({ min: -0.5, max: 2.5, num: 4, sum: 4, sum_squares: 8.5, bucket_limit: [-1, 0, 1, 2, 3, 4], bucket: [0, 1, 0, 2, 1, 0] }, 2, 10);
    expect([...p.buckets]).toEqual([-1, 0, 1, 0, 1, 0, 1, 2, 2, 2, 3, 1]);
    expect(p.stats).toEqual({ min: -0.5, max: 2.5, count: 4, sum: 4, sumSquares: 8.5 });
    // TF1 ends with a ±DBL_MAX bucket: its edge is replaced by the data's extreme.
    const tf1 = legacyHistogram({ min: 5, max: 9, num: 2, bucket_limit: [5.5, 1.7976931348623157e308], bucket: [1, 1] }, 0, 0);
    expect([...tf1.buckets]).toEqual([5, 5.5, 1, 5.5, 9, 1]);
  });
});

describe('event encoding', () => {
  it('writes scalars, histograms, text and hparams that read back the same', () => {
    const buckets = Float64Array.from([-1, 0, 2, 0, 1.5, 5]);
    const file = Buffer.concat([
      fileVersionRecord(1_700_000_000_000),
      sessionStartRecord({ lr: 0.01, optimizer: 'adam', deep: true, missing: null }, 'run-1', 1_700_000_000_000),
      scalarRecord('train/loss', 0, 1_700_000_000_100, 0.5),
      scalarRecord('train/loss', 3_000_000_000, 1_700_000_000_200, NaN),
      histogramRecord('weights', { step: 5, ts: 1_700_000_000_300, buckets, stats: null }),
      textRecord('notes', 1, 1_700_000_000_400, 'some **markdown**, ünïcode'),
      sessionEndRecord('failure', 1_700_000_000_500),
    ]);
    const got = harvestOf(file);
    expect(got.metrics).toHaveLength(1);
    expect([...got.metrics[0]!.steps]).toEqual([0, 3_000_000_000]);
    expect(got.metrics[0]!.values[0]).toBe(0.5);
    expect(got.metrics[0]!.values[1]).toBeNaN();
    expect([...got.histograms[0]!.points[0]!.buckets]).toEqual([...buckets]);
    expect(got.notes).toEqual([{ key: 'notes', step: 1, ts: 1_700_000_000_400, text: 'some **markdown**, ünïcode' }]);
    expect(got.params).toEqual({ lr: 0.01, optimizer: 'adam', deep: true, missing: null });
    expect(got.sessionEnd).toEqual({ status: 'failure', ts: 1_700_000_000_500 });
    expect([got.firstTs, got.lastTs]).toEqual([1_700_000_000_000, 1_700_000_000_400]);
  });

  it('matches the reference bytes of a simple-value scalar (vector B)', () => {
    expect(scalarRecord('loss', 7, 1_700_000_001_500, 0.25).toString('hex')).toBe('1a00000000000000129bd82d0900006040fc54d94110072a0d0a0b0a046c6f7373150000803ebf9017bf');
  });

  it('keeps runs in subdirectories apart by a key prefix', () => {
    const h = new EventHarvest();
    const d = new EventDecoder();
    scanRecords(scalarRecord('loss', 1, 1000, 1), true, (p) => d.decode(p, h));
    h.setRun('eval');
    scanRecords(scalarRecord('loss', 1, 1000, 2), true, (p) => d.decode(p, h));
    expect(h.take().metrics.map((m) => m.key)).toEqual(['loss', 'eval/loss']);
  });
});
