import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { RepriseError } from '../core/errors.js';
import { pointsOf, type MetricBatch } from '../core/metric-series.js';
import type { MetricWriter } from '../ports/metadata-store.js';
import type { SampleScope, SystemProbe } from '../ports/system-monitor.js';
import { SystemMetrics, systemMetricsInterval } from './system-metrics.js';

interface Append {
  readonly runId: string;
  readonly batches: readonly MetricBatch[];
  readonly writer: MetricWriter | undefined;
}

function fakeStore(fail = false): { appends: Append[]; appendMetrics: (runId: string, batches: readonly MetricBatch[], writer?: MetricWriter) => Promise<boolean> } {
  const appends: Append[] = [];
  return {
    appends,
    appendMetrics: async (runId, batches, writer) => {
      if (fail) throw new Error('disk full');
      appends.push({ runId, batches, writer });
      return true;
    },
  };
}

/** Sample n is `{ system/a: n, system/b: 10 n }`; records the scopes it was given. */
function fakeProbe(delayMs = 0): SystemProbe & { scopes: SampleScope[]; active: number; maxActive: number } {
  let n = 0;
  const probe = {
    scopes: [] as SampleScope[],
    active: 0,
    maxActive: 0,
    async sample(scope: SampleScope): Promise<Record<string, number>> {
      probe.scopes.push(scope);
      probe.active++;
      probe.maxActive = Math.max(probe.maxActive, probe.active);
      if (delayMs > 0) await sleep(delayMs);
      probe.active--;
      const i = n++;
      return { 'system/b': 10 * i, 'system/a': i };
    },
  };
  return probe;
}

const rows = (appends: readonly Append[]): [string, number, number][] =>
  appends.flatMap((a) => a.batches.flatMap((b) => pointsOf(b.key, b).map((p): [string, number, number] => [p.key, p.step, p.value])));

const scope: SampleScope = { processGroups: [42], gpus: ['0'] };

