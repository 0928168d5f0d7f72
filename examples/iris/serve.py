"""Answer predictions for `reprise serve`: one JSON request per line on stdin, one answer per line on stdout.

Reprise starts this in the promoted version's own code and environment, with the
version's model files in REPRISE_MODEL_DIR. A request is {"id": ..., "inputs": [row, ...]},
each row the four features in order (or an object by feature name); the answer is
{"id": ..., "outputs": [{"label": ..., "probabilities": {...}}, ...]}, or
{"id": ..., "error": "..."} for a bad input. Standard library only.
"""

import json
import math
import os
import sys

from predict import load_model, predict


def row_values(row, names):
    if isinstance(row, dict):
        missing = [n for n in names if n not in row]
        if missing:
            raise ValueError("missing feature(s) %s" % ", ".join(missing))
        row = [row[n] for n in names]
    if not isinstance(row, list) or len(row) != len(names):
        raise ValueError("each row needs %d values (%s)" % (len(names), " ".join(names)))
    values = [float(v) for v in row]
    if not all(math.isfinite(v) for v in values):
        raise ValueError("feature values must be finite numbers")
    return values


def answer(model, request):
    outputs = []
    for i, row in enumerate(request.get("inputs", [])):
        try:
            values = row_values(row, model["feature_names"])
        except (TypeError, ValueError) as e:
            return {"id": request.get("id"), "error": "row %d: %s" % (i, e)}
        label, probs = predict(model, values)
        outputs.append({"label": label, "probabilities": probs})
    return {"id": request.get("id"), "outputs": outputs}


def main():
    model = load_model(os.path.join(os.environ["REPRISE_MODEL_DIR"], "model.json"))
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except ValueError as e:
            sys.stderr.write("not a JSON request: %s\n" % e)
            continue
        sys.stdout.write(json.dumps(answer(model, request)) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
