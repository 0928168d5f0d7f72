import { describe, expect, it } from 'vitest';
import { RepriseError } from './errors.js';
import { applyOverrides, describeOverrides, parseOverride, parseValue, type Params } from './params.js';
import { thrown } from '../../test/helpers/errors.js';

const apply = (base: Params, ...raws: string[]): Params => applyOverrides(base, raws.map(parseOverride));

describe('parseValue', () => {
  it('reads JSON where the text is JSON', () => {
    expect(parseValue('2')).toBe(2);
    expect(parseValue('0.01')).toBe(0.01);
    expect(parseValue('-3')).toBe(-3);
    expect(parseValue('[64,32]')).toEqual([64, 32]);
    expect(parseValue('true')).toBe(true);
    expect(parseValue('false')).toBe(false);
    expect(parseValue('null')).toBeNull();
    expect(parseValue('{"a":1}')).toEqual({ a: 1 });
  });

  it('keeps anything else as the text itself', () => {
    expect(parseValue('abc')).toBe('abc');
    expect(parseValue('adam-w')).toBe('adam-w');
    expect(parseValue('')).toBe('');
    expect(parseValue('[1,')).toBe('[1,');
  });

  it('unquotes a JSON string, so "2" stays a string', () => {
    expect(parseValue('"quoted"')).toBe('quoted');
    expect(parseValue('"2"')).toBe('2');
  });
});

describe('parseOverride', () => {
  it('splits key and value at the first "=" only', () => {
    const o = parseOverride('query=a=b');
    expect(o.path).toEqual(['query']);
    expect(o.value).toBe('a=b');
  });

  it('splits a dotted key into its path and keeps the raw text', () => {
    const o = parseOverride('optim.lr=0.01');
    expect(o).toEqual({ raw: 'optim.lr=0.01', path: ['optim', 'lr'], value: 0.01 });
  });

  it('types the value', () => {
    expect(parseOverride('epochs=2').value).toBe(2);
    expect(parseOverride('layers=[64,32]').value).toEqual([64, 32]);
    expect(parseOverride('shuffle=true').value).toBe(true);
    expect(parseOverride('optim=abc').value).toBe('abc');
    expect(parseOverride('tag="quoted"').value).toBe('quoted');
  });

  it.each([
    ['noequals', 'expected key=value'],
    ['=1', 'invalid key ""'],
    ['a..b=1', 'invalid key "a..b"'],
    ['.a=1', 'invalid key ".a"'],
    ['a.=1', 'invalid key "a."'],
  ])('rejects %s, naming the override', (raw, why) => {
    const e = thrown(() => parseOverride(raw));
    expect(e.code).toBe('REPRISE_ERR_PARAMS_OVERRIDE_INVALID');
    expect(e.message).toContain(JSON.stringify(raw));
    expect(e.message).toContain(why);
    expect(e.details).toMatchObject({ override: raw });
  });
});

describe('applyOverrides', () => {
  it('replaces top-level values and adds new ones', () => {
    expect(apply({ epochs: 10, lr: 0.1 }, 'epochs=2', 'batch=32')).toEqual({ epochs: 2, lr: 0.1, batch: 32 });
  });

  it('reaches into nested objects, keeping their other keys', () => {
    expect(apply({ optim: { lr: 0.1, name: 'sgd' } }, 'optim.lr=0.01')).toEqual({ optim: { lr: 0.01, name: 'sgd' } });
  });

  it('creates the objects a dotted key names when they are missing', () => {
    expect(apply({}, 'model.encoder.depth=4')).toEqual({ model: { encoder: { depth: 4 } } });
  });

  it('addresses array elements by index', () => {
    expect(apply({ layers: [64, 32] }, 'layers.1=16')).toEqual({ layers: [64, 16] });
    expect(apply({ blocks: [{ width: 8 }, { width: 16 }] }, 'blocks.0.width=4')).toEqual({
      blocks: [{ width: 4 }, { width: 16 }],
    });
  });

  it('rejects an array index past the end or that is not a number', () => {
    for (const raw of ['layers.2=1', 'layers.x=1', 'layers.5.a=1']) {
      const e = thrown(() => apply({ layers: [64, 32] }, raw));
      expect(e.code).toBe('REPRISE_ERR_PARAMS_OVERRIDE_INVALID');
      expect(e.message).toContain(JSON.stringify(raw));
      expect(e.details).toMatchObject({ override: raw, key: 'layers' });
    }
  });

  it('applies overrides in order, so a later one wins', () => {
    expect(apply({}, 'a=1', 'a=2')).toEqual({ a: 2 });
    expect(apply({}, 'a=1', 'a=[1]', 'a.0=5')).toEqual({ a: [5] });
  });

  it('refuses to set a.b where a is a number, naming the override and the key', () => {
    const e = thrown(() => apply({ a: 3 }, 'a.b=1'));
    expect(e.code).toBe('REPRISE_ERR_PARAMS_OVERRIDE_INVALID');
    expect(e.message).toContain('"a.b=1"');
    expect(e.message).toContain('cannot set a.b because a is a number');
    expect(e.details).toEqual({ override: 'a.b=1', key: 'a' });
  });

  it('names the deepest key that is not a container', () => {
    const e = thrown(() => apply({ a: { b: 'x' } }, 'a.b.c.d=1'));
    expect(e.message).toContain('because a.b is a string');
    expect(e.details).toMatchObject({ key: 'a.b' });
    expect(thrown(() => apply({ a: null }, 'a.b=1')).message).toContain('because a is null');
  });

  it('never mutates the base object', () => {
    const base: Params = { optim: { lr: 0.1 }, layers: [64, 32] };
    const before = structuredClone(base);
    const out = apply(base, 'optim.lr=0.01', 'layers.0=1', 'new.key=1');
    expect(base).toEqual(before);
    expect(out.optim).not.toBe(base.optim);
    expect(out.layers).not.toBe(base.layers);
  });

  it('leaves the base untouched when an override fails midway', () => {
    const base: Params = { a: 1, b: { c: 2 } };
    thrown(() => apply(base, 'b.c=3', 'a.x=1'));
    expect(base).toEqual({ a: 1, b: { c: 2 } });
  });

  it('refuses keys that reach object machinery, and never writes onto Object.prototype', () => {
    const probe = 'repriseParamsProbe';
    try {
      for (const key of [`__proto__.${probe}`, '__proto__', 'a.constructor.x', 'prototype']) {
        expect(() => apply({}, `${key}=1`)).toThrow(RepriseError);
      }
      expect(({} as Record<string, unknown>)[probe]).toBeUndefined();
    } finally {
      delete (Object.prototype as Record<string, unknown>)[probe];
    }
  });
});

describe('describeOverrides', () => {
  it('writes key=value in the order given, strings bare and the rest as JSON', () => {
    expect(
      describeOverrides([
        { key: 'epochs', value: 2 },
        { key: 'optim.name', value: 'adam' },
        { key: 'layers', value: [64, 32] },
        { key: 'shuffle', value: false },
        { key: 'extra', value: { a: 1 } },
        { key: 'none', value: null },
      ]),
    ).toBe('epochs=2 optim.name=adam layers=[64,32] shuffle=false extra={"a":1} none=null');
  });

  it('is empty for no overrides', () => {
    expect(describeOverrides([])).toBe('');
  });
});
