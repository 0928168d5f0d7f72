"""Stage 5: write the model bundle to the run's model folder.

model.joblib is a scikit-learn Pipeline (the fitted scaler, then the
classifier), so it predicts from raw measurements. model.json describes it:
params, validation metrics and the library versions needed to load it.
"""

import os
import platform
from importlib.metadata import version

import joblib
import numpy as np
from sklearn.pipeline import Pipeline

from common import load_params, read_json, reprise, work_path, write_json

# A joblib file only loads reliably with the versions that wrote it.
LIBRARIES = ["numpy", "scipy", "scikit-learn", "joblib", "threadpoolctl"]


def main():
    params = load_params()
    data = np.load(work_path("processed.npz"))
    pipeline = Pipeline([("scaler", joblib.load(work_path("scaler.joblib"))),
                         ("classifier", joblib.load(work_path("model.joblib")))])
    metrics = read_json(os.path.join(reprise.output_dir(), "eval.json"))

    model_dir = reprise.model_dir()
    joblib.dump(pipeline, os.path.join(model_dir, "model.joblib"))
    write_json(os.path.join(model_dir, "model.json"), {
        "format": "reprise-iris-sklearn/1",
        "file": "model.joblib",
        "description": "sklearn Pipeline: StandardScaler, then SGDClassifier(loss='log_loss'); "
                       "predict() takes raw measurements in feature_names order",
        "feature_names": data["feature_names"].tolist(),
        "class_names": data["class_names"].tolist(),
        "params": params,
        "metrics": {k: metrics[k] for k in ("val_accuracy", "val_loss", "val_f1")},
        "python": platform.python_version(),
        "libraries": {name: version(name) for name in LIBRARIES},
    })
    print("model written to %s (val_accuracy %.4f)" % (model_dir, metrics["val_accuracy"]))


if __name__ == "__main__":
    main()