describe('SystemMetrics', () => {
  it('stores one point per key per sample, steps 0, 1, 2, ..., and a last sample on stop', async () => {
    const store = fakeStore();
    const probe = fakeProbe();
    const m = new SystemMetrics({ probe, store, runId: 'run-1', intervalMs: 20, scope: () => scope });
    const before = Date.now();
    m.start();
    const deadline = Date.now() + 5_000;
    while (store.appends.length < 3 && Date.now() < deadline) await sleep(5);
    await m.stop();
    const after = Date.now();

    const n = store.appends.length;
    expect(n).toBeGreaterThanOrEqual(4); // three while running, one on stop
    expect(probe.scopes.every((s) => s === scope)).toBe(true);
    expect(store.appends.every((a) => a.runId === 'run-1')).toBe(true);
    const expected: [string, number, number][] = [];
    for (let i = 0; i < n; i++) expected.push(['system/a', i, i], ['system/b', i, 10 * i]);
    expect(rows(store.appends)).toEqual(expected);
    for (const a of store.appends) {
      for (const b of a.batches) {
        expect(b.steps).toBeInstanceOf(Float64Array);
        expect(b.values).toBeInstanceOf(Float64Array);
        expect(b.ts[0]).toBeGreaterThanOrEqual(before);
        expect(b.ts[0]).toBeLessThanOrEqual(after);
      }
    }
    // One writer, its seq one more with every append, so the store can skip a resend.
    const writers = store.appends.map((a) => a.writer!);
    expect(new Set(writers.map((w) => w.id)).size).toBe(1);
    expect(writers[0]!.id).toMatch(/^[0-9a-f]{16}$/);
    expect(writers.map((w) => w.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));

    // Stopped: no more samples, and a second stop stores nothing more.
    await sleep(60);
    await m.stop();
    expect(store.appends).toHaveLength(n);
  });

  it('asks for the scope at each tick', async () => {
    const store = fakeStore();
    const scopes: SampleScope[] = [{ processGroups: [1], gpus: null }, { processGroups: [], gpus: null }];
    let i = 0;
    const probe = fakeProbe();
    const m = new SystemMetrics({ probe, store, runId: 'r', intervalMs: 10, scope: () => scopes[Math.min(i++, 1)]! });
    m.start();
    await m.stop();
    expect(probe.scopes).toEqual(scopes);
  });

  it('never overlaps samples: a slow one delays the next', async () => {
    const store = fakeStore();
    const probe = fakeProbe(50);
    const m = new SystemMetrics({ probe, store, runId: 'r', intervalMs: 5, scope: () => scope });
    m.start();
    await sleep(200);
    await m.stop();
    expect(probe.maxActive).toBe(1);
    expect(store.appends.length).toBeGreaterThanOrEqual(2);
    expect(store.appends.length).toBeLessThanOrEqual(5);
  });

  it('does nothing when off, or stopped without a start, and stop is safe twice', async () => {
    const store = fakeStore();
    const probe = fakeProbe();
    const off = new SystemMetrics({ probe, store, runId: 'r', intervalMs: 0, scope: () => scope });
    off.start();
    await off.stop();
    await off.stop();
    const unstarted = new SystemMetrics({ probe, store, runId: 'r', intervalMs: 1_000, scope: () => scope });
    await unstarted.stop();
    await unstarted.stop();
    unstarted.start(); // after stop: stays stopped
    await sleep(20);
    expect(probe.scopes).toHaveLength(0);
    expect(store.appends).toHaveLength(0);
  });

  it('leaves out values that are not finite and stores nothing for an empty sample', async () => {
    const store = fakeStore();
    const samples: Record<string, number>[] = [{ 'system/x': 1, 'system/nan': Number.NaN, 'system/inf': Number.POSITIVE_INFINITY }, {}];
    let i = 0;
    const probe: SystemProbe = { sample: async () => samples[Math.min(i++, 1)]! };
    const m = new SystemMetrics({ probe, store, runId: 'r', intervalMs: 1_000, scope: () => scope });
    m.start();
    await m.stop();
    expect(rows(store.appends)).toEqual([['system/x', 0, 1]]);
  });

  it('says a failed append once and goes on sampling', async () => {
    const store = fakeStore(true);
    const probe = fakeProbe();
    const problems: string[] = [];
    const m = new SystemMetrics({ probe, store, runId: 'r', intervalMs: 10, scope: () => scope, onProblem: (p) => problems.push(p) });
    m.start();
    await sleep(80);
    await m.stop();
    expect(probe.scopes.length).toBeGreaterThanOrEqual(3);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('disk full');
  });

  it('survives a probe that throws despite its contract', async () => {
    const store = fakeStore();
    const problems: string[] = [];
    let i = 0;
    const probe: SystemProbe = {
      sample: async () => {
        if (i++ === 0) throw new Error('boom');
        return { 'system/y': 2 };
      },
    };
    const m = new SystemMetrics({ probe, store, runId: 'r', intervalMs: 1_000, scope: () => scope, onProblem: (p) => problems.push(p) });
    m.start();
    await m.stop();
    // The failed sample still took step 0.
    expect(rows(store.appends)).toEqual([['system/y', 1, 2]]);
    expect(problems).toHaveLength(1);
  });
});

describe('systemMetricsInterval', () => {
  const at = (value: string | undefined): number => systemMetricsInterval(value === undefined ? {} : { REPRISE_SYSTEM_METRICS_INTERVAL: value });

  it('is 5 s by default', () => {
    expect(at(undefined)).toBe(5_000);
    expect(at('')).toBe(5_000);
    expect(at('  ')).toBe(5_000);
  });

  it('reads durations, and 0 or off as disabled', () => {
    expect(at('5s')).toBe(5_000);
    expect(at(' 10s ')).toBe(10_000);
    expect(at('0.5s')).toBe(500);
    expect(at('1m')).toBe(60_000);
    expect(at('0')).toBe(0);
    expect(at('off')).toBe(0);
    expect(at('OFF')).toBe(0);
  });

  it('refuses anything else, naming the variable', () => {
    for (const bad of ['500ms', 'fast', '5', '-5s', '5 s s', '0.01s']) {
      let err: unknown;
      try {
        at(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(RepriseError);
      expect((err as RepriseError).code).toBe('REPRISE_ERR_ARG_INVALID');
      expect((err as RepriseError).message).toContain('REPRISE_SYSTEM_METRICS_INTERVAL');
      expect((err as RepriseError).message).toContain(JSON.stringify(bad));
    }
  });
});
