import { describe, expect, it } from 'vitest';
import { parseMetricLine } from './metric-line.js';

describe('parseMetricLine', () => {
  it('reads every metric on a plain line with its step and ts', () => {
    expect(parseMetricLine('{"step": 3, "ts": 1700000000000, "loss": 0.42, "acc": 0.9}')).toEqual({
      points: [
        { key: 'loss', step: 3, ts: 1700000000000, value: 0.42 },
        { key: 'acc', step: 3, ts: 1700000000000, value: 0.9 },
      ],
      problems: [],
    });
  });

  it('ignores surrounding whitespace and a carriage return', () => {
    expect(parseMetricLine('  {"step": 1, "loss": 1}\r').points).toEqual([{ key: 'loss', step: 1, ts: undefined, value: 1 }]);
  });

  it('rounds a fractional ts to whole milliseconds', () => {
    expect(parseMetricLine('{"ts": 1700000000000.6, "loss": 1}').points[0]?.ts).toBe(1700000000001);
  });

  it('reads NaN, Infinity and -Infinity as Python json.dumps writes them', () => {
    // json.dumps({"step": 1, "a": float("nan"), ...}) writes bare tokens, which is not JSON.
    const { points, problems } = parseMetricLine('{"step": 1, "a": NaN, "b": Infinity, "c": -Infinity}');
    expect(problems).toEqual([]);
    expect(points.map((p) => [p.key, p.value])).toEqual([
      ['a', NaN],
      ['b', Infinity],
      ['c', -Infinity],
    ]);
  });

  it('reads the strings "NaN", "inf", "-inf" and "Infinity" as numbers', () => {
    const { points, problems } = parseMetricLine('{"a": "NaN", "b": "inf", "c": "-inf", "d": "Infinity", "e": " -Infinity "}');
    expect(problems).toEqual([]);
    expect(points.map((p) => p.value)).toEqual([NaN, Infinity, -Infinity, Infinity, -Infinity]);
  });

  it('leaves the step undefined when the line gives none, or gives null', () => {
    expect(parseMetricLine('{"loss": 1}')).toEqual({ points: [{ key: 'loss', step: undefined, ts: undefined, value: 1 }], problems: [] });
    expect(parseMetricLine('{"step": null, "ts": null, "loss": 1}')).toEqual({
      points: [{ key: 'loss', step: undefined, ts: undefined, value: 1 }],
      problems: [],
    });
  });

  it('accepts step 0', () => {
    expect(parseMetricLine('{"step": 0, "loss": 1}').points[0]?.step).toBe(0);
  });

  it.each([
    ['negative', '-1'],
    ['fractional', '1.5'],
    ['a string', '"3"'],
    ['a boolean', 'true'],
    ['beyond safe integers', '9007199254740993'],
  ])('rejects the whole line when step is %s', (_what, step) => {
    const { points, problems } = parseMetricLine(`{"step": ${step}, "loss": 1}`);
    expect(points).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('"step" must be a whole number >= 0');
  });

  it.each([
    ['a string', '"yesterday"'],
    ['negative', '-5'],
    ['NaN', 'NaN'],
  ])('rejects the whole line when ts is %s', (_what, ts) => {
    const { points, problems } = parseMetricLine(`{"ts": ${ts}, "loss": 1}`);
    expect(points).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('"ts" must be milliseconds since the epoch');
  });

  it('reports a value that is not a number and keeps the other metrics on the line', () => {
    const { points, problems } = parseMetricLine('{"step": 2, "loss": 0.5, "phase": "train", "ok": true, "acc": 0.75}');
    expect(points).toEqual([
      { key: 'loss', step: 2, ts: undefined, value: 0.5 },
      { key: 'acc', step: 2, ts: undefined, value: 0.75 },
    ]);
    expect(problems).toEqual(['metric "phase" is not a number (got "train")', 'metric "ok" is not a number (got true)']);
  });

  it('rejects empty, overlong and control-character metric names but keeps the rest', () => {
    const long = 'k'.repeat(251);
    const { points, problems } = parseMetricLine(JSON.stringify({ '': 1, [long]: 2, 'a\u0001b': 3, good: 4 }));
    expect(points.map((p) => p.key)).toEqual(['good']);
    expect(problems).toHaveLength(3);
    for (const p of problems) expect(p).toContain('is empty, too long or has control characters');
  });

  it.each([['[1, 2]'], ['3'], ['"loss"'], ['null'], ['true']])('rejects JSON that is not an object: %s', (line) => {
    expect(parseMetricLine(line)).toEqual({ points: [], problems: ['not a JSON object'] });
  });

  it.each([['hello'], ['{"loss": '], ['loss=0.5'], ['{"a": 1}}']])('rejects garbage: %s', (line) => {
    expect(parseMetricLine(line)).toEqual({ points: [], problems: ['not valid JSON'] });
  });

  it('says so when an object holds no metric at all', () => {
    expect(parseMetricLine('{"step": 1, "ts": 5}')).toEqual({ points: [], problems: ['has no metric values'] });
    expect(parseMetricLine('{}')).toEqual({ points: [], problems: ['has no metric values'] });
  });

  it('reads a histogram line, and names what is wrong in a bad one', () => {
    expect(parseMetricLine('{"histogram": "w", "step": 2, "edges": [0, 1, 3], "counts": [1, 2]}')).toMatchObject({
      points: [],
      histogram: { key: 'w', stepGiven: true, tsGiven: false, point: { step: 2, buckets: Float64Array.from([0, 1, 1, 1, 3, 2]), stats: null } },
      problems: [],
    });
    expect(parseMetricLine('{"histogram": "w", "edges": [0, 1], "counts": [1, 2]}')).toEqual({
      points: [],
      problems: ['histogram.edges: has 2 entries; expected one more than counts (2)'],
    });
  });

  it('gives nothing, and no problem, for an empty or blank line', () => {
    expect(parseMetricLine('')).toEqual({ points: [], problems: [] });
    expect(parseMetricLine('   \t')).toEqual({ points: [], problems: [] });
  });
});
