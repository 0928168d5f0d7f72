"""JSON out of the TensorBoard test scripts: NaN and the infinities, which plain JSON
has no words for, as the strings "NaN", "Infinity" and "-Infinity"."""

import json
import math


def jsonable(x):
    if isinstance(x, float) and not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
    if isinstance(x, dict):
        return {k: jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    return x


def dump(x, f):
    """Writes `x` to `f` as one line of JSON; allow_nan=False fails on a float jsonable missed."""
    json.dump(jsonable(x), f, allow_nan=False)
    f.write("\n")
