"""Writes TensorBoard event files with the real libraries, and what they hold.

Usage: python write_fixtures.py OUTDIR   (the .venv-tensorboard interpreter)

  OUTDIR/tbx/     tensorboardX.SummaryWriter: scalars, histograms (its default
                  exponential bins, and one add_histogram_raw), text, hparams
  OUTDIR/tf2/     TensorBoard's own EventFileWriter with TF2 tensor summaries
                  (scalar, histogram, text, hparams), built without TensorFlow
  OUTDIR/torch/   torch.utils.tensorboard.SummaryWriter, only when torch imports
  OUTDIR/expected.json

expected.json is computed here from the inputs and the writers' documented
conversions, never by reading the files back, so that a reader under test is not
checked against itself. Floats are JSON numbers, except NaN and the infinities,
written as the strings "NaN", "Infinity" and "-Infinity". Shape:

  {"tbx": {"dir": "tbx",
           "scalars": {tag: [[step, value], ...]},
           "histograms": {tag: [{"step", "buckets": [[left, right, count], ...],
                                 "stats": {"min", "max", "count", "sum", "sumSquares"} | null}]},
           "text": {tag: [[step, text], ...]},
           "hparams": {"dir": subdir relative to OUTDIR/tbx, "params": {...},
                       "metrics": {tag: value}, "status": "STATUS_SUCCESS",
                       "experiment": {"hparams": [names], "metrics": [tags]}}},
   "tf2": {... same keys, "hparams": {"params", "trial", "experiment"}},
   "torch": {... as tbx} | null}
"""

import math
import os
import sys
import time

import numpy as np

import tb_json

N = 10  # scalars at steps 0..N
BIG_STEP = 3_000_000_000  # beyond int32: steps are int64 in the Event proto
HIST_STEPS = (0, 5, 10)
HPARAMS = {"lr": 0.01, "optimizer": "adam", "layers": 3, "dropout_on": True}
HP_METRICS = {"hparam/accuracy": 0.9}
TEXTS = [(1, "some **markdown** text"), (2, "\u00e9t\u00e9 \u2713 \u65e5\u672c")]

SCALARS = {
    "loss": [(s, 1.0 / (s + 1)) for s in range(N + 1)] + [(BIG_STEP, 0.001)],
    "train/acc": [(s, 0.5 + 0.04 * s) for s in range(N + 1)],
    # What float32 does to special and extreme values: NaN and the infinities kept,
    # 0.1 rounded, a subnormal, and a value near float32's largest.
    "odd": [
        (0, math.nan),
        (1, math.inf),
        (2, -math.inf),
        (3, 0.1),
        (4, 0.0),
        (5, -2.5),
        (6, 1e-40),
        (7, 3e38),
    ],
}

# add_histogram_raw takes right edges only; min is the first bucket's left edge.
# An interior empty bucket is kept; the end buckets are not empty, so no reader
# may trim them.
RAW_VALUES = [-1.0, -0.5, -0.25, 0.1, 0.2, 0.3, 0.4, 0.5, 3.0, 3.5]
RAW_LIMITS = [0.0, 1.0, 2.0, 4.0]
RAW_COUNTS = [3, 5, 0, 2]
RAW_STEP = 2


def f32(v):
    """The value a float32 field holds after writing v."""
    with np.errstate(over="ignore", under="ignore"):
        return float(np.float32(v))


def histogram_values(step):
    # Fixed seed: the fixtures are the same on every run.
    return np.random.default_rng(1000 + step).normal(loc=0.1 * step, scale=1.0, size=1000)


def bins_rows(values, bins):
    """What SummaryWriter.add_histogram stores, as rows.

    tensorboardX and torch bucket with np.histogram and keep the bins from the first
    non-empty one to the last (interior empty bins too), plus one empty bin on the left
    whose right limit is the first kept bin's left edge (the proto has right limits
    only). That extra bin is not data; the rows are the kept bins with both edges.
    """
    counts, limits = np.histogram(values, bins=bins)
    nonzero = np.flatnonzero(counts)
    first, last = int(nonzero[0]), int(nonzero[-1])
    return [[float(limits[j]), float(limits[j + 1]), int(counts[j])] for j in range(first, last + 1)]


