"""The tracking calls of the mlflow client as users make them, against the server at
MLFLOW_TRACKING_URI: experiments, runs (nested too), params, metrics with steps and
times, tags, artifacts of every kind, dataset inputs, search with filters, order and
pages, metric history, deletion and restore, downloads, and the errors users catch.
Then (unless --mlflow-only) the same runs read back through Reprise's own API.

Prints {"experiment", "experiment_id", "runs": {...}, "default_run"} on stdout.
"""

import os
import tempfile
import time

import mlflow
from mlflow import MlflowClient
from mlflow.entities import ViewType

from mlflow_test_support import Reprise, arguments, check, equal, expect_mlflow_error, files_under, main, sha256, tracking_uri

# A run id of the right shape for both kinds of server that no run has.
UNKNOWN_RUN_IDS = ["00000000000000000000000000", "0123456789abcdef0123456789abcdef"]

# Five runs to search: optimizer and score of each.
SWEEP = [("adam", 0.2), ("sgd", 0.9), ("adam", 0.6), ("sgd", 0.4), ("adam", 0.8)]


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def log_everything(tmp, base_ts):
    """The parent run's logging; gives what was logged, for the checks."""
    logged = {"params": {}, "tags": {}, "metrics": {}, "files": {}}

    mlflow.log_param("lr", 0.01)
    mlflow.log_params({"optimizer": "adam", "batch_size": 32, "dropout": 0.25})
    logged["params"] = {"lr": "0.01", "optimizer": "adam", "batch_size": "32", "dropout": "0.25"}

    mlflow.set_tag("team", "vision")
    mlflow.set_tags({"stage": "dev", "ticket": "ML-42"})
    logged["tags"] = {"team": "vision", "stage": "dev", "ticket": "ML-42"}

    # Explicit steps and times, so the history can be compared point by point.
    loss = []
    for step in range(10):
        ts, value = base_ts + step * 1000, 1.0 / (step + 1)
        mlflow.log_metric("loss", value, step=step, timestamp=ts)
        loss.append((step, ts, value))
    acc, f1 = [], []
    for step in range(5):
        ts = base_ts + 20_000 + step * 500
        values = {"acc": 0.5 + 0.05 * step, "f1": 0.4 + 0.04 * step}
        mlflow.log_metrics(values, step=step, timestamp=ts)
        acc.append((step, ts, values["acc"]))
        f1.append((step, ts, values["f1"]))
    # Steps given out of order land by step, not by arrival.
    for step in (7, 3, 5):
        ts = base_ts + 40_000 + step
        mlflow.log_metric("val_loss", step / 10, step=step, timestamp=ts)
    val_loss = sorted((s, base_ts + 40_000 + s, s / 10) for s in (7, 3, 5))
    logged["metrics"] = {"loss": loss, "acc": acc, "f1": f1, "val_loss": val_loss}

    notes = os.path.join(tmp, "notes.txt")
    write(notes, b"plain notes\n")
    mlflow.log_artifact(notes)
    config = os.path.join(tmp, "config.yaml")
    write(config, b"epochs: 3\nlayers: [64, 32]\n")
    mlflow.log_artifact(config, artifact_path="configs")
    data_dir = os.path.join(tmp, "data")
    write(os.path.join(data_dir, "a.csv"), b"x,y\n1,2\n3,4\n")
    write(os.path.join(data_dir, "sub", "b.bin"), bytes(range(256)) * 8)
    write(os.path.join(data_dir, "sub", "deeper", "c.txt"), "non-ascii: \u00e9\u4e2d\n".encode("utf-8"))
    mlflow.log_artifacts(data_dir, artifact_path="data")
    files = {"notes.txt": b"plain notes\n", "configs/config.yaml": b"epochs: 3\nlayers: [64, 32]\n"}
    files.update({f"data/{rel}": data for rel, data in files_under(data_dir).items()})

    info = {"classes": ["cat", "dog"], "threshold": 0.5, "nested": {"k": [1, 2, 3]}}
    mlflow.log_dict(info, "meta/info.json")
    text = "hello\nworld \u2713\n"
    mlflow.log_text(text, "notes/readme.md")
    files["notes/readme.md"] = text.encode("utf-8")
    logged["dict"] = info

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        logged["figure"] = False
    else:
        fig, ax = plt.subplots()
        ax.plot([s for s, _, _ in loss], [v for _, _, v in loss])
        mlflow.log_figure(fig, "plots/loss.png")
        plt.close(fig)
        logged["figure"] = True

    import pandas as pd

    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0.0, 1.0, 0.0]})
    dataset = mlflow.data.from_pandas(df, name="toy-train", targets="y")
    mlflow.log_input(dataset, context="training")
    logged["dataset"] = {"name": "toy-train", "digest": dataset.digest}

    logged["files"] = files
    return logged


