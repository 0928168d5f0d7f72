import { describe, expect, it } from 'vitest';
import type { JsonValue } from './params.js';
import {
  describeSweep,
  expandSweep,
  MAX_SWEEP_RUNS,
  parseGridFlag,
  parseParamFlag,
  sweepSize,
  sweepSpec,
  type Distribution,
  type SweepSpec,
} from './sweep.js';
import { thrown } from '../../test/helpers/errors.js';

const noSeed = (): number => {
  throw new Error('randomSeed must not be called when --seed is given');
};

const grid = (...flags: string[]): SweepSpec => sweepSpec({ grid: flags, params: [] }, noSeed);
const random = (count: number, seed: number, ...params: string[]): SweepSpec => sweepSpec({ grid: [], random: count, params, seed }, noSeed);

/** `n` values of one distribution, drawn through a random sweep of that single param. */
function draws(dist: string, n = 2_000, seed = 7): JsonValue[] {
  return expandSweep(random(n, seed, `x=${dist}`)).map((p) => p.x!);
}

function numbers(dist: string, n = 2_000, seed = 7): number[] {
  const out = draws(dist, n, seed);
  for (const v of out) expect(typeof v).toBe('number');
  return out as number[];
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The error `fn` throws, checked to be a sweep error that quotes `quoted` and says `why`. */
function sweepError(fn: () => unknown, quoted: string, why: string) {
  const e = thrown(fn);
  expect(e.code).toBe('REPRISE_ERR_SWEEP_INVALID');
  expect(e.message).toContain(quoted);
  expect(e.message).toContain(why);
  return e;
}

describe('parseGridFlag', () => {
  it('splits the values on commas and types each like -p', () => {
    expect(parseGridFlag('lr=0.1,0.01')).toEqual({ key: 'lr', values: [0.1, 0.01] });
    expect(parseGridFlag('opt=adam,sgd,true,null,"2"')).toEqual({ key: 'opt', values: ['adam', 'sgd', true, null, '2'] });
  });

  it('keeps commas inside arrays, objects and quoted strings', () => {
    expect(parseGridFlag('layers=[32],[64]').values).toEqual([[32], [64]]);
    expect(parseGridFlag('layers=[32,64],[128,[1,2]],16').values).toEqual([[32, 64], [128, [1, 2]], 16]);
    expect(parseGridFlag('optim={"name":"adam","lr":0.1},{"name":"sgd"}').values).toEqual([{ name: 'adam', lr: 0.1 }, { name: 'sgd' }]);
    expect(parseGridFlag('tag="a,b","c]d",e').values).toEqual(['a,b', 'c]d', 'e']);
    expect(parseGridFlag('tag="say \\"x,y\\"",z').values).toEqual(['say "x,y"', 'z']);
  });

  it('keeps unbalanced text whole, as the text itself', () => {
    expect(parseGridFlag('layers=[32,64').values).toEqual(['[32,64']);
  });

  it('drops spaces around keys and values, and splits at the first "=" only', () => {
    expect(parseGridFlag(' optim.lr = 0.1 , 0.01 ')).toEqual({ key: 'optim.lr', values: [0.1, 0.01] });
    expect(parseGridFlag('query=a=b,c').values).toEqual(['a=b', 'c']);
  });

  it.each([
    ['lr=', 'no values after "="'],
    ['lr=  ', 'no values after "="'],
    ['lr=0.1,,0.2', 'value 2 of 3 is empty'],
    ['lr=0.1,', 'value 2 of 2 is empty'],
    ['lr', 'expected key=values'],
    ['=1,2', 'invalid key ""'],
    ['a..b=1,2', 'invalid key "a..b"'],
    ['__proto__=1', 'invalid key "__proto__"'],
  ])('rejects %s, quoting the flag', (raw, why) => {
    const e = sweepError(() => parseGridFlag(raw), `--grid ${JSON.stringify(raw)}: `, why);
    expect(e.details).toMatchObject({ flag: '--grid', value: raw });
  });
});

describe('parseParamFlag', () => {
  it.each<[string, Distribution]>([
    ['uniform(0,1)', { kind: 'uniform', low: 0, high: 1 }],
    ['loguniform(1e-4,1e-1)', { kind: 'loguniform', low: 1e-4, high: 1e-1 }],
    ['int(-2,5)', { kind: 'int', low: -2, high: 5 }],
    ['normal(.5,2)', { kind: 'normal', mean: 0.5, sd: 2 }],
    [' uniform ( -2 , .5 ) ', { kind: 'uniform', low: -2, high: 0.5 }],
    ['choice(adam,sgd)', { kind: 'choice', values: ['adam', 'sgd'] }],
    ['choice([32,64], [128] ,{"a":1},"x,y")', { kind: 'choice', values: [[32, 64], [128], { a: 1 }, 'x,y'] }],
    ['choice(3)', { kind: 'choice', values: [3] }],
  ])('reads %s', (text, dist) => {
    expect(parseParamFlag(`lr=${text}`)).toEqual({ key: 'lr', text, dist });
  });

  it('takes anything else as a fixed value, like -p', () => {
    expect(parseParamFlag('epochs=5').dist).toEqual({ kind: 'fixed', value: 5 });
    expect(parseParamFlag('optim=adam').dist).toEqual({ kind: 'fixed', value: 'adam' });
    expect(parseParamFlag('layers=[64,32]').dist).toEqual({ kind: 'fixed', value: [64, 32] });
    expect(parseParamFlag('f=gamma(1,2)').dist).toEqual({ kind: 'fixed', value: 'gamma(1,2)' });
    expect(parseParamFlag('name=uniform').dist).toEqual({ kind: 'fixed', value: 'uniform' });
  });

  it('keeps a dotted key and the text as typed', () => {
    expect(parseParamFlag(' optim.lr =loguniform(1e-4, 1e-1)')).toMatchObject({ key: 'optim.lr', text: 'loguniform(1e-4, 1e-1)' });
  });

  it.each([
    ['lr=loguniform(0,1)', 'loguniform needs 0 < low < high'],
    ['lr=loguniform(-1,1)', 'loguniform needs 0 < low < high'],
    ['lr=loguniform(0.1,0.01)', 'loguniform needs 0 < low < high'],
    ['lr=uniform(1,1)', 'uniform needs low < high'],
    ['lr=uniform(2,1)', 'uniform needs low < high'],
    ['lr=uniform(-1e308,1e308)', 'uniform range is too wide'],
    ['lr=uniform(1)', 'uniform takes 2 numbers (low, high), got 1'],
    ['lr=uniform()', 'uniform takes 2 numbers (low, high), got 0'],
    ['lr=uniform(1,2,3)', 'uniform takes 2 numbers (low, high), got 3'],
    ['lr=uniform(a,1)', 'uniform: "a" is not a finite number'],
    ['lr=uniform(1,)', 'uniform: "" is not a finite number'],
    ['lr=uniform(0,Infinity)', 'uniform: "Infinity" is not a finite number'],
    ['n=int(1.5,3)', 'int needs whole numbers low <= high'],
    ['n=int(3,1)', 'int needs whole numbers low <= high'],
    ['n=int(0,1e20)', 'int needs whole numbers low <= high'],
    ['x=normal(0,0)', 'normal needs sd > 0'],
    ['x=normal(0,-1)', 'normal needs sd > 0'],
    ['x=normal(0)', 'normal takes 2 numbers (mean, sd), got 1'],
    ['x=normal(0,1e308)', 'normal is too wide to sample'],
    ['o=choice()', 'choice needs at least one value'],
    ['o=choice(a,,b)', 'choice value 2 of 3 is empty'],
    ['lr=', 'no value after "="'],
    ['lr', 'expected key=distribution'],
    ['a..b=uniform(0,1)', 'invalid key "a..b"'],
  ])('rejects %s, quoting the flag', (raw, why) => {
    const e = sweepError(() => parseParamFlag(raw), `--param ${JSON.stringify(raw)}: `, why);
    expect(e.details).toMatchObject({ flag: '--param', value: raw });
  });
});

describe('sweepSpec', () => {
  it('builds a grid from --grid flags', () => {
    expect(grid('lr=0.1,0.01', 'layers=[32],[64]')).toEqual({
      kind: 'grid',
      axes: [
        { key: 'lr', values: [0.1, 0.01] },
        { key: 'layers', values: [[32], [64]] },
      ],
    });
  });

  it('builds a random sweep with the seed given, never asking for another', () => {
    const spec = random(20, 123, 'lr=loguniform(1e-4,1e-1)', 'epochs=5');
    expect(spec).toEqual({
      kind: 'random',
      count: 20,
      seed: 123,
      params: [
        { key: 'lr', text: 'loguniform(1e-4,1e-1)', dist: { kind: 'loguniform', low: 1e-4, high: 1e-1 } },
        { key: 'epochs', text: '5', dist: { kind: 'fixed', value: 5 } },
      ],
    });
  });

  it('draws a seed when none is given, folded into the range --seed accepts', () => {
    const opts = { grid: [], random: 3, params: ['lr=uniform(0,1)'] };
    expect(sweepSpec(opts, () => 42)).toMatchObject({ seed: 42 });
    expect(sweepSpec(opts, () => 2 ** 31 + 5)).toMatchObject({ seed: 5 });
    expect(sweepSpec({ ...opts, seed: 0 }, noSeed)).toMatchObject({ seed: 0 });
    expect(sweepSpec({ ...opts, seed: 2 ** 31 - 1 }, noSeed)).toMatchObject({ seed: 2 ** 31 - 1 });
  });

  it('accepts a grid of exactly MAX_SWEEP_RUNS and refuses one more axis value, naming the size', () => {
    const values = (n: number) => Array.from({ length: n }, (_, i) => i).join(',');
    expect(sweepSize(grid(`a=${values(100)}`, `b=${values(100)}`))).toBe(MAX_SWEEP_RUNS);
    const e = sweepError(() => grid(`a=${values(101)}`, `b=${values(100)}`), '--grid', '101 × 100 = 10100 runs');
    expect(e.message).toContain(`${MAX_SWEEP_RUNS}`);
    expect(e.details).toMatchObject({ runs: 10_100 });
  });

  it('refuses the same key twice across --grid flags, quoting both', () => {
    sweepError(() => grid('lr=0.1,0.2', 'layers=1,2', ' lr =0.3'), '--grid " lr =0.3"', 'lr is already swept by --grid "lr=0.1,0.2"');
  });

  it('refuses the same key twice among --param flags', () => {
    sweepError(
      () => random(5, 1, ' lr = uniform(0,1)', 'lr=0.5'),
      '--param "lr=0.5"',
      'lr is already given by --param " lr = uniform(0,1)"',
    );
  });

  it('refuses --grid together with --random', () => {
    sweepError(() => sweepSpec({ grid: ['lr=1,2'], random: 5, params: ['x=uniform(0,1)'] }, noSeed), '--grid', 'choose --grid or --random');
  });

  it('refuses a sweep with neither, saying what to pass', () => {
    const e = sweepError(() => sweepSpec({ grid: [], params: [] }, noSeed), 'nothing to sweep', '--grid key=v1,v2');
    expect(e.message).toContain('--random N');
  });

  it('refuses --param without --random, with or without --grid', () => {
    sweepError(() => sweepSpec({ grid: [], params: ['lr=uniform(0,1)'] }, noSeed), '--param', 'add --random N');
    sweepError(() => sweepSpec({ grid: ['a=1,2'], params: ['lr=uniform(0,1)'] }, noSeed), '--param', 'add --random N');
  });

  it('refuses --random with nothing that varies', () => {
    sweepError(() => random(5, 1), '--random 5', 'at least one --param with a distribution');
    sweepError(() => random(5, 1, 'epochs=5', 'optim=adam'), '--random 5', 'every --param given is a fixed value');
  });

  it.each([0, -1, 1.5, MAX_SWEEP_RUNS + 1, Number.NaN])('refuses --random %s', (count) => {
    const e = sweepError(() => random(count, 1, 'lr=uniform(0,1)'), `--random ${count}`, `from 1 to ${MAX_SWEEP_RUNS}`);
    expect(e.details).toMatchObject({ flag: '--random' });
  });

  it.each([-1, 1.5, 2 ** 31, Number.NaN])('refuses --seed %s', (seed) => {
    const e = sweepError(() => random(3, seed, 'lr=uniform(0,1)'), `--seed ${seed}`, 'from 0 to 2147483647');
    expect(e.details).toMatchObject({ flag: '--seed' });
  });

  it('passes on a bad --param from the flags', () => {
    sweepError(() => random(3, 1, 'lr=loguniform(0,1)'), '--param "lr=loguniform(0,1)"', 'loguniform needs 0 < low < high');
  });
});

describe('expandSweep: grid', () => {
  it('is the cross product, first axis slowest', () => {
    const points = expandSweep(grid('lr=0.1,0.01', 'layers=[32],[64]'));
    expect(points).toEqual([
      { lr: 0.1, layers: [32] },
      { lr: 0.1, layers: [64] },
      { lr: 0.01, layers: [32] },
      { lr: 0.01, layers: [64] },
    ]);
  });

  it('nests three axes like loops in the order given', () => {
    const points = expandSweep(grid('a=1,2', 'b=x,y,z', 'c.d=true,false'));
    expect(points).toHaveLength(12);
    expect(points.map((p) => `${p.a}${p.b}${p['c.d'] ? 'T' : 'F'}`)).toEqual([
      '1xT', '1xF', '1yT', '1yF', '1zT', '1zF',
      '2xT', '2xF', '2yT', '2yF', '2zT', '2zF',
    ]);
  });

  it('gives every point its own copy of a value', () => {
    const points = expandSweep(grid('layers=[32],[64]', 'seed=1,2'));
    (points[0]!.layers as number[]).push(99);
    expect(points[1]!.layers).toEqual([32]);
    expect(expandSweep(grid('layers=[32],[64]', 'seed=1,2'))[0]!.layers).toEqual([32]);
  });
});

/** mulberry32 seeded with 123, as uniform(0,1) and int(0,1000) draw from it. */
const PINNED_123 = [
  [0.787251622815, 495],
  [0.375791608046, 864],
  [0.784292283722, 615],
];

describe('expandSweep: random', () => {
  it('draws count points with every param, fixed ones the same in each', () => {
    const points = expandSweep(random(50, 9, 'lr=loguniform(1e-4,1e-1)', 'epochs=5', 'optim={"name":"adam"}', 'dropout=uniform(0,0.5)'));
    expect(points).toHaveLength(50);
    for (const p of points) {
      expect(Object.keys(p)).toEqual(['lr', 'epochs', 'optim', 'dropout']);
      expect(p.epochs).toBe(5);
      expect(p.optim).toEqual({ name: 'adam' });
    }
    expect(new Set(points.map((p) => p.lr)).size).toBe(50);
  });

  it('is the same for the same spec, also after a JSON round trip', () => {
    const spec = random(100, 123, 'lr=loguniform(1e-4,1e-1)', 'n=int(1,6)', 'z=normal(0,1)', 'o=choice(a,b,c)');
    const first = expandSweep(spec);
    expect(expandSweep(spec)).toEqual(first);
    expect(expandSweep(JSON.parse(JSON.stringify(spec)) as SweepSpec)).toEqual(first);
    expect(expandSweep(random(100, 123, 'lr=loguniform(1e-4,1e-1)', 'n=int(1,6)', 'z=normal(0,1)', 'o=choice(a,b,c)'))).toEqual(first);
  });

  it('differs for another seed', () => {
    const a = numbers('uniform(0,1)', 20, 1);
    const b = numbers('uniform(0,1)', 20, 2);
    expect(a.filter((v, i) => v === b[i])).toEqual([]);
  });

  it('draws the same values for a seed as it always has', () => {
    // Recorded sweeps are re-expanded from their seed: the generator must never change.
    const points = expandSweep(random(3, 123, 'x=uniform(0,1)', 'n=int(0,1000)'));
    expect(points.map((p) => [Number((p.x as number).toFixed(12)), p.n])).toEqual(PINNED_123);
  });

  it('uniform stays in [low, high) and spreads evenly', () => {
    const xs = numbers('uniform(-2,3)');
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...xs)).toBeLessThan(3);
    expect(Math.min(...xs)).toBeLessThan(-1.9);
    expect(Math.max(...xs)).toBeGreaterThan(2.9);
    expect(mean(xs)).toBeCloseTo(0.5, 0);
    const low = xs.filter((x) => x < 0.5).length / xs.length;
    expect(low).toBeGreaterThan(0.45);
    expect(low).toBeLessThan(0.55);
  });

  it('uniform keeps below high even where rounding would reach it', () => {
    const xs = numbers('uniform(1e16,10000000000000002)', 500);
    for (const x of xs) expect(x).toBe(1e16);
  });

  it('loguniform stays in [low, high] and spreads evenly over the decades', () => {
    const xs = numbers('loguniform(1e-4,1e-1)');
    for (const x of xs) {
      expect(x).toBeGreaterThanOrEqual(1e-4);
      expect(x).toBeLessThanOrEqual(1e-1);
    }
    // A plain uniform would put about 99% above 1e-3; log-spread puts a third in each decade.
    for (const [lo, hi] of [[1e-4, 1e-3], [1e-3, 1e-2], [1e-2, 1e-1]] as const) {
      const share = xs.filter((x) => x >= lo && x < hi).length / xs.length;
      expect(share).toBeGreaterThan(0.28);
      expect(share).toBeLessThan(0.39);
    }
  });

  it('int gives whole numbers and hits both ends', () => {
    const xs = numbers('int(-2,3)');
    for (const x of xs) expect(Number.isInteger(x)).toBe(true);
    expect([...new Set(xs)].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2, 3]);
    expect(numbers('int(4,4)', 20)).toEqual(Array(20).fill(4));
  });

  it('normal centres on the mean with the sd given', () => {
    const xs = numbers('normal(10,2)');
    expect(mean(xs)).toBeGreaterThan(9.8);
    expect(mean(xs)).toBeLessThan(10.2);
    const sd = Math.sqrt(mean(xs.map((x) => (x - 10) ** 2)));
    expect(sd).toBeGreaterThan(1.85);
    expect(sd).toBeLessThan(2.15);
    const within1 = xs.filter((x) => Math.abs(x - 10) < 2).length / xs.length;
    expect(within1).toBeGreaterThan(0.64);
    expect(within1).toBeLessThan(0.72);
    expect(xs.every(Number.isFinite)).toBe(true);
  });

  it('choice gives only the listed values, each of them', () => {
    const xs = draws('choice([32],[64,64],"a,b",adam,{"k":1})');
    const seen = new Set(xs.map((x) => JSON.stringify(x)));
    expect([...seen].sort()).toEqual(['"a,b"', '"adam"', '[32]', '[64,64]', '{"k":1}']);
  });

  it('a fixed param draws nothing, so adding one leaves the samples as they were', () => {
    const alone = expandSweep(random(10, 5, 'lr=uniform(0,1)')).map((p) => p.lr);
    const withFixed = expandSweep(random(10, 5, 'epochs=3', 'lr=uniform(0,1)')).map((p) => p.lr);
    expect(withFixed).toEqual(alone);
  });
});

describe('describeSweep', () => {
  it('names the axes and the number of runs of a grid', () => {
    expect(describeSweep(grid('lr=0.1,0.01', 'layers=[32],[64]'))).toBe('grid lr × layers (4 runs)');
    expect(describeSweep(grid('optim.lr=0.1'))).toBe('grid optim.lr (1 run)');
  });

  it('names the count, the params and the seed of a random sweep', () => {
    expect(describeSweep(random(20, 123, 'lr=loguniform(1e-4,1e-1)', 'dropout=uniform(0,0.5)'))).toBe('random 20 of lr, dropout (seed 123)');
  });
});
