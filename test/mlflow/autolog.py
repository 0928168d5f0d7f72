"""mlflow.sklearn.autolog() on a real scikit-learn training, against the server at
MLFLOW_TRACKING_URI: the estimator's params, the training metrics and the model are
logged by mlflow itself, and the model loads back with the same predictions. Then
(unless --mlflow-only) the same run read through Reprise's own API: those params, those
metrics, and the model's files under model/ in the run's artifacts.

Prints {"experiment", "run_id", "params", "metrics"} on stdout.
"""

import tempfile

import numpy as np

import mlflow
import mlflow.sklearn
from mlflow import MlflowClient
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from mlflow_test_support import Reprise, arguments, check, downloaded_model, equal, main, sha256, tracking_uri


def body(args):
    uri = tracking_uri()
    client = MlflowClient()
    mlflow.set_experiment(args.experiment)
    mlflow.sklearn.autolog()
    X, y = load_iris(return_X_y=True)

    with mlflow.start_run(run_name="autologged") as run:
        clf = LogisticRegression(C=0.5, max_iter=300).fit(X, y)
    run_id = run.info.run_id
    mlflow.sklearn.autolog(disable=True)

    got = client.get_run(run_id)
    equal(got.info.status, "FINISHED", "status of the autologged run")
    params, metrics = got.data.params, got.data.metrics
    equal(params.get("C"), "0.5", "autologged param C")
    equal(params.get("max_iter"), "300", "autologged param max_iter")
    check("training_accuracy_score" in metrics, f"autolog logged no training_accuracy_score: {sorted(metrics)}")
    equal(metrics["training_accuracy_score"], clf.score(X, y), "training_accuracy_score against the estimator's own score")
    # Logging the model re-sends the run's metrics tagged with it; each history keeps one point.
    for key, value in metrics.items():
        equal([(m.step, m.value) for m in client.get_metric_history(run_id, key)], [(0, value)], f"history of {key} as (step, value)")

    loaded = mlflow.sklearn.load_model(f"runs:/{run_id}/model")
    check(np.array_equal(loaded.predict(X), clf.predict(X)), "predictions of the autologged model loaded back differ from the trained one's")
    with tempfile.TemporaryDirectory() as tmp:
        model_files = downloaded_model(f"runs:/{run_id}/model", tmp)
    check("MLmodel" in model_files, f"the autologged model has no MLmodel: {sorted(model_files)}")

    if not args.mlflow_only:
        reprise = Reprise(uri)
        detail = reprise.run(run_id)
        equal(detail["run"]["project"], args.experiment, "Reprise project of the autologged run")
        equal(detail["run"]["status"], "succeeded", "Reprise status of the autologged run")
        # Every param and metric autolog logged is in the Reprise run as mlflow shows it.
        equal(detail["params"], params, "params of the autologged run in Reprise")
        stored = reprise.get(f"/api/v1/runs/{run_id}/metrics")["metrics"]
        equal({k: m["last"] for k, m in stored.items()}, metrics, "latest metrics of the autologged run in Reprise")
        artifacts = reprise.artifacts(run_id)
        under_model = {p[len("model/"):]: a["sha256"] for p, a in artifacts.items() if p.startswith("model/")}
        equal(under_model, {p: sha256(b) for p, b in model_files.items()}, "the model's files under model/ in Reprise as {path: sha256}")

    return {"experiment": args.experiment, "run_id": run_id, "params": params, "metrics": metrics}


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--experiment", default="mlflow-autolog", help="the experiment (Reprise project) to log into")
    main(body, parser.parse_args())
