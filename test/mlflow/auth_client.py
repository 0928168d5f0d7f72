"""The mlflow client against a server that asks who calls (`reprise server --auth`), with
whatever credentials the environment holds: MLFLOW_TRACKING_TOKEN, or
MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (a password or a token).

--mode log      logs a run (params, a metric, an artifact) into --experiment and reads it
                back; prints {"run_id", "experiment_id"}.
--mode refused  expects the first call to be refused; prints {"error_code", "status", "message"}.
--mode viewer   searches the runs of --experiment (which must hold --run), then expects
                creating a run and writing to --run to be refused; prints {"found", "refusals"}.

Reprise's own API is read by the test itself, which holds an admin's token.
"""

import os
import tempfile

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from mlflow_test_support import CheckFailed, arguments, check, equal, expect_mlflow_error, main, tracking_uri

ARTIFACT = b"logged with credentials\n"


def log_run(client, experiment):
    exp = client.get_experiment_by_name(experiment)
    experiment_id = exp.experiment_id if exp else client.create_experiment(experiment)
    mlflow.set_experiment(experiment_id=experiment_id)
    with tempfile.TemporaryDirectory() as tmp, mlflow.start_run(run_name="with-credentials") as run:
        mlflow.log_params({"lr": 0.1, "optimizer": "sgd"})
        mlflow.log_metric("loss", 0.25, step=3)
        path = os.path.join(tmp, "notes.txt")
        with open(path, "wb") as f:
            f.write(ARTIFACT)
        mlflow.log_artifact(path, artifact_path="docs")
    run_id = run.info.run_id
    back = client.get_run(run_id)
    equal(back.data.params, {"lr": "0.1", "optimizer": "sgd"}, "params read back")
    equal(back.data.metrics, {"loss": 0.25}, "metrics read back")
    equal(back.info.status, "FINISHED", "status read back")
    equal([a.path for a in client.list_artifacts(run_id, "docs")], ["docs/notes.txt"], "artifacts read back")
    with tempfile.TemporaryDirectory() as dst:
        local = client.download_artifacts(run_id, "docs/notes.txt", dst)
        with open(local, "rb") as f:
            equal(f.read(), ARTIFACT, "artifact downloaded")
    return {"run_id": run_id, "experiment_id": experiment_id}


def refused(client):
    try:
        found = client.search_experiments()
    except MlflowException as e:
        return {"error_code": e.error_code, "status": e.get_http_status_code(), "message": e.message}
    raise CheckFailed(f"expected the server to refuse the call, but it answered {found!r}")


def as_viewer(client, experiment, run_id):
    exp = client.get_experiment_by_name(experiment)
    check(exp is not None, f"the experiment {experiment} is visible to a viewer")
    found = [r.info.run_id for r in client.search_runs([exp.experiment_id])]
    check(run_id in found, f"search_runs finds {run_id} among {found}")
    equal(client.get_run(run_id).data.params.get("lr"), "0.1", "a viewer reads a run's params")
    refusals = {}
    for what, fn in [
        ("create_run", lambda: client.create_run(exp.experiment_id)),
        ("log_param", lambda: client.log_param(run_id, "viewer_param", "x")),
        ("log_metric", lambda: client.log_metric(run_id, "viewer_metric", 1.0)),
        ("set_tag", lambda: client.set_tag(run_id, "viewer_tag", "x")),
        ("create_experiment", lambda: client.create_experiment("made-by-a-viewer")),
    ]:
        e = expect_mlflow_error(fn, "PERMISSION_DENIED", f"{what} as a viewer")
        refusals[what] = {"status": e.get_http_status_code(), "message": e.message}
    # Nothing the refusals tried was written.
    after = client.get_run(run_id).data
    check("viewer_param" not in after.params and "viewer_metric" not in after.metrics and "viewer_tag" not in after.tags, f"a refused write left nothing: {after}")
    return {"found": found, "refusals": refusals}


def body(args):
    mlflow.set_tracking_uri(tracking_uri())
    client = MlflowClient()
    if args.mode == "log":
        return log_run(client, args.experiment)
    if args.mode == "refused":
        return refused(client)
    return as_viewer(client, args.experiment, args.run)


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--mode", choices=["log", "refused", "viewer"], required=True)
    parser.add_argument("--experiment", default="mlflow-auth")
    parser.add_argument("--run", help="with --mode viewer: a run of the experiment a viewer may read but not write")
    main(body, parser.parse_args())