def artifact_tree(client, run_id, path=None):
    """{path: size} of every file under a run's artifacts, walked with list_artifacts."""
    out = {}
    for f in client.list_artifacts(run_id, path):
        if f.is_dir:
            out.update(artifact_tree(client, run_id, f.path))
        else:
            out[f.path] = f.file_size
    return out


def check_parent(client, parent_id, logged, tmp):
    run = client.get_run(parent_id)
    equal(run.info.status, "FINISHED", "status of the parent run after its with-block")
    check(run.info.end_time is not None and run.info.end_time >= run.info.start_time, f"parent run end_time {run.info.end_time} is not set after start_time {run.info.start_time}")
    equal(run.info.run_name, "parent", "parent run name")
    equal(run.data.params, logged["params"], "parent run params")
    for k, v in logged["tags"].items():
        equal(run.data.tags.get(k), v, f"parent run tag {k}")
    equal(run.data.tags.get("mlflow.runName"), "parent", "parent run tag mlflow.runName")
    # The latest value of each metric is the one at its highest step.
    for key, points in logged["metrics"].items():
        equal(run.data.metrics.get(key), max(points)[2], f"latest value of {key} in get_run")

    inputs = run.inputs.dataset_inputs
    equal([(i.dataset.name, i.dataset.digest) for i in inputs], [(logged["dataset"]["name"], logged["dataset"]["digest"])], "dataset inputs of the parent run")
    equal({t.key: t.value for t in inputs[0].tags}.get("mlflow.data.context"), "training", "context tag of the dataset input")

    for key, points in logged["metrics"].items():
        history = client.get_metric_history(parent_id, key)
        got = sorted((m.step, m.timestamp, m.value) for m in history)
        equal(got, sorted(points), f"get_metric_history({key!r}) as (step, timestamp, value)")
    equal(client.get_metric_history(parent_id, "never-logged"), [], "history of a metric never logged")

    # Listing: the root holds one file and the folders; each level lists its own entries.
    root = {(f.path, f.is_dir) for f in client.list_artifacts(parent_id)}
    expected_root = {("notes.txt", False), ("configs", True), ("data", True), ("meta", True), ("notes", True)}
    if logged["figure"]:
        expected_root.add(("plots", True))
    equal(root, expected_root, "list_artifacts of the run's root as (path, is_dir)")
    equal({(f.path, f.is_dir) for f in client.list_artifacts(parent_id, "data/sub")}, {("data/sub/b.bin", False), ("data/sub/deeper", True)}, "list_artifacts of data/sub")
    tree = artifact_tree(client, parent_id)
    expected_paths = set(logged["files"]) | {"meta/info.json"} | ({"plots/loss.png"} if logged["figure"] else set())
    equal(set(tree), expected_paths, "every artifact file of the parent run")
    for path, data in logged["files"].items():
        equal(tree[path], len(data), f"file_size of artifact {path}")

    # Downloads give the bytes back: a folder, a single file, and what log_dict wrote.
    dst = os.path.join(tmp, "download")
    got_dir = mlflow.artifacts.download_artifacts(run_id=parent_id, artifact_path="data", dst_path=dst)
    expected_data = {p[len("data/"):]: b for p, b in logged["files"].items() if p.startswith("data/")}
    equal(files_under(got_dir), expected_data, "bytes of the downloaded data folder")
    got_file = client.download_artifacts(parent_id, "notes/readme.md", os.path.join(tmp, "download2"))
    with open(got_file, "rb") as f:
        equal(f.read(), logged["files"]["notes/readme.md"], "bytes of the downloaded notes/readme.md")
    equal(mlflow.artifacts.load_dict(f"{run.info.artifact_uri}/meta/info.json"), logged["dict"], "the dict log_dict stored, loaded back")
    if logged["figure"]:
        png = mlflow.artifacts.download_artifacts(run_id=parent_id, artifact_path="plots/loss.png", dst_path=os.path.join(tmp, "download3"))
        with open(png, "rb") as f:
            check(f.read(8) == b"\x89PNG\r\n\x1a\n", "plots/loss.png downloaded is not a PNG file")
    return tree