def proto_stats(values):
    # The same numpy reductions the writers put into HistogramProto.
    return {
        "min": float(values.min()),
        "max": float(values.max()),
        "count": int(values.size),
        "sum": float(values.sum()),
        "sumSquares": float(values.dot(values)),
    }


def raw_expected():
    rows, left = [], min(RAW_VALUES)
    for right, count in zip(RAW_LIMITS, RAW_COUNTS):
        rows.append([left, right, count])
        left = right
    stats = {
        "min": min(RAW_VALUES),
        "max": max(RAW_VALUES),
        "count": len(RAW_VALUES),
        "sum": math.fsum(RAW_VALUES),
        "sumSquares": math.fsum(v * v for v in RAW_VALUES),
    }
    return rows, stats


def write_summary_writer(writer_cls, logdir, flavor):
    """Writes with a SummaryWriter of tensorboardX or torch (the same API) and returns
    what it wrote. flavor is "tbx" or "torch": where their conversions differ."""
    writer = writer_cls(logdir)
    scalars = {}
    for tag, points in SCALARS.items():
        for step, value in points:
            writer.add_scalar(tag, value, step)
        scalars[tag] = [[step, f32(value)] for step, value in points]

    histograms = {"weights": [], "constant": [], "raw": []}
    for step in HIST_STEPS:
        values = histogram_values(step)
        writer.add_histogram("weights", values, step)
        histograms["weights"].append(
            {"step": step, "buckets": bins_rows(values, writer.default_bins), "stats": proto_stats(values)}
        )
    constant = np.full(50, 2.0)  # a single non-empty bin
    writer.add_histogram("constant", constant, 3)
    histograms["constant"].append(
        {"step": 3, "buckets": bins_rows(constant, writer.default_bins), "stats": proto_stats(constant)}
    )
    rows, stats = raw_expected()
    writer.add_histogram_raw(
        "raw",
        min=stats["min"],
        max=stats["max"],
        num=stats["count"],
        sum=stats["sum"],
        sum_squares=stats["sumSquares"],
        bucket_limits=RAW_LIMITS,
        bucket_counts=RAW_COUNTS,
        global_step=RAW_STEP,
    )
    histograms["raw"].append({"step": RAW_STEP, "buckets": rows, "stats": stats})

    for step, text in TEXTS:
        writer.add_text("notes", text, step)
    text = {"notes/text_summary": [[step, t] for step, t in TEXTS]}

    # The default subfolder name is str(time.time()); made here so it is known.
    hp_dir = str(time.time())
    if flavor == "torch":
        writer.add_hparams(HPARAMS, HP_METRICS, run_name=hp_dir)
    else:
        writer.add_hparams(HPARAMS, HP_METRICS, name=hp_dir)
    writer.close()

    params = {}
    for k, v in HPARAMS.items():
        if isinstance(v, str):
            params[k] = v
        elif isinstance(v, bool) and flavor == "tbx":
            params[k] = v
        else:
            # Numbers go into number_value, a double; torch tests int before bool,
            # so its True is stored as 1.0.
            params[k] = float(v)
    hparams = {
        "dir": hp_dir,
        "params": params,
        # Written by add_scalar (float32) at step 0 into the hparams subfolder.
        "metrics": {k: f32(v) for k, v in HP_METRICS.items()},
        "status": "STATUS_SUCCESS",
        "experiment": {"hparams": list(HPARAMS), "metrics": list(HP_METRICS)},
    }
    return {
        "dir": os.path.basename(logdir),
        "scalars": scalars,
        "histograms": histograms,
        "text": text,
        "hparams": hparams,
    }


def write_tbx(logdir):
    from tensorboardX import SummaryWriter

    return write_summary_writer(SummaryWriter, logdir, "tbx")


