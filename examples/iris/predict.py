"""Classify iris flowers with a model bundle written by persist.py.

Usage:
    python predict.py 5.1 3.5 1.4 0.2            # one flower
    python predict.py < flowers.csv              # many: one row of 4 numbers per line
    python predict.py --model path/to/model.json 6.3 2.9 5.6 1.8

Features, in order: sepal_length sepal_width petal_length petal_width (cm).
Standard library only, so the bundle can be used without this project.
"""

import json
import math
import os
import sys


def load_model(path=None):
    if path is None:
        here = os.path.dirname(os.path.abspath(__file__))
        # Beside this file inside a bundle; under model/ when run from the example folder.
        path = os.path.join(here, "model.json")
        if not os.path.exists(path):
            path = os.path.join(here, "model", "model.json")
    with open(path) as f:
        return json.load(f)


def predict(model, features):
    """Return (class name, probabilities by class name) for one row of raw features."""
    z = [(v - m) / s for v, m, s in zip(features, model["mean"], model["std"])]
    logits = [sum(w * v for w, v in zip(row, z)) + b for row, b in zip(model["weights"], model["bias"])]
    top = max(logits)
    e = [math.exp(v - top) for v in logits]
    total = sum(e)
    probs = [v / total for v in e]
    best = probs.index(max(probs))
    return model["class_names"][best], dict(zip(model["class_names"], probs))


def main(argv):
    model_path = None
    if len(argv) >= 2 and argv[0] == "--model":
        model_path, argv = argv[1], argv[2:]
    model = load_model(model_path)
    n = len(model["feature_names"])
    if argv:
        rows = [argv]
    else:
        rows = [line.replace(",", " ").split() for line in sys.stdin if line.strip()]
    for row in rows:
        if len(row) != n:
            raise SystemExit("expected %d numbers (%s), got %d" % (n, " ".join(model["feature_names"]), len(row)))
        name, probs = predict(model, [float(v) for v in row])
        print("%s  %s" % (name, "  ".join("%s=%.3f" % kv for kv in probs.items())))


if __name__ == "__main__":
    main(sys.argv[1:])
