"""Stage 2: seeded stratified train/validation split, then standardize features.

Mean and standard deviation come from the training rows only, so nothing about
the validation rows leaks into training.
"""

import math

from common import load_params, read_json, rng_for, work_path, write_json


def stratified_split(labels, val_fraction, rng):
    """Split row indices so each class keeps its proportion in both sets."""
    train, val = [], []
    for k in sorted(set(labels)):
        rows = [i for i, y in enumerate(labels) if y == k]
        rng.shuffle(rows)
        n_val = int(round(len(rows) * val_fraction))
        val.extend(rows[:n_val])
        train.extend(rows[n_val:])
    # Mix the classes so neither set is ordered by label.
    rng.shuffle(train)
    rng.shuffle(val)
    return train, val


def main():
    params = load_params()
    if not 0.0 < params["val_fraction"] < 1.0:
        raise SystemExit("val_fraction must be between 0 and 1, got %s" % params["val_fraction"])
    raw = read_json(work_path("raw.json"))
    xs, ys = raw["features"], raw["labels"]

    train_idx, val_idx = stratified_split(ys, params["val_fraction"], rng_for(params["seed"], "split"))
    if not train_idx or not val_idx:
        raise SystemExit("val_fraction %s leaves an empty set" % params["val_fraction"])

    n_feat = len(raw["feature_names"])
    mean = [sum(xs[i][j] for i in train_idx) / len(train_idx) for j in range(n_feat)]
    std = []
    for j in range(n_feat):
        var = sum((xs[i][j] - mean[j]) ** 2 for i in train_idx) / len(train_idx)
        # A constant feature would divide by zero; leave it unscaled instead.
        std.append(math.sqrt(var) if var > 0 else 1.0)

    def scale(i):
        return [(xs[i][j] - mean[j]) / std[j] for j in range(n_feat)]

    write_json(work_path("processed.json"), {
        "feature_names": raw["feature_names"],
        "class_names": raw["class_names"],
        "mean": mean,
        "std": std,
        "train": {"x": [scale(i) for i in train_idx], "y": [ys[i] for i in train_idx]},
        "val": {"x": [scale(i) for i in val_idx], "y": [ys[i] for i in val_idx]},
    })
    print("split %d train / %d validation rows (seed %d)" % (len(train_idx), len(val_idx), params["seed"]))


if __name__ == "__main__":
    main()
