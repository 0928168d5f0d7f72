import { describe, expect, it } from 'vitest';
import { headlineMetrics, isBetter, isSystemMetric, metricGoal } from './metric-goal.js';

describe('metricGoal', () => {
  it('calls losses, errors and times better low', () => {
    for (const k of ['loss', 'val_loss', 'train/loss', 'error_rate', 'rmse', 'epoch_time', 'latency_ms', 'wer']) expect(metricGoal(k), k).toBe('min');
  });
  it('calls accuracies, scores and unknown names better high', () => {
    for (const k of ['acc', 'val_acc', 'f1', 'auc', 'score', 'throughput', 'timestamp_count']) expect(metricGoal(k), k).toBe('max');
  });
});

describe('isBetter', () => {
  it('compares by goal and never lets NaN win', () => {
    expect(isBetter('max', 2, 1)).toBe(true);
    expect(isBetter('min', 2, 1)).toBe(false);
    expect(isBetter('max', Number.NaN, 1)).toBe(false);
    expect(isBetter('min', 5, undefined)).toBe(true);
    expect(isBetter('min', 5, Number.NaN)).toBe(true);
  });
});

describe('headlineMetrics', () => {
  it('puts held-out quality first, then quality, then held-out loss', () => {
    expect(headlineMetrics(['loss', 'train_acc', 'val_loss', 'val_acc', 'epoch'])).toEqual(['val_acc', 'train_acc', 'val_loss']);
  });
  it('gives nothing for a project without metrics', () => {
    expect(headlineMetrics([])).toEqual([]);
  });
  it("never headlines the machine's system/ samples", () => {
    expect(headlineMetrics(['system/cpu_percent', 'reward', 'system/gpu0/utilization_percent'])).toEqual(['reward']);
    expect(isSystemMetric('system/memory_percent')).toBe(true);
    expect(isSystemMetric('systematic_error')).toBe(false);
  });
});
