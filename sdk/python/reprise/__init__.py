"""Reprise SDK for pipeline stages: params, metrics, data, output folders and seed.

Inside a Reprise run everything comes from the REPRISE_* environment variables the
runner sets. Outside one the same calls work locally: params from ./input.json,
metrics to ./reprise-metrics.jsonl, folders under the current directory.
"""

from ._context import (
    DataError,
    ParamsError,
    data,
    in_run,
    model_dir,
    output_dir,
    params,
    project,
    run_id,
    seed,
    stage,
    tb_dir,
)
from ._histograms import log_histogram
from ._metrics import RepriseWarning, flush, log, metrics_path

__version__ = "0.1.0"

__all__ = [
    "DataError",
    "ParamsError",
    "data",
    "RepriseWarning",
    "flush",
    "in_run",
    "log",
    "log_histogram",
    "metrics_path",
    "model_dir",
    "output_dir",
    "params",
    "project",
    "run_id",
    "seed",
    "stage",
    "tb_dir",
]