def check_search(client, experiment_id, sweep_ids, all_ids):
    scores = {rid: score for rid, (_, score) in zip(sweep_ids, SWEEP)}
    opts = {rid: opt for rid, (opt, _) in zip(sweep_ids, SWEEP)}

    found = client.search_runs([experiment_id], "metrics.score > 0.5 and params.opt = 'adam' and tags.kind = 'sweep'")
    expected = {rid for rid in sweep_ids if scores[rid] > 0.5 and opts[rid] == "adam"}
    equal({r.info.run_id for r in found}, expected, "runs found by metrics.score > 0.5 and params.opt = 'adam'")
    found = client.search_runs([experiment_id], "params.opt != 'adam' and tags.kind = 'sweep'")
    equal({r.info.run_id for r in found}, {rid for rid in sweep_ids if opts[rid] != "adam"}, "runs found by params.opt != 'adam'")
    found = client.search_runs([experiment_id], "metrics.score <= 0.4")
    equal({r.info.run_id for r in found}, {rid for rid in sweep_ids if scores[rid] <= 0.4}, "runs found by metrics.score <= 0.4")

    by_score = sorted(sweep_ids, key=lambda rid: scores[rid])
    asc = client.search_runs([experiment_id], "tags.kind = 'sweep'", order_by=["metrics.score ASC"])
    equal([r.info.run_id for r in asc], by_score, "sweep runs ordered by metrics.score ASC")
    desc = client.search_runs([experiment_id], "tags.kind = 'sweep'", order_by=["metrics.score DESC"])
    equal([r.info.run_id for r in desc], list(reversed(by_score)), "sweep runs ordered by metrics.score DESC")
    equal([r.data.metrics["score"] for r in desc], sorted(scores.values(), reverse=True), "scores of the runs in DESC order")

    # Pages of two, followed until no token comes back: the same runs as one big page, in its order.
    whole = [r.info.run_id for r in client.search_runs([experiment_id], max_results=1000)]
    equal(set(whole), set(all_ids), "every active run of the experiment in one search")
    paged, token, pages = [], None, 0
    while True:
        page = client.search_runs([experiment_id], max_results=2, page_token=token)
        check(len(page) <= 2, f"a page asked with max_results=2 holds {len(page)} runs")
        paged.extend(r.info.run_id for r in page)
        pages += 1
        token = page.token
        check(pages <= len(all_ids), f"paging did not end after {pages} pages of 2 for {len(all_ids)} runs")
        if not token:
            break
    check(len(paged) == len(set(paged)), f"paging repeated runs: {paged}")
    equal(paged, whole, "runs collected page by page (max_results=2) against one page")

    df = mlflow.search_runs(experiment_ids=[experiment_id], filter_string="tags.kind = 'sweep'")
    equal(set(df["run_id"]), set(sweep_ids), "run_id column of mlflow.search_runs as a DataFrame")
    equal({r: s for r, s in zip(df["run_id"], df["metrics.score"])}, scores, "metrics.score column of mlflow.search_runs")


def check_delete_restore(client, experiment_id, victim, sweep_ids):
    def ids(view):
        return {r.info.run_id for r in client.search_runs([experiment_id], "tags.kind = 'sweep'", run_view_type=view)}

    client.delete_run(victim)
    equal(client.get_run(victim).info.lifecycle_stage, "deleted", "lifecycle_stage of a deleted run")
    equal(ids(ViewType.ACTIVE_ONLY), set(sweep_ids) - {victim}, "search with the default view after delete_run")
    equal(ids(ViewType.ALL), set(sweep_ids), "search with ViewType.ALL after delete_run")
    equal(ids(ViewType.DELETED_ONLY), {victim}, "search with ViewType.DELETED_ONLY after delete_run")
    client.restore_run(victim)
    equal(client.get_run(victim).info.lifecycle_stage, "active", "lifecycle_stage of a restored run")
    equal(ids(ViewType.ACTIVE_ONLY), set(sweep_ids), "search with the default view after restore_run")
    equal(ids(ViewType.DELETED_ONLY), set(), "search with ViewType.DELETED_ONLY after restore_run")


