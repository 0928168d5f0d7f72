"""The model registry through the mlflow client, against the server at MLFLOW_TRACKING_URI:
a real scikit-learn model logged with mlflow.sklearn.log_model, registered, given an
alias and tags, found by search, and loaded back by alias and by version with the same
predictions.

On Reprise (unless --mlflow-only) registering follows promotion: a run that was not
promoted is refused while the project's policy is the default ("promoted"); a run
promoted in Reprise registers as its existing version; once the policy is
{"registerFrom": "passed"} (set here through Reprise's API) the refused run registers.
The versions are then read back from Reprise's model store, with alias and lineage.

Prints {"experiment", "model", "runs": {...}, "versions": {...}} on stdout.
"""

import tempfile

import numpy as np

import mlflow
import mlflow.pyfunc
import mlflow.sklearn
from mlflow import MlflowClient
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from mlflow_test_support import Reprise, arguments, check, downloaded_model, equal, expect_mlflow_error, main, sha256, tracking_uri


def train_and_log(run_name, X, y, c):
    model = LogisticRegression(C=c, max_iter=500).fit(X, y)
    with mlflow.start_run(run_name=run_name) as run:
        mlflow.log_param("C", c)
        mlflow.log_metric("train_accuracy", model.score(X, y))
        mlflow.sklearn.log_model(model, name="model")
    # log_model re-sends the run's metrics tagged with the model; the history keeps one point.
    history = [(m.step, m.value) for m in MlflowClient().get_metric_history(run.info.run_id, "train_accuracy")]
    equal(history, [(0, model.score(X, y))], f"history of train_accuracy of run {run_name} after log_model as (step, value)")
    return model, run.info.run_id


def registered_versions(client, name):
    return {v.version: v.run_id for v in client.search_model_versions(f"name = '{name}'")}


def body(args):
    uri = tracking_uri()
    client = MlflowClient()
    reprise = None if args.mlflow_only else Reprise(uri)
    experiment, name = args.experiment, args.model
    mlflow.set_experiment(experiment)
    X, y = load_iris(return_X_y=True)

    model, run_id = train_and_log("candidate", X, y, 0.5)
    equal(client.get_run(run_id).info.status, "FINISHED", "status of the run that logged the model")
    versions = {}
    runs = {"candidate": run_id}

    if reprise is not None:
        # The default policy: only a run promoted in Reprise may be registered.
        e = expect_mlflow_error(lambda: mlflow.register_model(f"runs:/{run_id}/model", name), "INVALID_PARAMETER_VALUE", "register_model of a run that was not promoted")
        check("promot" in e.message.lower(), f"the refusal does not explain the promotion rule: {e.message}")
        check(run_id not in registered_versions(client, name).values(), "a version of the refused run was registered anyway")

        # A run promoted in Reprise registers as the version Reprise already made of it.
        _, promoted_id = train_and_log("promoted", X, y, 1.0)
        runs["promoted"] = promoted_id
        made = reprise.post(f"/api/v1/models/{name}/versions", {"runId": promoted_id, "by": "mlflow-tests"})["version"]
        mv = mlflow.register_model(f"runs:/{promoted_id}/model", name)
        equal((mv.version, mv.run_id, mv.status), (str(made["version"]), promoted_id, "READY"), "register_model of a promoted run as (version, run_id, status)")
        versions["promoted"] = mv.version

        reprise.put(f"/api/v1/projects/{experiment}/model-policy", {"registerFrom": "passed"})

    mv = mlflow.register_model(f"runs:/{run_id}/model", name)
    equal((mv.name, mv.run_id, mv.status), (name, run_id, "READY"), "register_model of the candidate as (name, run_id, status)")
    check(mv.version not in versions.values(), f"register_model of the candidate answered the version {mv.version} of another run")
    versions["candidate"] = mv.version
    equal(registered_versions(client, name), {v: runs[k] for k, v in versions.items()}, "search_model_versions as {version: run_id}")

    client.set_registered_model_alias(name, "champion", mv.version)
    by_alias = client.get_model_version_by_alias(name, "champion")
    equal((by_alias.version, by_alias.run_id), (mv.version, run_id), "get_model_version_by_alias(champion) as (version, run_id)")
    equal(client.get_registered_model(name).aliases.get("champion"), mv.version, "the champion alias in get_registered_model")

    client.set_registered_model_tag(name, "team", "ml-platform")
    client.set_model_version_tag(name, mv.version, "validated", "true")
    equal(client.get_registered_model(name).tags.get("team"), "ml-platform", "registered model tag team")
    equal(client.get_model_version(name, mv.version).tags.get("validated"), "true", "model version tag validated")
    found = client.search_registered_models(filter_string=f"name = '{name}'")
    equal([m.name for m in found], [name], "search_registered_models by name")
    equal(found[0].tags.get("team"), "ml-platform", "tag team of the registered model found by search")
    check(any(m.name == name for m in client.search_registered_models()), "search_registered_models without a filter misses the model")

    # What users do with a registered model: load it and predict.
    expected = model.predict(X)
    by_alias_model = mlflow.pyfunc.load_model(f"models:/{name}@champion")
    check(np.array_equal(np.asarray(by_alias_model.predict(X)), expected), "predictions of the pyfunc model loaded by alias differ from the trained model's")
    by_version = mlflow.sklearn.load_model(f"models:/{name}/{mv.version}")
    check(np.array_equal(by_version.predict_proba(X), model.predict_proba(X)), "predict_proba of the sklearn model loaded by version differs from the trained model's")

    if reprise is not None:
        shown = reprise.get(f"/api/v1/models/{name}")
        stored = {v["version"]: v for v in shown["versions"]}
        for key, version in versions.items():
            v = stored.get(int(version))
            check(v is not None, f"Reprise's model store has no version {version} of {name}: {sorted(stored)}")
            equal((v["runId"], v["project"], v["lineage"]["run"]["id"], v["lineage"]["run"]["project"]), (runs[key], experiment, runs[key], experiment), f"run, project and lineage of version {version} in Reprise")
            # The version's files are the model the mlflow client downloads for it.
            with tempfile.TemporaryDirectory() as tmp:
                local = downloaded_model(f"models:/{name}/{version}", tmp)
            check("MLmodel" in local, f"the model of version {version} downloaded by mlflow has no MLmodel: {sorted(local)}")
            equal({f["path"]: f["sha256"] for f in v["files"]}, {p: sha256(b) for p, b in local.items()}, f"files of version {version} in Reprise as {{path: sha256}}")
        champion = reprise.get(f"/api/v1/models/{name}/versions/champion")["version"]
        equal((champion["version"], champion["runId"]), (int(mv.version), run_id), "Reprise's resolution of NAME@champion as (version, runId)")
        check("champion" in stored[int(mv.version)]["aliases"], f"aliases of version {mv.version} in Reprise: {stored[int(mv.version)]['aliases']}")
        equal(shown["model"]["aliases"].get("champion"), int(mv.version), "the champion alias of the model in Reprise")
        made_from = {(m["model"], m["version"]) for m in reprise.run(run_id)["models"]}
        check((name, int(mv.version)) in made_from, f"the candidate run in Reprise does not list version {mv.version} of {name}: {made_from}")

    return {"experiment": experiment, "model": name, "runs": runs, "versions": versions}


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--experiment", default="mlflow-registry", help="the experiment (Reprise project) to log into")
    parser.add_argument("--model", default="iris-classifier", help="the registered model's name")
    main(body, parser.parse_args())
