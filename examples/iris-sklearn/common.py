"""Helpers shared by the stages: SDK import, params, paths and JSON files."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# Intermediate files passed from one stage to the next.
WORK_DIR = os.path.join(HERE, "work")

# Used only when neither the params nor the run provide a seed (matches reprise.yaml).
DEFAULT_SEED = 42


def _import_reprise():
    # Inside a run Reprise puts the SDK on PYTHONPATH; by hand, use the copy in
    # this repository.
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
        raise SystemExit("cannot import the reprise SDK: run inside a Reprise run, from this "
                         "repository, or after `pip install <repo>/sdk/python`")


reprise = _import_reprise()


def load_params():
    """Params with types normalised: overrides given on a command line may arrive as strings."""
    p = reprise.params()
    model = p.get("model", {})
    seed = p.get("seed")
    if seed is None:
        seed = reprise.seed()
    if seed is None:
        seed = DEFAULT_SEED
    return {
        "seed": int(seed),
        "val_fraction": float(p.get("val_fraction", 0.2)),
        "epochs": int(p.get("epochs", 20)),
        "model": {
            "alpha": float(model.get("alpha", 0.001)),
            "learning_rate": str(model.get("learning_rate", "optimal")),
            "eta0": float(model.get("eta0", 0.01)),
        },
    }


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
    os.makedirs(WORK_DIR, exist_ok=True)
    return os.path.join(WORK_DIR, name)


def loss_and_accuracy(clf, x, y):
    """Mean cross-entropy of the predicted probabilities, and accuracy."""
    from sklearn.metrics import accuracy_score, log_loss
    # labels= keeps the loss defined even if a set lacks a class.
    loss = log_loss(y, clf.predict_proba(x), labels=clf.classes_)
    return float(loss), float(accuracy_score(y, clf.predict(x)))
