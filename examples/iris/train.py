"""Stage 3: softmax (multinomial logistic) regression trained with mini-batch SGD.

Logs train/validation loss and accuracy after every epoch, and writes the final
weights to work/weights.json and the per-epoch curve to work/history.json.
"""

from common import evaluate, load_params, predict_proba, read_json, reprise, rng_for, work_path, write_json


def sgd_step(weights, bias, batch_x, batch_y, lr, l2):
    """One gradient step on the mean cross-entropy of the batch plus (l2/2)*||W||^2."""
    n_cls, n_feat = len(weights), len(weights[0])
    grad_w = [[0.0] * n_feat for _ in range(n_cls)]
    grad_b = [0.0] * n_cls
    for x, y in zip(batch_x, batch_y):
        p = predict_proba(weights, bias, x)
        for k in range(n_cls):
            # d(cross-entropy)/d(logit_k) = p_k - 1[k == y]
            g = p[k] - (1.0 if k == y else 0.0)
            grad_b[k] += g
            row = grad_w[k]
            for j in range(n_feat):
                row[j] += g * x[j]
    n = len(batch_y)
    for k in range(n_cls):
        # The bias is not regularized: it only shifts class priors.
        bias[k] -= lr * grad_b[k] / n
        for j in range(n_feat):
            weights[k][j] -= lr * (grad_w[k][j] / n + l2 * weights[k][j])


def main():
    params = load_params()
    optim = params["optim"]
    if params["epochs"] < 1 or optim["batch_size"] < 1:
        raise SystemExit("epochs and optim.batch_size must be at least 1")
    data = read_json(work_path("processed.json"))
    tx, ty = data["train"]["x"], data["train"]["y"]
    vx, vy = data["val"]["x"], data["val"]["y"]
    n_cls, n_feat = len(data["class_names"]), len(data["feature_names"])

    # The loss is convex, so zero initialisation is fine and keeps the seed's
    # only role in this stage to the batch order.
    weights = [[0.0] * n_feat for _ in range(n_cls)]
    bias = [0.0] * n_cls
    rng = rng_for(params["seed"], "train")
    order = list(range(len(ty)))
    history = []

    for epoch in range(1, params["epochs"] + 1):
        rng.shuffle(order)
        for start in range(0, len(order), optim["batch_size"]):
            batch = order[start:start + optim["batch_size"]]
            sgd_step(weights, bias, [tx[i] for i in batch], [ty[i] for i in batch],
                     optim["lr"], optim["l2"])

        # Reported losses are the plain cross-entropy (no l2 term) so train and
        # validation are directly comparable.
        train_loss, train_acc = evaluate(weights, bias, tx, ty)
        val_loss, val_acc = evaluate(weights, bias, vx, vy)
        reprise.log(step=epoch, train_loss=train_loss, train_accuracy=train_acc,
                    val_loss=val_loss, val_accuracy=val_acc)
        history.append({"epoch": epoch, "train_loss": train_loss, "train_accuracy": train_acc,
                        "val_loss": val_loss, "val_accuracy": val_acc})
        print("epoch %3d/%d  train_loss %.4f  train_acc %.3f  val_loss %.4f  val_acc %.3f"
              % (epoch, params["epochs"], train_loss, train_acc, val_loss, val_acc), flush=True)

    write_json(work_path("weights.json"), {"weights": weights, "bias": bias})
    write_json(work_path("history.json"), history)


if __name__ == "__main__":
    main()
