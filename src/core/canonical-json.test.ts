import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash, sha256Hex } from './canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no spaces', () => {
    expect(canonicalJson({ b: 1, a: [3, { d: true, c: null }], 'a b': 'x' })).toBe('{"a":[3,{"c":null,"d":true}],"a b":"x","b":1}');
  });

  it('gives equal objects the same text whatever their key order', () => {
    const x = { optim: { lr: 0.01, name: 'adam' }, epochs: 2, layers: [64, 32] };
    const y = { layers: [64, 32], epochs: 2, optim: { name: 'adam', lr: 0.01 } };
    expect(canonicalJson(x)).toBe(canonicalJson(y));
  });

  it('keeps the order of array elements', () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });

  it('drops keys whose value is undefined, as JSON.stringify does', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
  });

  it('writes scalars as JSON', () => {
    expect(canonicalJson('a"b')).toBe('"a\\"b"');
    expect(canonicalJson(1.5)).toBe('1.5');
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson(false)).toBe('false');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('parses back to a value equal to the input', () => {
    const v = { z: [1, 'two', { y: [null, false] }], a: { 'é': 'ü', '': 0 }, n: -0.25 };
    expect(JSON.parse(canonicalJson(v))).toEqual(v);
  });
});

describe('sha256Hex', () => {
  it('matches node:crypto and the known digest of "abc"', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const buf = Buffer.from([0, 1, 2, 255]);
    expect(sha256Hex(buf)).toBe(createHash('sha256').update(buf).digest('hex'));
  });
});

describe('contentHash', () => {
  it('is sha256: followed by the digest of the canonical text', () => {
    const v = { b: 2, a: 1 };
    expect(contentHash(v)).toBe(`sha256:${createHash('sha256').update('{"a":1,"b":2}').digest('hex')}`);
  });

  it('is the same for equal values and differs when any value differs', () => {
    expect(contentHash({ a: 1, b: { c: [1, 2] } })).toBe(contentHash({ b: { c: [1, 2] }, a: 1 }));
    expect(contentHash({ a: 1, b: { c: [1, 2] } })).not.toBe(contentHash({ a: 1, b: { c: [1, 3] } }));
    expect(contentHash({ a: 1 })).not.toBe(contentHash({ a: '1' }));
  });
});
