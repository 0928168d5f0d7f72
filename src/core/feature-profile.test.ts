import { describe, expect, it } from 'vitest';
import { RepriseError } from './errors.js';
import {
  featureColumns,
  OTHER_CATEGORY,
  outputColumn,
  parseReferenceProfile,
  profileCategories,
  profileColumns,
  profileNumbers,
  type CategoryProfile,
  type NumberProfile,
  type ReferenceProfile,
} from './feature-profile.js';

const range = (n: number, from = 1) => Float64Array.from({ length: n }, (_, i) => from + i);

function errorOf(fn: () => unknown): RepriseError {
  try {
    fn();
  } catch (e) {
    if (e instanceof RepriseError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('number profiles', () => {
  it('keeps percentiles, moments and decile bins of the values present', () => {
    const values = new Float64Array([...range(100), NaN, Infinity, -Infinity]);
    const p = profileNumbers('age', values);
    expect(p).toMatchObject({ kind: 'number', name: 'age', count: 100, missing: 3, min: 1, max: 100, mean: 50.5 });
    expect(p.std).toBeCloseTo(Math.sqrt((100 * 100 - 1) / 12), 10);
    expect(p.quantiles).toHaveLength(101);
    expect(p.quantiles[0]).toBe(1);
    expect(p.quantiles[50]).toBeCloseTo(50.5, 10);
    expect(p.quantiles[100]).toBe(100);
    expect(p.edges).toHaveLength(9);
    expect(p.edges[0]).toBeCloseTo(10.9, 10);
    // Each decile bin holds a tenth of the values.
    expect(p.counts).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 10]);
  });

  it('collapses the edges of a constant column into one', () => {
    const p = profileNumbers('flag', new Float64Array(50).fill(3));
    expect(p.edges).toEqual([3]);
    expect(p.counts).toEqual([50, 0]);
    expect(new Set(p.quantiles)).toEqual(new Set([3]));
    expect(p.std).toBe(0);
    // A feature with a few repeated values keeps its edges distinct and increasing.
    const few = profileNumbers('rooms', Float64Array.from({ length: 1000 }, (_, i) => i % 3));
    for (let i = 1; i < few.edges.length; i++) expect(few.edges[i]!).toBeGreaterThan(few.edges[i - 1]!);
    expect(few.counts.reduce((a, b) => a + b, 0)).toBe(1000);
  });

  it('profiles a column with no value present', () => {
    expect(profileNumbers('x', new Float64Array([NaN, NaN]))).toEqual({
      kind: 'number', name: 'x', count: 0, missing: 2, min: 0, max: 0, mean: 0, std: 0, quantiles: [], edges: [], counts: [0],
    });
  });
});

describe('category profiles', () => {
  it('keeps the 50 most frequent values and counts the rest together', () => {
    const values: (string | null)[] = [];
    for (let c = 0; c < 60; c++) for (let i = 0; i < 100 - c; i++) values.push(`c${c}`);
    values.push(null, null);
    const p = profileCategories('city', values);
    expect(p.count).toBe(values.length - 2);
    expect(p.missing).toBe(2);
    const keys = Object.keys(p.frequencies);
    expect(keys).toHaveLength(51);
    expect(p.frequencies.c0).toBe(100);
    expect(p.frequencies.c49).toBe(51);
    expect(p.frequencies.c50).toBeUndefined();
    // c50..c59: 50 + 49 + … + 41.
    expect(p.frequencies[OTHER_CATEGORY]).toBe(455);
  });

  it('orders equal counts by value, so the same data gives the same profile', () => {
    const a = profileCategories('x', ['b', 'a', 'c', 'a', 'b', 'c']);
    const b = profileCategories('x', ['c', 'c', 'b', 'b', 'a', 'a']);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(Object.keys(a.frequencies)).toEqual(['a', 'b', 'c']);
    expect(OTHER_CATEGORY in a.frequencies).toBe(false);
  });

  it('keeps a value named like an object property as an ordinary key', () => {
    const p = profileCategories('x', ['__proto__', '__proto__', 'constructor']);
    expect(Object.entries(p.frequencies)).toEqual([['__proto__', 2], ['constructor', 1]]);
    const back = parseReferenceProfile(JSON.parse(JSON.stringify({ features: [p], target: null, rows: 3, source: { data: 'd', contentHash: 'h' } })));
    expect(Object.entries((back.features[0] as CategoryProfile).frequencies)).toEqual([['__proto__', 2], ['constructor', 1]]);
  });

  it('profiles typed arrays as numbers and lists as categories', () => {
    const ps = profileColumns([
      { name: 'x', values: range(10) },
      { name: 'y', values: ['a', null] },
    ]);
    expect(ps.map((p) => [p.name, p.kind, p.count])).toEqual([['x', 'number', 10], ['y', 'category', 1]]);
  });
});

const reference: ReferenceProfile = {
  features: [profileNumbers('age', range(10)), profileCategories('city', ['paris', 'oslo']), profileNumbers('income', range(10))],
  target: profileCategories('label', ['0', '1']),
  rows: 10,
  source: { data: 'SELECT * FROM train', contentHash: 'sha256:abc' },
};

describe('production rows as columns', () => {
  it('reads lists by position and objects by name, skipping rows that are neither', () => {
    const { columns, rows, skipped } = featureColumns(
      [
        [30, 'paris', 1000],
        { income: 2000, age: 40, city: 'oslo', extra: true },
        'not a row',
        null,
        [50],
        { age: '60', city: 7, income: null },
        [70, true, 5, 'ignored'],
        42,
      ],
      reference,
    );
    expect(rows).toBe(5);
    expect(skipped).toBe(3);
    expect(columns.map((c) => c.name)).toEqual(['age', 'city', 'income']);
    expect([...(columns[0]!.values as Float64Array)]).toEqual([30, 40, 50, NaN, 70]);
    expect(columns[1]!.values).toEqual(['paris', 'oslo', null, '7', 'true']);
    expect([...(columns[2]!.values as Float64Array)]).toEqual([1000, 2000, NaN, NaN, 5]);
  });

  it('unwraps predictions and takes the most likely class of a list of probabilities', () => {
    const labels = outputColumn([1, '0', { label: 'cat' }, { class: 2 }, { prediction: [0.1, 0.7, 0.2] }, [[0.9, 0.1]], ['dog'], null, [], ['a', 'b']], reference.target!);
    expect(labels.name).toBe('label');
    expect(labels.values).toEqual(['1', '0', 'cat', '2', '1', '0', 'dog', null, null, null]);
    const numbers = outputColumn([1.5, [2.5], { prediction: 3 }, { score: 4 }, [1, 2], 'x'], profileNumbers('price', range(5)));
    expect([...(numbers.values as Float64Array)]).toEqual([1.5, 2.5, 3, NaN, NaN, NaN]);
  });
});

describe('profiles read back from JSON', () => {
  const json = () => JSON.parse(JSON.stringify(reference)) as { features: Record<string, unknown>[]; [k: string]: unknown };

  it('reads back what was written', () => {
    expect(parseReferenceProfile(json())).toEqual(reference);
    expect(parseReferenceProfile({ ...json(), target: null }).target).toBeNull();
  });

  it('names the path of each problem', () => {
    const cases: [(j: ReturnType<typeof json>) => void, string, RegExp][] = [
      [(j) => ((j.features[0]!.quantiles as number[])[3] = 0), 'features[0].quantiles[3]', /never decrease/],
      [(j) => ((j.features[2]!.quantiles as number[]).length = 50), 'features[2].quantiles', /expected 101/],
      [(j) => ((j.features[0]!.counts as number[])[0] = 99), 'features[0].counts', /add up to/],
      [(j) => ((j.features[0]!.edges as number[]).pop()), 'features[0].counts', /one more than edges/],
      [(j) => (j.features[1]!.kind = 'text'), 'features[1].kind', /"number" or "category"/],
      [(j) => ((j.features[1]!.frequencies as Record<string, unknown>).paris = -1), 'features[1].frequencies.paris', /whole number/],
      [(j) => (j.features[0]!.mean = 'NaN'), 'features[0].mean', /finite number/],
      [(j) => (j.features[2]!.name = 'age'), 'features[2].name', /appears twice/],
      [(j) => delete j.source, 'source', /expected an object/],
      [(j) => ((j.target as Record<string, unknown>).count = 3), 'target.frequencies', /not count \(3\)/],
    ];
    for (const [spoil, field, message] of cases) {
      const j = json();
      spoil(j);
      const e = errorOf(() => parseReferenceProfile(j));
      expect(e.code).toBe('REPRISE_ERR_ARG_INVALID');
      expect(e.details).toEqual({ field });
      expect(e.message).toContain(field);
      expect(e.message).toMatch(message);
    }
    expect(errorOf(() => parseReferenceProfile([])).message).toBe('reference profile: expected an object, got []');
  });

  it('accepts a number profile of a column that had no value', () => {
    const empty: NumberProfile = profileNumbers('x', new Float64Array([NaN]));
    expect(parseReferenceProfile({ ...json(), features: [empty] }).features).toEqual([empty]);
  });
});
