/**
 * @module core/metric-goal
 * Whether a metric is better high or low, and which of a project's metrics to headline,
 * guessed from names until a project declares its gates: losses, errors and times are
 * better low; accuracies, scores and the rest better high.
 */

export type MetricGoal = 'max' | 'min';

/** Samples of the machine a run ran on (CPU, memory, GPUs): they never say how good a run is. */
export function isSystemMetric(key: string): boolean {
  return key.startsWith('system/');
}

const LOWER_IS_BETTER = /(^|[_./-])(loss|err|error|errors|mse|rmse|mae|mape|wer|cer|perplexity|ppl|latency|time|duration|seconds|ms|nll|fpr|fnr)($|[_./-])|loss|error/i;

export function metricGoal(key: string): MetricGoal {
  return LOWER_IS_BETTER.test(key) ? 'min' : 'max';
}

/** The better of two values for a goal; NaN never wins. */
export function isBetter(goal: MetricGoal, candidate: number, than: number | undefined): boolean {
  if (Number.isNaN(candidate)) return false;
  if (than === undefined || Number.isNaN(than)) return true;
  return goal === 'max' ? candidate > than : candidate < than;
}

const HELD_OUT = /^(val|valid|validation|test|eval|dev)[_./-]/i;
const QUALITY = /(acc|accuracy|f1|auc|score|precision|recall|map|iou|bleu|rouge|r2)/i;

/**
 * The metric that best says how good a run is: a held-out quality metric first
 * (val_acc), then any quality metric, then a held-out loss, then the first by name;
 * never a sample of the machine.
 */
export function headlineMetrics(keys: readonly string[], howMany = 3): string[] {
  const rank = (k: string): number => {
    const heldOut = HELD_OUT.test(k);
    const quality = QUALITY.test(k) && metricGoal(k) === 'max';
    if (heldOut && quality) return 0;
    if (quality) return 1;
    if (heldOut) return 2;
    return metricGoal(k) === 'min' ? 3 : 4;
  };
  return keys
    .filter((k) => !isSystemMetric(k))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .slice(0, howMany);
}
