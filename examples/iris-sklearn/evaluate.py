"""Stage 4: score the trained model on the validation set.

Logs the final val_accuracy, val_loss and val_f1 (macro average over the
classes), and writes eval.json with a confusion matrix to the output folder.
"""

import os

import joblib
import numpy as np
from sklearn.metrics import confusion_matrix, f1_score

from common import loss_and_accuracy, reprise, work_path, write_json


def main():
    data = np.load(work_path("processed.npz"))
    clf = joblib.load(work_path("model.joblib"))
    vx, vy = data["val_x"], data["val_y"]
    classes = data["class_names"].tolist()

    val_loss, val_acc = loss_and_accuracy(clf, vx, vy)
    pred = clf.predict(vx)
    # Macro: every class counts the same, however many rows it has.
    val_f1 = float(f1_score(vy, pred, average="macro"))
    matrix = confusion_matrix(vy, pred, labels=clf.classes_).tolist()
    # No step: these are the run's final values.
    reprise.log(val_accuracy=val_acc, val_loss=val_loss, val_f1=val_f1)

    write_json(os.path.join(reprise.output_dir(), "eval.json"), {
        "val_accuracy": val_acc,
        "val_loss": val_loss,
        "val_f1": val_f1,
        "val_rows": int(len(vy)),
        "class_names": classes,
        "confusion_matrix": {"rows": "true class", "columns": "predicted class", "counts": matrix},
    })

    print("validation accuracy %.4f, loss %.4f, macro F1 %.4f on %d rows"
          % (val_acc, val_loss, val_f1, len(vy)))
    print("confusion matrix (rows: true, columns: predicted; order %s):" % ", ".join(classes))
    for name, row in zip(classes, matrix):
        print("  %-10s %s" % (name, " ".join("%3d" % c for c in row)))


if __name__ == "__main__":
    main()
