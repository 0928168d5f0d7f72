"""What the runner tells a stage through its environment: identity, params, folders, seed."""

import copy
import json
import os
from typing import Any, Dict, Optional


class ParamsError(ValueError):
    """The params file exists but is not a JSON object."""


def _env(name):
    # type: (str) -> Optional[str]
    # An empty variable means the same as an unset one.
    return os.environ.get(name) or None


def in_run():
    # type: () -> bool
    """True when this process is a stage started by a Reprise run."""
    return _env("REPRISE_RUN_ID") is not None


def run_id():
    # type: () -> Optional[str]
    return _env("REPRISE_RUN_ID")


def project():
    # type: () -> Optional[str]
    return _env("REPRISE_PROJECT")


def stage():
    # type: () -> Optional[str]
    return _env("REPRISE_STAGE")


def seed():
    # type: () -> Optional[int]
    """The run's integer seed, or None outside a run."""
    raw = _env("REPRISE_SEED")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValueError("reprise: REPRISE_SEED is not an integer: %r" % raw) from None


# Parsed params by absolute path; callers only ever see deep copies.
_params_cache = {}  # type: Dict[str, Dict[str, Any]]


def params():
    # type: () -> Dict[str, Any]
    """The run's resolved params; outside a run ./input.json, or {} when there is none."""
    path = _env("REPRISE_PARAMS")
    if path is None:
        path = "input.json"
        if not os.path.isfile(path):
            return {}
    path = os.path.abspath(path)
    cached = _params_cache.get(path)
    if cached is None:
        cached = _params_cache[path] = _read_params(path)
    return copy.deepcopy(cached)


def _read_params(path):
    # type: (str) -> Dict[str, Any]
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        value = json.loads(text)
    except ValueError as e:
        raise ParamsError("reprise: params file %s is not valid JSON: %s" % (path, e)) from None
    if not isinstance(value, dict):
        raise ParamsError(
            "reprise: params file %s must hold a JSON object, not %s" % (path, type(value).__name__)
        )
    return value


def _folder(var, default):
    # type: (str, str) -> str
    path = os.path.abspath(_env(var) or default)
    os.makedirs(path, exist_ok=True)
    return path


def output_dir():
    # type: () -> str
    """Folder whose files become the run's artifacts (./outputs outside a run)."""
    return _folder("REPRISE_OUTPUT_DIR", "outputs")


def model_dir():
    # type: () -> str
    """Folder for the trained model (./model outside a run)."""
    return _folder("REPRISE_MODEL_DIR", "model")


def tb_dir():
    # type: () -> str
    """Folder for TensorBoard event files (./tb outside a run)."""
    return _folder("REPRISE_TB_DIR", "tb")


class DataError(LookupError):
    """A data query the run does not have."""


def data(name):
    # type: (str) -> str
    """Path of the file holding the rows of the query `name` under `data:` in reprise.yaml.

    Reprise runs each query as of its pinned time before the first stage and sets
    REPRISE_DATA_<NAME>; outside a run, set that variable to a file to stand in for it.
    """
    var = "REPRISE_DATA_" + str(name).upper()
    path = _env(var)
    if path:
        return path
    known = sorted(k[len("REPRISE_DATA_"):].lower() for k in os.environ if k.startswith("REPRISE_DATA_"))
    if in_run():
        raise DataError(
            "reprise: this run has no data query %r (it has: %s); declare it under data: in reprise.yaml"
            % (name, ", ".join(known) or "none")
        )
    raise DataError(
        "reprise: data(%r) is materialized inside a Reprise run; outside one, set %s to a file" % (name, var)
    )
