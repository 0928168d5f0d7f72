"""Stage 5: write the model bundle to the run's model folder.

The bundle is model.json (everything needed to predict) plus a copy of
predict.py, which uses only the standard library.
"""

import os
import shutil

from common import HERE, load_params, read_json, reprise, work_path, write_json


def main():
    params = load_params()
    data = read_json(work_path("processed.json"))
    model = read_json(work_path("weights.json"))
    out = reprise.output_dir()
    val_accuracy = read_json(os.path.join(out, "eval.json"))["val_accuracy"]

    model_dir = reprise.model_dir()
    write_json(os.path.join(model_dir, "model.json"), {
        "format": "reprise-iris-softmax/1",
        "description": "Softmax regression: z = (x - mean) / std; p = softmax(weights @ z + bias)",
        "feature_names": data["feature_names"],
        "class_names": data["class_names"],
        "mean": data["mean"],
        "std": data["std"],
        "weights": model["weights"],
        "bias": model["bias"],
        "params": params,
        "val_accuracy": val_accuracy,
    })
    shutil.copyfile(os.path.join(HERE, "predict.py"), os.path.join(model_dir, "predict.py"))
    print("model written to %s (val_accuracy %.4f)" % (model_dir, val_accuracy))


if __name__ == "__main__":
    main()