def check_errors(client, experiment_id):
    for unknown in UNKNOWN_RUN_IDS:
        expect_mlflow_error(lambda: client.get_run(unknown), "RESOURCE_DOES_NOT_EXIST", f"get_run of the unknown run id {unknown}")
        expect_mlflow_error(lambda: client.log_metric(unknown, "m", 1.0), "RESOURCE_DOES_NOT_EXIST", f"log_metric to the unknown run id {unknown}")
    equal(client.get_experiment_by_name("no-such-experiment-anywhere"), None, "get_experiment_by_name of an unknown name")

    with mlflow.start_run(run_name="param-change") as run:
        mlflow.log_param("lr", "0.1")
        mlflow.log_param("lr", "0.1")  # the same value again is allowed
        e = expect_mlflow_error(lambda: mlflow.log_param("lr", "0.2"), "INVALID_PARAMETER_VALUE", "log_param changing the value of lr")
        check("lr" in e.message, f"the error for changing a param does not name it: {e.message}")
    equal(client.get_run(run.info.run_id).data.params, {"lr": "0.1"}, "params after a refused change")
    return run.info.run_id


def check_in_reprise(reprise, experiment, ids, logged, tree, mlflow_runs):
    parent = ids["parent"]
    got = reprise.run(parent)
    run = got["run"]
    equal(run["id"], parent, "Reprise run id of the parent (the MLflow run id)")
    equal(run["project"], experiment, "Reprise project of the parent run")
    equal(run["name"], "parent", "Reprise run name of the parent run")
    equal(run["status"], "succeeded", "Reprise status of the parent run after it FINISHED")
    check(run["endedAt"] is not None, "the parent run has no endedAt in Reprise after it FINISHED")
    equal(got["params"], logged["params"], "params of the parent run in Reprise")
    # Every tag the mlflow client shows (its system tags included) is in Reprise, same
    # value; mlflow.runName is the Reprise run's own name (checked above), a tag or not.
    for key, value in mlflow_runs[parent].data.tags.items():
        if key != "mlflow.runName":
            equal(run["tags"].get(key), value, f"tag {key} of the parent run in Reprise")
    for key, points in logged["metrics"].items():
        equal(sorted(reprise.history(parent, key)), sorted(points), f"full series of metric {key} in Reprise as (step, ts, value)")
        summary = run["metrics"].get(key)
        check(summary is not None, f"metric {key} is missing from the parent run's metrics in Reprise: {sorted(run['metrics'])}")
        equal(summary["count"], len(points), f"count of metric {key} in Reprise")
        equal(summary["last"], max(points)[2], f"last value of metric {key} in Reprise")

    artifacts = reprise.artifacts(parent)
    equal({p: a["size"] for p, a in artifacts.items()}, tree, "artifacts of the parent run in Reprise as {path: size}")
    equal({a["path"]: a["size"] for a in got["artifacts"]}, tree, "artifacts in GET /runs/{id}")
    for path, data in logged["files"].items():
        equal(artifacts[path]["sha256"], sha256(data), f"sha256 of artifact {path} in Reprise")
    for path in ("data/sub/b.bin", "notes/readme.md"):
        equal(reprise.artifact_bytes(parent, path), logged["files"][path], f"bytes of {path} downloaded through Reprise's API")

    child = reprise.run(ids["child"])["run"]
    equal(child["project"], experiment, "Reprise project of the nested run")
    equal(child["tags"].get("mlflow.parentRunId"), parent, "mlflow.parentRunId tag of the nested run in Reprise")
    equal(child["status"], "succeeded", "Reprise status of the nested run")

    equal(reprise.run(ids["raises"])["run"]["status"], "failed", "Reprise status of a run whose with-block raised (FAILED)")
    equal(reprise.run(ids["killed"])["run"]["status"], "canceled", "Reprise status of a run ended KILLED")
    for rid, (opt, score) in zip(ids["sweep"], SWEEP):
        detail = reprise.run(rid)
        equal((detail["run"]["status"], detail["params"].get("opt"), detail["run"]["metrics"]["score"]["last"]), ("succeeded", opt, score), f"status, param opt and metric score of sweep run {rid} in Reprise")

    listed = reprise.get(f"/api/v1/runs?project={experiment}&limit=100")["runs"]
    equal({r["id"] for r in listed}, set(mlflow_runs), "the runs of the project in Reprise against the experiment's runs in mlflow")