def write_torch(logdir):
    try:
        import torch  # noqa: F401
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return write_summary_writer(SummaryWriter, logdir, "torch")


def write_tf2(logdir):
    # These import without TensorFlow: TensorBoard falls back to its compat stubs.
    from tensorboard.compat.proto import event_pb2
    from tensorboard.plugins.histogram import summary_v2 as histogram_summary
    from tensorboard.plugins.hparams import summary_v2 as hp
    from tensorboard.plugins.scalar import summary_v2 as scalar_summary
    from tensorboard.plugins.text import summary_v2 as text_summary
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    from tensorboard.util import tensor_util

    writer = EventFileWriter(logdir)

    def put(step, summary):
        writer.add_event(event_pb2.Event(wall_time=time.time(), step=step, summary=summary))

    trial = "trial-1"
    put(
        0,
        hp.hparams_config_pb(
            hparams=[
                hp.HParam("lr", hp.RealInterval(0.001, 0.1)),
                hp.HParam("optimizer", hp.Discrete(["adam", "sgd"])),
                hp.HParam("layers", hp.IntInterval(1, 8)),
                hp.HParam("dropout_on", hp.Discrete([True, False])),
            ],
            metrics=[hp.Metric("accuracy")],
        ),
    )
    put(0, hp.hparams_pb(HPARAMS, trial_id=trial))

    scalars = {}
    for tag, points in SCALARS.items():
        for step, value in points:
            put(step, scalar_summary.scalar_pb(tag, value))
        # scalar_pb casts to float32 before making the tensor.
        scalars[tag] = [[step, f32(value)] for step, value in points]
    put(N, scalar_summary.scalar_pb("accuracy", 0.9))
    scalars["accuracy"] = [[N, f32(0.9)]]

    histograms = {"weights": [], "coarse": [], "constant": []}

    def put_histogram(tag, step, values, buckets):
        summary = histogram_summary.histogram_pb(tag, values, buckets=buckets)
        put(step, summary)
        # The rows are the tensor histogram_pb made: [k, 3] doubles, no stats in TF2 form.
        rows = tensor_util.make_ndarray(summary.value[0].tensor).tolist()
        histograms[tag].append(
            {"step": step, "buckets": [[left, right, int(count)] for left, right, count in rows], "stats": None}
        )

    for step in HIST_STEPS:
        put_histogram("weights", step, histogram_values(step), 30)
    put_histogram("coarse", 4, histogram_values(4), 7)
    put_histogram("constant", 3, np.full(50, 2.0), 30)  # zero width: count in the last bucket

    for step, text in TEXTS:
        put(step, text_summary.text_pb("notes", text))
    text = {"notes": [[step, t] for step, t in TEXTS]}
    writer.close()

    # number_value is a double; bools and strings are kept as they are.
    params = {k: v if isinstance(v, (bool, str)) else float(v) for k, v in HPARAMS.items()}
    return {
        "dir": os.path.basename(logdir),
        "scalars": scalars,
        "histograms": histograms,
        "text": text,
        "hparams": {
            "params": params,
            "trial": trial,
            "experiment": {"hparams": ["lr", "optimizer", "layers", "dropout_on"], "metrics": ["accuracy"]},
        },
    }


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: write_fixtures.py OUTDIR\n")
        return 2
    import logging

    # tensorboardX warns on each NaN or infinite scalar, which the fixtures write on purpose.
    logging.getLogger("tensorboardX").setLevel(logging.ERROR)
    out = os.path.abspath(argv[1])
    # Event files left from an earlier run would be read with these and not match.
    if os.path.isdir(out) and os.listdir(out):
        sys.stderr.write("write_fixtures.py: %s is not empty\n" % out)
        return 2
    os.makedirs(out, exist_ok=True)
    expected = {
        "tbx": write_tbx(os.path.join(out, "tbx")),
        "tf2": write_tf2(os.path.join(out, "tf2")),
        "torch": write_torch(os.path.join(out, "torch")),
    }
    with open(os.path.join(out, "expected.json"), "w") as f:
        tb_json.dump(expected, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
