import { describe, expect, it } from 'vitest';
import type { RunManifest } from './api.js';
import {
  artifactRows,
  artifactStateWords,
  bestIndexes,
  envRows,
  formatDelta,
  lockOf,
  packageDifferences,
  parseFreeze,
  sharedKeys,
  shortCode,
  unionKeys,
  valuesDiffer,
} from './compare-data.js';

describe('valuesDiffer', () => {
  it('sees equal values as the same, whatever their type', () => {
    expect(valuesDiffer([0.1, 0.1, 0.1])).toBe(false);
    expect(valuesDiffer(['adam', 'adam'])).toBe(false);
    expect(valuesDiffer([null, null])).toBe(false);
    expect(valuesDiffer([Number.NaN, Number.NaN])).toBe(false);
  });
  it('sees a different or a missing value as a difference', () => {
    expect(valuesDiffer([0.1, 0.2])).toBe(true);
    expect(valuesDiffer([1, '1'])).toBe(true);
    expect(valuesDiffer([1, undefined])).toBe(true);
    expect(valuesDiffer([undefined, 1])).toBe(true);
    expect(valuesDiffer([true, false])).toBe(true);
  });
});

describe('keys', () => {
  it('unites keys of all runs and keeps those every run shares', () => {
    expect(unionKeys([{ b: 1, a: 2 }, { c: 3 }])).toEqual(['a', 'b', 'c']);
    expect(sharedKeys([['loss', 'acc'], ['acc', 'loss', 'f1']])).toEqual(['acc', 'loss']);
    expect(sharedKeys([])).toEqual([]);
  });
});

describe('bestIndexes', () => {
  it('finds the highest or lowest value, ties included, NaN never best', () => {
    expect(bestIndexes([0.9, 0.95, 0.95, Number.NaN], 'max')).toEqual([1, 2]);
    expect(bestIndexes([0.3, undefined, 0.2], 'min')).toEqual([2]);
    expect(bestIndexes([Number.NaN, undefined], 'max')).toEqual([]);
  });
});

describe('formatDelta', () => {
  it('signs the difference to the first run', () => {
    expect(formatDelta(0.945, 0.933)).toBe('+0.012');
    expect(formatDelta(0.9, 0.95)).toBe('-0.05');
    expect(formatDelta(2, 2)).toBe('±0');
    expect(formatDelta(undefined, 2)).toBe('');
    expect(formatDelta(Number.NaN, 2)).toBe('');
  });
});

describe('parseFreeze', () => {
  it('reads pinned, direct and editable lines with names as pip compares them', () => {
    const lock = parseFreeze(
      ['# a comment', 'numpy==1.26.4', 'Scikit_Learn==1.4.0', 'torch[cuda] == 2.2.0', 'mypkg @ file:///src/mypkg', '-e git+https://x/y.git@abc#egg=tool', '--index-url https://pypi.org/simple', ''].join('\n'),
    );
    expect(Object.fromEntries(lock)).toEqual({
      numpy: '1.26.4',
      'scikit-learn': '1.4.0',
      torch: '2.2.0',
      mypkg: 'file:///src/mypkg',
      tool: 'editable git+https://x/y.git@abc#egg=tool',
    });
  });
});

describe('packageDifferences', () => {
  it('lists packages whose versions differ or that some runs lack', () => {
    const a = parseFreeze('numpy==1.26.4\npandas==2.2.0\npip==23.2.1');
    const b = parseFreeze('numpy==1.26.4\npandas==2.1.0');
    expect(packageDifferences([a, b])).toEqual([
      { name: 'pandas', versions: ['2.2.0', '2.1.0'] },
      { name: 'pip', versions: ['23.2.1', undefined] },
    ]);
  });
  it('finds none when every run has the same packages', () => {
    expect(packageDifferences([parseFreeze('numpy==1'), parseFreeze('NumPy==1')])).toEqual([]);
  });
  it('leaves runs without a lock out of the comparison', () => {
    expect(packageDifferences([parseFreeze('numpy==1'), null, parseFreeze('numpy==1')])).toEqual([]);
    expect(packageDifferences([parseFreeze('numpy==1'), null, parseFreeze('numpy==2')])).toEqual([{ name: 'numpy', versions: ['1', undefined, '2'] }]);
  });
});

describe('artifactRows', () => {
  const file = (path: string, sha256: string) => ({ path, sha256, size: 10 });
  it('tells same, differing and missing files apart by hash', () => {
    const rows = artifactRows([
      [file('model.json', 'aa'), file('eval.json', 'bb'), file('plot.svg', 'cc')],
      [file('model.json', 'aa'), file('eval.json', 'b2')],
      [file('model.json', 'aa'), file('eval.json', 'bb')],
    ]);
    expect(rows.map((r) => [r.path, r.state])).toEqual([
      ['eval.json', 'differs'],
      ['model.json', 'same'],
      ['plot.svg', 'missing'],
    ]);
    const names = ['a', 'b', 'c'];
    expect(rows.map((r) => artifactStateWords(r, names))).toEqual(['differs', 'same in all', 'missing in b, c']);
  });
});

describe('envRows', () => {
  const manifest = (over: { commit?: string; gpus?: NonNullable<RunManifest['environment']>['gpus']; python?: string }): RunManifest =>
    ({
      code: { kind: 'git', subdir: '', remoteUrl: null, branch: 'main', commit: over.commit ?? 'a'.repeat(40), dirty: false, patch: null, changedFiles: [] },
      environment: {
        python: { path: '/x', version: over.python ?? '3.11.7' },
        os: { platform: 'linux', type: 'Linux', release: '6.1' },
        arch: 'x64',
        cpu: { model: 'EPYC', cores: 8 },
        memoryBytes: 16 * 1024 ** 3,
        gpus: over.gpus ?? [],
        image: null,
        resolved: null,
      },
    }) as unknown as RunManifest;

  it('puts each fact of each run side by side', () => {
    const rows = envRows([manifest({}), manifest({ python: '3.12.1', commit: 'b'.repeat(40), gpus: [{ name: 'H100', memoryMiB: 81920, driver: null }] })]);
    const byKey = Object.fromEntries(rows.map((r) => [r.key, r.values]));
    expect(byKey.python).toEqual(['3.11.7', '3.12.1']);
    expect(byKey.memory).toEqual(['16 GiB', '16 GiB']);
    expect(byKey.gpus).toEqual(['none', 'H100 (80 GiB)']);
    expect(byKey.pip).toEqual([undefined, undefined]);
    expect(valuesDiffer(byKey.commit!)).toBe(true);
    expect(valuesDiffer(byKey.os!)).toBe(false);
    const commit = rows.find((r) => r.key === 'commit')!;
    expect(commit.short?.(commit.values[0]!)).toBe('aaaaaaa');
    expect(shortCode(manifest({ commit: '0abb830fafc47a9f0504bf24bd714007c8f2f8c1' }))).toBe('0abb830');
  });

  it('says "not recorded" on the side of a run logged through the MLflow client, which recorded no code or environment', () => {
    const client = { ...manifest({}), code: null, environment: null } as RunManifest;
    const rows = envRows([manifest({}), client]);
    for (const r of rows) expect(r.values[1]).toBe('not recorded');
    // Against a run that recorded them, every fact differs.
    expect(rows.every((r) => valuesDiffer(r.values))).toBe(true);
    expect(shortCode(client)).toBe('not recorded');
    expect(lockOf(client)).toBeNull();
  });
});
