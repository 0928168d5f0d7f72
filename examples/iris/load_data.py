"""Stage 1: read data/iris.csv, check it, and write work/raw.json."""

import csv
import math

from common import CLASSES, DATA_CSV, FEATURES, work_path, write_json


def main():
    with open(DATA_CSV, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header != FEATURES + ["species"]:
            raise SystemExit("unexpected header in %s: %s" % (DATA_CSV, header))
        features, labels = [], []
        for lineno, row in enumerate(reader, start=2):
            if len(row) != len(header):
                raise SystemExit("line %d: expected %d fields, got %d" % (lineno, len(header), len(row)))
            values = [float(v) for v in row[:4]]
            if not all(math.isfinite(v) for v in values):
                raise SystemExit("line %d: non-finite feature value" % lineno)
            if row[4] not in CLASSES:
                raise SystemExit("line %d: unknown species %r" % (lineno, row[4]))
            features.append(values)
            labels.append(CLASSES.index(row[4]))

    counts = [labels.count(k) for k in range(len(CLASSES))]
    if min(counts) == 0:
        raise SystemExit("every class needs at least one row, got counts %s" % counts)

    write_json(work_path("raw.json"), {
        "feature_names": FEATURES,
        "class_names": CLASSES,
        "features": features,
        "labels": labels,
    })
    print("loaded %d rows, %d features, class counts %s" % (len(labels), len(FEATURES),
          dict(zip(CLASSES, counts))))


if __name__ == "__main__":
    main()
