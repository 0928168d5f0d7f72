"""Stage 4: score the trained model on the validation set.

Logs the final val_accuracy/val_loss, and writes eval.json (metrics plus a
confusion matrix) and loss_curve.svg to the run's output folder.
"""

import os

from common import argmax, evaluate, predict_proba, read_json, reprise, work_path, write_json


def confusion_matrix(weights, bias, xs, ys, n_cls):
    """matrix[true][predicted] = count."""
    matrix = [[0] * n_cls for _ in range(n_cls)]
    for x, y in zip(xs, ys):
        matrix[y][argmax(predict_proba(weights, bias, x))] += 1
    return matrix


def loss_curve_svg(history, width=640, height=400):
    """Train and validation loss per epoch as SVG polylines (no plotting library needed)."""
    left, right, top, bottom = 60, 20, 30, 50
    plot_w, plot_h = width - left - right, height - top - bottom
    epochs = [h["epoch"] for h in history]
    y_max = max(max(h["train_loss"], h["val_loss"]) for h in history) * 1.05 or 1.0
    x_span = max(epochs[-1] - epochs[0], 1)

    def px(epoch):
        return left + (epoch - epochs[0]) / x_span * plot_w

    def py(loss):
        return top + plot_h - loss / y_max * plot_h

    def polyline(key, colour):
        points = " ".join("%.2f,%.2f" % (px(h["epoch"]), py(h[key])) for h in history)
        return '<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (colour, points)

    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
        'font-family="sans-serif" font-size="12">' % (width, height, width, height),
        '<rect width="100%" height="100%" fill="white"/>',
        '<text x="%d" y="18" font-size="14">Loss per epoch</text>' % left,
    ]
    # Horizontal grid lines with loss labels.
    for i in range(5):
        value = y_max * i / 4
        y = py(value)
        parts.append('<line x1="%d" y1="%.2f" x2="%d" y2="%.2f" stroke="#ddd"/>' % (left, y, width - right, y))
        parts.append('<text x="%d" y="%.2f" text-anchor="end">%.2f</text>' % (left - 6, y + 4, value))
    # Epoch ticks: about ten, always including the first and last.
    step = max(1, len(epochs) // 10)
    ticks = sorted(set(epochs[::step] + [epochs[-1]]))
    for e in ticks:
        parts.append('<text x="%.2f" y="%d" text-anchor="middle">%d</text>' % (px(e), top + plot_h + 16, e))
    parts += [
        '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (left, top + plot_h, width - right, top + plot_h),
        '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (left, top, left, top + plot_h),
        '<text x="%.2f" y="%d" text-anchor="middle">epoch</text>' % (left + plot_w / 2, height - 10),
        polyline("train_loss", "#1f77b4"),
        polyline("val_loss", "#ff7f0e"),
        '<line x1="%d" y1="16" x2="%d" y2="16" stroke="#1f77b4" stroke-width="2"/>' % (width - 190, width - 170),
        '<text x="%d" y="20">train loss</text>' % (width - 165),
        '<line x1="%d" y1="16" x2="%d" y2="16" stroke="#ff7f0e" stroke-width="2"/>' % (width - 95, width - 75),
        '<text x="%d" y="20">val loss</text>' % (width - 70),
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


def main():
    data = read_json(work_path("processed.json"))
    model = read_json(work_path("weights.json"))
    history = read_json(work_path("history.json"))
    weights, bias = model["weights"], model["bias"]
    vx, vy = data["val"]["x"], data["val"]["y"]
    classes = data["class_names"]

    val_loss, val_acc = evaluate(weights, bias, vx, vy)
    matrix = confusion_matrix(weights, bias, vx, vy, len(classes))
    # No step: these are the run's final values.
    reprise.log(val_accuracy=val_acc, val_loss=val_loss)

    out = reprise.output_dir()
    write_json(os.path.join(out, "eval.json"), {
        "val_accuracy": val_acc,
        "val_loss": val_loss,
        "val_rows": len(vy),
        "class_names": classes,
        "confusion_matrix": {"rows": "true class", "columns": "predicted class", "counts": matrix},
    })
    with open(os.path.join(out, "loss_curve.svg"), "w") as f:
        f.write(loss_curve_svg(history))

    print("validation accuracy %.4f, loss %.4f on %d rows" % (val_acc, val_loss, len(vy)))
    print("confusion matrix (rows: true, columns: predicted; order %s):" % ", ".join(classes))
    for name, row in zip(classes, matrix):
        print("  %-10s %s" % (name, " ".join("%3d" % c for c in row)))


if __name__ == "__main__":
    main()
