"""Stage 3: logistic-loss SGD, one pass over the training rows per epoch.

partial_fit runs exactly one epoch, which lets this stage log train/validation
loss and accuracy after each one. Writes work/model.joblib and work/history.json.
"""

import joblib
import numpy as np
from sklearn.linear_model import SGDClassifier

from common import load_params, loss_and_accuracy, reprise, work_path, write_json


def main():
    params = load_params()
    if params["epochs"] < 1:
        raise SystemExit("epochs must be at least 1")
    data = np.load(work_path("processed.npz"))
    tx, ty = data["train_x"], data["train_y"]
    vx, vy = data["val_x"], data["val_y"]
    classes = np.arange(len(data["class_names"]))

    m = params["model"]
    # shuffle=False: partial_fit would reseed its shuffle from random_state on
    # every call and so repeat one order; the rows are permuted below instead.
    clf = SGDClassifier(loss="log_loss", alpha=m["alpha"], learning_rate=m["learning_rate"],
                        eta0=m["eta0"], shuffle=False, random_state=params["seed"])
    rng = np.random.default_rng(params["seed"])
    history = []

    for epoch in range(1, params["epochs"] + 1):
        order = rng.permutation(len(ty))
        # classes= is required on the first call, since a batch need not hold every class.
        clf.partial_fit(tx[order], ty[order], classes=classes)

        train_loss, train_acc = loss_and_accuracy(clf, tx, ty)
        val_loss, val_acc = loss_and_accuracy(clf, vx, vy)
        reprise.log(step=epoch, train_loss=train_loss, train_accuracy=train_acc,
                    val_loss=val_loss, val_accuracy=val_acc)
        history.append({"epoch": epoch, "train_loss": train_loss, "train_accuracy": train_acc,
                        "val_loss": val_loss, "val_accuracy": val_acc})
        print("epoch %3d/%d  train_loss %.4f  train_acc %.3f  val_loss %.4f  val_acc %.3f"
              % (epoch, params["epochs"], train_loss, train_acc, val_loss, val_acc), flush=True)

    joblib.dump(clf, work_path("model.joblib"))
    write_json(work_path("history.json"), history)


if __name__ == "__main__":
    main()
