"""Stage 2: seeded stratified train/validation split, then standardize features.

The StandardScaler is fitted on the training rows only, so nothing about the
validation rows leaks into training.
"""

import joblib
import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from common import load_params, work_path


def main():
    params = load_params()
    if not 0.0 < params["val_fraction"] < 1.0:
        raise SystemExit("val_fraction must be between 0 and 1, got %s" % params["val_fraction"])
    raw = np.load(work_path("raw.npz"))
    x, y = raw["x"], raw["y"]

    try:
        tx, vx, ty, vy = train_test_split(x, y, test_size=params["val_fraction"], stratify=y,
                                          random_state=params["seed"])
    except ValueError as e:
        # Raised when the fraction leaves a set too small to hold every class.
        raise SystemExit("val_fraction %s: %s" % (params["val_fraction"], e))

    scaler = StandardScaler().fit(tx)
    np.savez(work_path("processed.npz"), train_x=scaler.transform(tx), train_y=ty,
             val_x=scaler.transform(vx), val_y=vy,
             feature_names=raw["feature_names"], class_names=raw["class_names"])
    joblib.dump(scaler, work_path("scaler.joblib"))
    print("split %d train / %d validation rows (seed %d)" % (len(ty), len(vy), params["seed"]))


if __name__ == "__main__":
    main()