def body(args):
    uri = tracking_uri()
    client = MlflowClient()
    experiment = args.experiment

    # Code that never names an experiment logs into Default, id "0".
    equal(client.get_experiment("0").name, "Default", "name of experiment 0")
    with mlflow.start_run(experiment_id="0", run_name="in-default") as in_default:
        mlflow.log_metric("m", 1.0)
    equal(client.get_run(in_default.info.run_id).info.experiment_id, "0", "experiment of a run started in Default")

    exp = mlflow.set_experiment(experiment)
    equal(client.get_experiment_by_name(experiment).experiment_id, exp.experiment_id, "experiment id found by name")
    equal(client.get_experiment(exp.experiment_id).name, experiment, "experiment name found by id")
    base_ts = int(time.time() * 1000) - 120_000

    with tempfile.TemporaryDirectory() as tmp:
        with mlflow.start_run(run_name="parent") as parent:
            logged = log_everything(tmp, base_ts)
            with mlflow.start_run(run_name="child", nested=True) as child:
                mlflow.log_metric("child_metric", 1.5, step=0)
            equal(mlflow.active_run().info.run_id, parent.info.run_id, "active run after the nested run ended")
        ids = {"parent": parent.info.run_id, "child": child.info.run_id}
        equal(client.get_run(ids["child"]).data.tags.get("mlflow.parentRunId"), ids["parent"], "mlflow.parentRunId tag of the nested run")
        equal(client.get_run(ids["child"]).info.status, "FINISHED", "status of the nested run")
        tree = check_parent(client, ids["parent"], logged, tmp)

        try:
            with mlflow.start_run(run_name="raises") as raising:
                mlflow.log_metric("partial", 1.0)
                raise RuntimeError("training blew up")
        except RuntimeError:
            pass
        ids["raises"] = raising.info.run_id
        equal(client.get_run(ids["raises"]).info.status, "FAILED", "status of a run whose with-block raised")
        killed = mlflow.start_run(run_name="killed")
        mlflow.end_run(status="KILLED")
        ids["killed"] = killed.info.run_id
        equal(client.get_run(ids["killed"]).info.status, "KILLED", "status of a run ended KILLED")

        ids["sweep"] = []
        for i, (opt, score) in enumerate(SWEEP):
            with mlflow.start_run(run_name=f"sweep-{i}") as r:
                mlflow.log_params({"opt": opt, "index": i})
                mlflow.log_metric("score", score)
                mlflow.set_tag("kind", "sweep")
            ids["sweep"].append(r.info.run_id)
        ids["param_change"] = check_errors(client, exp.experiment_id)

        all_ids = [ids["parent"], ids["child"], ids["raises"], ids["killed"], ids["param_change"], *ids["sweep"]]
        check_search(client, exp.experiment_id, ids["sweep"], all_ids)
        check_delete_restore(client, exp.experiment_id, ids["sweep"][1], ids["sweep"])

        if not args.mlflow_only:
            mlflow_runs = {r.info.run_id: r for r in client.search_runs([exp.experiment_id], max_results=1000)}
            reprise = Reprise(uri)
            check_in_reprise(reprise, experiment, ids, logged, tree, mlflow_runs)
            default_run = reprise.run(in_default.info.run_id)["run"]
            equal((default_run["project"], default_run["status"]), ("Default", "succeeded"), "Reprise project and status of a run in the Default experiment")
    return {"experiment": experiment, "experiment_id": exp.experiment_id, "runs": ids, "default_run": in_default.info.run_id}


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--experiment", default="mlflow-surface", help="the experiment (Reprise project) to log into")
    main(body, parser.parse_args())
