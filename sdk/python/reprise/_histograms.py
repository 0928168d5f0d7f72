"""Histograms: how a tensor's values were spread at a step, one JSON line per call.

The line goes into the metrics file through log()'s buffer, so lines stay whole and
in call order. Buckets are rows [left, right, count]; values are bucketed here, the
way TensorBoard's TF2 writer does it, and the runner's histogramOfValues
(src/core/histogram.ts) does the very same float operations in the same order, so a
histogram gets the same rows whichever side bucketed it.
"""

import json
import math
import operator
import time

from . import _metrics

DEFAULT_BINS = 30  # what tf.summary.histogram uses
MAX_BUCKETS = 10000  # the most the runner accepts in one point

_WHO = "reprise.log_histogram()"
_time = time.time


def log_histogram(key, values=None, step=None, *, bins=DEFAULT_BINS, counts=None, edges=None):
    """Record how values were spread at a step, e.g. log_histogram("weights", w, step=3).

    Either values (any iterable of numbers: a list, a numpy array, a tensor),
    bucketed into `bins` equal-width buckets from the least to the greatest value
    (NaN and infinities left out), with min, max, count, sum and sum of squares;
    or buckets already counted: `counts` (k numbers >= 0) between `edges`
    (k + 1 numbers, none less than the one before), written as given. The key
    follows log()'s rules for metric names, step too. Bad contents raise ValueError
    naming the argument, a wrong combination of arguments TypeError.
    """
    ts = _time() * 1000.0
    _check_key(key)
    if step is not None and (type(step) is not int or not 0 <= step <= _metrics.MAX_STEP):
        step = _metrics._checked_step(step, _WHO)
    bins = _check_bins(bins)
    if values is not None:
        if counts is not None or edges is not None:
            raise TypeError("%s: give either values or counts and edges, not both" % _WHO)
        buckets, stats = _bucketed(key, _floats(key, values), bins)
    elif counts is not None and edges is not None:
        buckets, stats = _given(counts, edges), None
    elif counts is not None or edges is not None:
        raise TypeError("%s: counts and edges go together; %s is missing" % (_WHO, "edges" if edges is None else "counts"))
    else:
        raise TypeError("%s: give values, or counts and edges" % _WHO)

    line = {"histogram": key}
    if step is not None:
        line["step"] = step
    line["ts"] = int(ts)
    line["buckets"] = buckets
    if stats is not None:
        line["stats"] = stats
    _metrics._append_line(json.dumps(line, allow_nan=False) + "\n")


def _check_key(key):
    if not isinstance(key, str):
        raise TypeError("%s: key must be a str, not %s" % (_WHO, type(key).__name__))
    if not 0 < len(key) <= _metrics.MAX_NAME or any(c < " " for c in key):
        raise ValueError(
            "%s: key %r must be 1 to %d characters without control characters" % (_WHO, key[:40], _metrics.MAX_NAME)
        )


def _check_bins(bins):
    if isinstance(bins, bool):
        raise TypeError("%s: bins must be an int, not bool" % _WHO)
    try:
        bins = operator.index(bins)
    except TypeError:
        raise TypeError("%s: bins must be an int, not %s" % (_WHO, type(bins).__name__)) from None
    if not 1 <= bins <= MAX_BUCKETS:
        raise ValueError("%s: bins must be between 1 and %d, got %d" % (_WHO, MAX_BUCKETS, bins))
    return bins


def _floats(key, values):
    if isinstance(values, (str, bytes)):
        raise TypeError("%s: values of %r must be numbers, not %s" % (_WHO, key, type(values).__name__))
    # numpy arrays and tensors: one conversion to a flat list instead of an element at a
    # time, and no numpy import here.
    if hasattr(values, "ravel") and hasattr(values, "tolist"):
        values = values.ravel().tolist()
    try:
        items = iter(values)
    except TypeError:
        raise TypeError(
            "%s: values of %r must be an iterable of numbers, not %s" % (_WHO, key, type(values).__name__)
        ) from None
    out = []
    append = out.append
    for i, x in enumerate(items):
        try:
            append(float(x))
        except Exception:
            raise TypeError(
                "%s: values of %r must be numbers; item %d is %s %.60r" % (_WHO, key, i, type(x).__name__, x)
            ) from None
    return out


