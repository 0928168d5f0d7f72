"""Helpers shared by the iris stages: SDK import, paths, JSON files and the model math.

Everything here is standard-library Python so the example runs anywhere.
"""

import json
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_CSV = os.path.join(HERE, "data", "iris.csv")
# Intermediate files passed from one stage to the next.
WORK_DIR = os.path.join(HERE, "work")

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
CLASSES = ["setosa", "versicolor", "virginica"]

# Used only when neither the params nor the run provide a seed (matches reprise.yaml).
DEFAULT_SEED = 42


# --- Reprise SDK ------------------------------------------------------------
# Inside a run Reprise puts the SDK on PYTHONPATH. By hand, try the copy in this
# repository; failing that, use the small shim below, which follows the same
# environment-variable contract.


class _Shim(object):
    """Minimal stand-in for the `reprise` module (params, log, dirs, seed)."""

    @staticmethod
    def params():
        path = os.environ.get("REPRISE_PARAMS") or "input.json"
        with open(path) as f:
            return json.load(f)

    @staticmethod
    def log(step=None, **metrics):
        path = os.environ.get("REPRISE_METRICS") or "reprise-metrics.jsonl"
        record = {"step": step, "ts": int(time.time() * 1000)}
        record.update(metrics)
        # json.dumps writes NaN/Infinity bare, which is what the metrics format expects.
        with open(path, "a") as f:
            f.write(json.dumps(record) + "\n")

    @staticmethod
    def _dir(var, default):
        path = os.environ.get(var) or default
        os.makedirs(path, exist_ok=True)
        return path

    @classmethod
    def output_dir(cls):
        return cls._dir("REPRISE_OUTPUT_DIR", "outputs")

    @classmethod
    def model_dir(cls):
        return cls._dir("REPRISE_MODEL_DIR", "model")

    @staticmethod
    def seed():
        value = os.environ.get("REPRISE_SEED")
        return int(value) if value not in (None, "") else None


def _import_reprise():
    try:
        import reprise
        return reprise
    except ImportError:
        pass
    sdk = os.path.normpath(os.path.join(HERE, "..", "..", "sdk", "python"))
    if os.path.isdir(sdk) and sdk not in sys.path:
        sys.path.insert(0, sdk)
    try:
        import reprise
        return reprise
    except ImportError:
        return _Shim


reprise = _import_reprise()


# --- params -----------------------------------------------------------------


def load_params():
    """Params with types normalised: overrides given on a command line may arrive as strings."""
    p = reprise.params()
    optim = p.get("optim", {})
    seed = p.get("seed")
    if seed is None:
        seed = reprise.seed()
    if seed is None:
        seed = DEFAULT_SEED
    return {
        "seed": int(seed),
        "val_fraction": float(p.get("val_fraction", 0.2)),
        "epochs": int(p.get("epochs", 40)),
        "optim": {
            "lr": float(optim.get("lr", 0.3)),
            "batch_size": int(optim.get("batch_size", 16)),
            "l2": float(optim.get("l2", 0.0)),
        },
    }


def rng_for(seed, stage):
    """A generator per stage, derived from the seed, so stages don't share a stream.

    String seeds are hashed with SHA-512 by `random`, so this does not depend on
    PYTHONHASHSEED.
    """
    import random
    return random.Random("%d:%s" % (seed, stage))


# --- files ------------------------------------------------------------------


def write_json(path, obj):
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


def read_json(path):
    with open(path) as f:
        return json.load(f)


def work_path(name):
    return os.path.join(WORK_DIR, name)


# --- softmax regression -----------------------------------------------------


def logits(weights, bias, x):
    return [sum(w * v for w, v in zip(row, x)) + b for row, b in zip(weights, bias)]


def softmax(z):
    # Subtract the max so exp() cannot overflow.
    m = max(z)
    e = [math.exp(v - m) for v in z]
    s = sum(e)
    return [v / s for v in e]


def predict_proba(weights, bias, x):
    return softmax(logits(weights, bias, x))


def evaluate(weights, bias, xs, ys):
    """Mean cross-entropy and accuracy over a data set."""
    loss = 0.0
    correct = 0
    for x, y in zip(xs, ys):
        p = predict_proba(weights, bias, x)
        loss -= math.log(max(p[y], 1e-12))
        if argmax(p) == y:
            correct += 1
    n = len(ys)
    return loss / n, correct / n


def argmax(values):
    best = 0
    for i in range(1, len(values)):
        if values[i] > values[best]:
            best = i
    return best
