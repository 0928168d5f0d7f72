"""A stage of a Reprise run whose code logs through the mlflow client, unchanged: it never
names a server or a run, and relies on the MLFLOW_TRACKING_URI and MLFLOW_RUN_ID that
Reprise gives every stage. `train` logs params, a metric over steps and an artifact;
`evaluate` (a later stage of the same run) logs one more metric.
"""

import os
import sys
import tempfile

import mlflow


def main(stage):
    missing = [v for v in ("MLFLOW_TRACKING_URI", "MLFLOW_RUN_ID", "REPRISE_RUN_ID") if not os.environ.get(v)]
    if missing:
        sys.exit(f"stage {stage}: {', '.join(missing)} not set in the stage's environment")
    if os.environ["MLFLOW_RUN_ID"] != os.environ["REPRISE_RUN_ID"]:
        sys.exit(f"stage {stage}: MLFLOW_RUN_ID {os.environ['MLFLOW_RUN_ID']} is not the Reprise run {os.environ['REPRISE_RUN_ID']}")

    with mlflow.start_run() as run:
        if run.info.run_id != os.environ["REPRISE_RUN_ID"]:
            sys.exit(f"stage {stage}: mlflow.start_run() gave the run {run.info.run_id}, not the Reprise run {os.environ['REPRISE_RUN_ID']}")
        if stage == "train":
            mlflow.log_param("lr", "0.05")
            mlflow.log_params({"epochs": 3, "optimizer": "sgd"})
            for step in range(3):
                mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "report.txt")
                with open(path, "w", encoding="utf-8") as f:
                    f.write("trained for 3 epochs\n")
                mlflow.log_artifact(path, artifact_path="reports")
        else:
            mlflow.log_metric("eval_accuracy", 0.91)
    print(f"stage {stage} logged to mlflow run {run.info.run_id} at {os.environ['MLFLOW_TRACKING_URI']}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("train", "evaluate"):
        sys.exit("usage: inside_run_stage.py train|evaluate")
    main(sys.argv[1])