def _bucketed(key, values, bins):
    # Kept operation for operation as histogramOfValues in src/core/histogram.ts
    # (plain running sums, not math.fsum), so both give bit-identical rows and stats.
    isfinite = math.isfinite
    lo = math.inf
    hi = -math.inf
    count = 0
    total = 0.0
    squares = 0.0
    for v in values:
        if not isfinite(v):
            continue
        if v < lo:
            lo = v
        if v > hi:
            hi = v
        count += 1
        total += v
        squares += v * v
    if count == 0:
        raise ValueError("%s: values of %r hold no finite number" % (_WHO, key))
    if lo == hi:
        rows = [[lo, hi, 0] for _ in range(bins)]
        rows[-1][2] = count
    else:
        width = (hi - lo) / bins
        if not isfinite(width):
            raise ValueError("%s: values of %r span more than the largest float" % (_WHO, key))
        rows = [[lo + b * width, lo + (b + 1) * width, 0] for b in range(bins)]
        rows[-1][1] = hi
        last = bins - 1
        floor = math.floor
        for v in values:
            if not isfinite(v):
                continue
            if width:
                b = floor((v - lo) / width)
            else:
                # Subnormal values whose spread over bins underflowed to 0: the
                # least go first, the rest to the last bucket (where x / 0 lands).
                b = 0 if v == lo else last
            rows[b if b < last else last][2] += 1
    stats = {"min": lo, "max": hi, "count": count, "sum": total, "sumSquares": squares}
    if not all(isfinite(s) for s in (total, squares)):
        stats = None  # a sum that overflowed is not a statistic the runner can store
    return rows, stats


def _given(counts, edges):
    counts = _number_list(counts, "counts")
    edges = _number_list(edges, "edges")
    if not counts:
        raise ValueError("%s: counts is empty; give at least one bucket" % _WHO)
    if len(counts) > MAX_BUCKETS:
        raise ValueError("%s: counts has %d buckets; at most %d" % (_WHO, len(counts), MAX_BUCKETS))
    if len(edges) != len(counts) + 1:
        raise ValueError(
            "%s: edges has %d numbers; expected one more than counts (%d)" % (_WHO, len(edges), len(counts))
        )
    for i, c in enumerate(counts):
        if not (c >= 0 and math.isfinite(c)):
            raise ValueError("%s: counts[%d] must be a finite number >= 0, got %r" % (_WHO, i, c))
    for i, e in enumerate(edges):
        if not math.isfinite(e):
            raise ValueError("%s: edges[%d] must be finite, got %r" % (_WHO, i, e))
        if i and e < edges[i - 1]:
            raise ValueError("%s: edges[%d] = %r is less than edges[%d] = %r" % (_WHO, i, e, i - 1, edges[i - 1]))
    # Whole counts as ints keep the line short; a weighted count stays a float.
    counts = [int(c) if c.is_integer() and c < 2 ** 53 else c for c in counts]
    return [[edges[b], edges[b + 1], counts[b]] for b in range(len(counts))]


def _number_list(seq, name):
    if isinstance(seq, (str, bytes)):
        raise TypeError("%s: %s must be numbers, not %s" % (_WHO, name, type(seq).__name__))
    if hasattr(seq, "ravel") and hasattr(seq, "tolist"):
        seq = seq.ravel().tolist()
    try:
        return [float(x) for x in seq]
    except TypeError as e:
        raise TypeError("%s: %s must be an iterable of numbers (%s)" % (_WHO, name, e)) from None
    except ValueError as e:
        raise ValueError("%s: %s must be numbers (%s)" % (_WHO, name, e)) from None
