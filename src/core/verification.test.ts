import { describe, expect, it } from 'vitest';
import { makeRunRecord } from '../ports/metadata-store.fixtures.js';
import type { MetricSummary } from './run-manifest.js';
import { compareRuns, lockPins, NO_RULES, type ComparedRun } from './verification.js';

const env = makeRunRecord().manifest.environment!;
const m = (last: number): MetricSummary => ({ last, lastStep: 1, min: last, max: last, count: 1 });

function run(id: string, over: Partial<ComparedRun> = {}): ComparedRun {
  return {
    id,
    status: 'succeeded',
    metrics: { loss: m(0.5), acc: m(0.9) },
    artifacts: [{ path: 'model/w.bin', size: 3, sha256: 'a'.repeat(64) }],
    environment: env,
    lock: 'numpy==1.26.0\npip==24.0\n',
    ...over,
  };
}

describe('compareRuns', () => {
  it('says exactly when every metric and artifact is equal, NaN included', () => {
    const nan = { loss: m(NaN), acc: m(0.9) };
    const v = compareRuns(run('a', { metrics: nan }), run('b', { metrics: nan }), NO_RULES, 5);
    expect(v).toMatchObject({ original: 'a', reproduction: 'b', verdict: 'exact', checkedAt: 5, compared: { metrics: 2, artifacts: 1 }, differences: [], environment: [] });
  });

  it('counts a difference within its tolerance, by name or by glob, and nothing beyond it', () => {
    const b = run('b', { metrics: { loss: m(0.5 + 1e-7), acc: m(0.9 + 2e-3) } });
    const within = compareRuns(run('a'), b, { tolerance: { loss: 1e-6, 'ac*': 1e-2 }, ignore: [] }, 0);
    expect(within.verdict).toBe('within_tolerance');
    expect(within.differences.map((d) => [d.name, d.outcome, d.tolerance])).toEqual([['acc', 'within_tolerance', 1e-2], ['loss', 'within_tolerance', 1e-6]]);
    expect(within.differences[1]!.delta).toBeCloseTo(1e-7, 12);
    const beyond = compareRuns(run('a'), b, { tolerance: { loss: 1e-8 }, ignore: [] }, 0);
    expect(beyond.verdict).toBe('diverged');
    expect(beyond.differences.find((d) => d.name === 'acc')).toMatchObject({ outcome: 'diverged', tolerance: null });
  });

  it('diverges on a missing metric, a changed or missing artifact, a NaN against a number, and another status', () => {
    const b = run('b', {
      status: 'failed',
      metrics: { loss: m(NaN), extra: m(1) },
      artifacts: [{ path: 'model/w.bin', size: 3, sha256: 'b'.repeat(64) }, { path: 'outputs/new.txt', size: 1, sha256: 'c'.repeat(64) }],
    });
    const v = compareRuns(run('a'), b, { tolerance: { loss: 1 }, ignore: [] }, 0);
    expect(v.verdict).toBe('diverged');
    expect(v.differences.map((d) => `${d.kind}:${d.name}:${d.outcome}`)).toEqual([
      'status:status:diverged',
      'metric:acc:diverged',
      'metric:extra:diverged',
      'metric:loss:diverged',
      'artifact:model/w.bin:diverged',
      'artifact:outputs/new.txt:diverged',
    ]);
    expect(v.differences.find((d) => d.name === 'loss')).toMatchObject({ original: 0.5, reproduction: 'NaN', delta: 'NaN' });
    expect(v.differences.find((d) => d.name === 'acc')).toMatchObject({ original: 0.9, reproduction: null, delta: null });
  });

  it("never compares the machine's system/ samples, which differ on every run", () => {
    const a = run('a', { metrics: { loss: m(0.5), 'system/cpu_percent': m(97), 'system/gpu0/memory_used_mib': m(1200) } });
    const b = run('b', { metrics: { loss: m(0.5), 'system/cpu_percent': m(12), 'system/net_rx_bytes_per_s': m(5) } });
    expect(compareRuns(a, b, NO_RULES, 0)).toMatchObject({ verdict: 'exact', compared: { metrics: 1 }, differences: [], ignored: [] });
    const c = run('c', { metrics: { loss: m(0.6), 'system/cpu_percent': m(12) } });
    expect(compareRuns(a, c, NO_RULES, 0).differences.map((d) => d.name)).toEqual(['loss']);
  });

  it('diverges when a data query read other rows, or only one run read it', () => {
    const same = compareRuns(run('a', { data: { train: 'h1' } }), run('b', { data: { train: 'h1' } }), NO_RULES, 0);
    expect(same.verdict).toBe('exact');
    const other = compareRuns(run('a', { data: { train: 'h1', test: 'h3' } }), run('b', { data: { train: 'h2' } }), NO_RULES, 0);
    expect(other.verdict).toBe('diverged');
    expect(other.differences.map((d) => [d.kind, d.name, d.original, d.reproduction]).sort()).toEqual([
      ['data', 'test', 'h3', null],
      ['data', 'train', 'h1', 'h2'],
    ]);
  });

  it('leaves out ignored metrics and artifact paths, globs included', () => {
    const b = run('b', { metrics: { loss: m(0.5), acc: m(0.9), duration: m(3) }, artifacts: [...run('b').artifacts, { path: 'outputs/logs/run.txt', size: 1, sha256: 'd'.repeat(64) }] });
    const v = compareRuns(run('a'), b, { tolerance: {}, ignore: ['duration', 'outputs/**'] }, 0);
    expect(v).toMatchObject({ verdict: 'exact', ignored: ['duration', 'outputs/logs/run.txt'], compared: { metrics: 2, artifacts: 1 } });
  });

  it('lists the environment differences that may explain a divergence', () => {
    const other = {
      ...env,
      python: { path: '/usr/bin/python3', version: '3.12.1' },
      cpu: { model: 'Other CPU', cores: 4 },
      gpus: [],
    };
    const v = compareRuns(run('a'), run('b', { environment: other, lock: 'NumPy==1.26.4\npip==24.0\ntorch==2.3.0\n' }), NO_RULES, 0);
    expect(v.verdict).toBe('exact');
    expect(v.environment).toEqual([
      { what: 'python', original: '3.11.4', reproduction: '3.12.1' },
      { what: 'cpu', original: 'Some CPU × 8', reproduction: 'Other CPU × 4' },
      { what: 'gpus', original: 'Some GPU (driver 550.1)', reproduction: 'none' },
      { what: 'package numpy', original: '1.26.0', reproduction: '1.26.4' },
      { what: 'package torch', original: null, reproduction: '2.3.0' },
    ]);
  });
});

describe('lockPins', () => {
  it('reads name==version and direct references by normalized name', () => {
    const pins = lockPins('# comment\nScikit_Learn==1.5.0\nmypkg @ file:///tmp/mypkg\n-e git+https://x/y.git@abc#egg=y\n\n');
    expect([...pins]).toEqual([
      ['scikit-learn', '1.5.0'],
      ['mypkg', 'file:///tmp/mypkg'],
      ['-e git+https://x/y.git@abc#egg=y', '-e git+https://x/y.git@abc#egg=y'],
    ]);
  });
});
