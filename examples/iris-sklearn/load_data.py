"""Stage 1: load the iris data bundled with scikit-learn, check it, write work/raw.npz.

load_iris() reads a CSV shipped inside the scikit-learn package: no network.
"""

import numpy as np
from sklearn.datasets import load_iris

from common import work_path


def main():
    data = load_iris()
    x, y = data.data, data.target
    n_cls = len(data.target_names)
    if x.ndim != 2 or x.shape[0] != y.shape[0]:
        raise SystemExit("unexpected shapes: features %s, labels %s" % (x.shape, y.shape))
    if not np.isfinite(x).all():
        raise SystemExit("non-finite feature values")
    counts = np.bincount(y, minlength=n_cls)
    if counts.min() == 0:
        raise SystemExit("every class needs at least one row, got counts %s" % counts.tolist())

    np.savez(work_path("raw.npz"), x=x, y=y,
             feature_names=np.array(data.feature_names), class_names=np.array(data.target_names))
    print("loaded %d rows, %d features, class counts %s" % (
        x.shape[0], x.shape[1], dict(zip(data.target_names.tolist(), counts.tolist()))))


if __name__ == "__main__":
    main()
