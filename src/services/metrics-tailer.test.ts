import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteMetadataStore } from '../adapters/metadata-store/sqlite/sqlite-metadata-store.js';
import { pointsOf } from '../core/metric-series.js';
import { makeRunRecord } from '../ports/metadata-store.contract.js';
import { METRICS_POLL_MS, MetricsTailer, type MetricProblem } from './metrics-tailer.js';

/** Long enough for the tailer to have polled the file at least twice. */
const SETTLE_MS = METRICS_POLL_MS * 2 + 200;

describe('MetricsTailer', () => {
  let dir: string;
  let file: string;
  let store: SqliteMetadataStore;
  let runId: string;
  let problems: MetricProblem[];
  let tailer: MetricsTailer;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reprise-tailer-'));
    file = join(dir, 'metrics.jsonl');
    store = new SqliteMetadataStore({ path: join(dir, 'reprise.db') });
    await store.init();
    const run = makeRunRecord();
    await store.createRun(run);
    runId = run.id;
    problems = [];
    tailer = new MetricsTailer({ path: file, store, runId, onProblem: (p) => problems.push(p) });
  });

  afterEach(async () => {
    await tailer.stop().catch(() => undefined);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const series = async (key: string): Promise<[number, number][]> =>
    pointsOf(key, await store.metricSeries(runId, key)).map((p) => [p.step, p.value]);

  /** Polls the store until `key` has `n` points, so tests do not depend on exact timing. */
  async function waitForPoints(key: string, n: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    while ((await store.metricSeries(runId, key)).steps.length < n) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} points of ${key}`);
      await sleep(50);
    }
  }

  it('stores lines as they are appended, and only whole lines while running', async () => {
    writeFileSync(file, '');
    tailer.start();
    appendFileSync(file, '{"step": 0, "loss": 1.0}\n');
    await waitForPoints('loss', 1);

    // Half a line must wait for its end rather than be read as a broken line.
    appendFileSync(file, '{"step": 1, "lo');
    await sleep(SETTLE_MS);
    expect(await series('loss')).toEqual([[0, 1]]);
    expect(problems).toEqual([]);

    appendFileSync(file, 'ss": 0.5}\n{"step": 2, "loss": 0.25}\n');
    await waitForPoints('loss', 3);
    expect(await tailer.stop()).toEqual({ count: 0, examples: [] });
    expect(await series('loss')).toEqual([
      [0, 1],
      [1, 0.5],
      [2, 0.25],
    ]);
  });

  it('takes a last line without a newline at stop()', async () => {
    writeFileSync(file, '{"step": 0, "loss": 1}\n{"step": 1, "loss": 2}');
    tailer.start();
    await waitForPoints('loss', 1);
    await sleep(SETTLE_MS);
    expect(await series('loss')).toEqual([[0, 1]]);
    await tailer.stop();
    expect(await series('loss')).toEqual([
      [0, 1],
      [1, 2],
    ]);
  });

  it('reads the whole file at stop() even if it was never started', async () => {
    writeFileSync(file, '{"step": 0, "a": 1}\n{"step": 1, "a": 2}\n{"step": 2, "a": 3}');
    await tailer.stop();
    expect((await series('a')).map(([step]) => step)).toEqual([0, 1, 2]);
  });

  it('reports a malformed line with its line number and goes on with the next ones', async () => {
    writeFileSync(
      file,
      [
        '{"step": 0, "loss": 1}',
        'this is not json',
        '',
        '{"step": 1, "loss": 0.5, "phase": "train"}',
        '{"step": 2, "loss": 0.25}',
      ].join('\n') + '\n',
    );
    tailer.start();
    const result = await tailer.stop();
    const expected = [
      { line: 2, problem: 'not valid JSON' },
      { line: 4, problem: 'metric "phase" is not a number (got "train")' },
    ];
    expect(problems).toEqual(expected);
    expect(result).toEqual({ count: 2, examples: expected });
    // The good metric on the partly bad line is kept, as are the lines after it.
    expect(await series('loss')).toEqual([
      [0, 1],
      [1, 0.5],
      [2, 0.25],
    ]);
  });

  it('counts every problem but keeps only the first 20 as examples', async () => {
    writeFileSync(file, Array.from({ length: 25 }, (_, i) => `bad ${i}`).join('\n') + '\n{"x": 1}\n');
    const result = await tailer.stop();
    expect(result.count).toBe(25);
    expect(result.examples.map((e) => e.line)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(problems).toHaveLength(25);
    expect(await series('x')).toEqual([[0, 1]]);
  });

  it('numbers lines without a step 0, 1, 2... per key, continuing after an explicit step', async () => {
    writeFileSync(
      file,
      ['{"loss": 1}', '{"loss": 2, "acc": 0.1}', '{"loss": 3}', '{"acc": 0.2}', '{"step": 10, "loss": 4}', '{"loss": 5}'].join('\n') +
        '\n',
    );
    tailer.start();
    await tailer.stop();
    expect(await series('loss')).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [10, 4],
      [11, 5],
    ]);
    expect(await series('acc')).toEqual([
      [0, 0.1],
      [1, 0.2],
    ]);
  });

  it('stores histogram lines (the SDK\'s log_histogram) as a histogram series, numbered apart from metrics', async () => {
    writeFileSync(
      file,
      [
        '{"loss": 1}',
        '{"histogram": "loss", "ts": 5, "buckets": [[0, 1, 2], [1, 2, 3]], "stats": {"min": 0, "max": 2, "count": 5, "sum": 6, "sumSquares": 10}}',
        '{"histogram": "loss", "edges": [0, 1], "counts": [4]}',
        '{"step": 7, "histogram": "w", "buckets": [[2, 1, 1]]}',
      ].join('\n') + '\n',
    );
    tailer.start();
    await tailer.stop();
    expect(await series('loss')).toEqual([[0, 1]]);
    const h = await store.histogramSeries(runId, 'loss');
    expect(h.points.map((p) => [p.step, [...p.buckets]])).toEqual([
      [0, [0, 1, 2, 1, 2, 3]],
      [1, [0, 1, 4]],
    ]);
    expect(h.points[0]).toMatchObject({ ts: 5, stats: { min: 0, max: 2, count: 5, sum: 6, sumSquares: 10 } });
    // A bucket whose left edge is past its right is refused, naming it, like any bad line.
    expect(problems).toEqual([{ line: 4, problem: expect.stringContaining('histogram.buckets[0]: left edge 2 is above right edge 1') }]);
  });

  it('keeps a line\'s ts and stamps lines without one with the time they were read', async () => {
    writeFileSync(file, '{"step": 0, "ts": 1700000000000, "loss": 1}\n{"step": 1, "loss": 2}\n');
    const before = Date.now();
    await tailer.stop();
    const [first, second] = pointsOf('loss', await store.metricSeries(runId, 'loss'));
    expect(first?.ts).toBe(1700000000000);
    expect(second?.ts).toBeGreaterThanOrEqual(before);
    expect(second?.ts).toBeLessThanOrEqual(Date.now());
  });

  it('keeps a multi-byte UTF-8 key whole when a read ends inside it', async () => {
    const line = Buffer.from('{"step": 0, "läss": 1, "🎯": 2}\n', 'utf8');
    const cutA = line.indexOf(Buffer.from('ä')) + 1; // between the two bytes of "ä"
    const cutB = line.indexOf(Buffer.from('🎯')) + 2; // in the middle of a 4-byte character
    writeFileSync(file, '');
    tailer.start();
    for (const part of [line.subarray(0, cutA), line.subarray(cutA, cutB), line.subarray(cutB)]) {
      appendFileSync(file, part);
      await sleep(SETTLE_MS);
    }
    await tailer.stop();
    expect(problems).toEqual([]);
    expect(await series('läss')).toEqual([[0, 1]]);
    expect(await series('🎯')).toEqual([[0, 2]]);
  });

  it('stores nothing and reports nothing when the file never appears', async () => {
    tailer.start();
    await sleep(SETTLE_MS);
    expect(await tailer.stop()).toEqual({ count: 0, examples: [] });
    expect((await store.metricSummaries([runId])).get(runId) ?? {}).toEqual({});
  });

  it('throws from stop() when the points could not be stored', async () => {
    // The run does not exist, so the store refuses the points.
    const orphan = new MetricsTailer({ path: file, store, runId: 'no-such-run', onProblem: () => undefined });
    writeFileSync(file, '{"step": 0, "loss": 1}\n');
    await expect(orphan.stop()).rejects.toThrow();
  });
});
