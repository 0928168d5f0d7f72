"""What the mlflow client scripts share: failing on the first broken check with a clear
message, the last HTTP exchanges of the mlflow client (so a failure shows the request
and the server's answer), and reading Reprise's own API with the standard library.

The scripts run against the server at MLFLOW_TRACKING_URI. With --mlflow-only (or
REPRISE_TEST_MLFLOW_ONLY=1) they check only what the mlflow client sees, so they can be
run against a plain MLflow server too.
"""

import argparse
import collections
import contextlib
import hashlib
import json
import os
import sys
import traceback
import urllib.error
import urllib.parse
import urllib.request


class CheckFailed(Exception):
    """A check that did not hold; the message says what was expected and what came."""


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def equal(actual, expected, what):
    if actual != expected:
        raise CheckFailed(f"{what}: expected {expected!r}, got {actual!r}")


def expect_mlflow_error(fn, error_code, what):
    """Calls fn, which must raise MlflowException with error_code; gives the exception."""
    from mlflow.exceptions import MlflowException

    try:
        result = fn()
    except MlflowException as e:
        if e.error_code != error_code:
            raise CheckFailed(f"{what}: expected MlflowException {error_code}, got {e.error_code}: {e.message}") from e
        return e
    raise CheckFailed(f"{what}: expected MlflowException {error_code}, but the call succeeded and returned {result!r}")


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def files_under(root):
    """{relative posix path: bytes} of every file under a folder."""
    out = {}
    for base, _dirs, names in os.walk(root):
        for name in names:
            full = os.path.join(base, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            with open(full, "rb") as f:
                out[rel] = f.read()
    return out


def downloaded_model(uri, dst):
    """{relative path: bytes} of a model as the mlflow client downloads it from uri.

    The client itself writes a `registered_model_meta` file beside a model it fetched
    through the registry; that file was never on the server, so it is left out.
    """
    import mlflow

    files = files_under(mlflow.artifacts.download_artifacts(uri, dst_path=dst))
    files.pop("registered_model_meta", None)
    return files


# ---- the mlflow client's HTTP exchanges, kept for failure reports ---------------------

_EXCHANGES = collections.deque(maxlen=8)


def _short(data, limit):
    if data is None:
        return ""
    if not isinstance(data, (bytes, str)):
        return "<streamed file>"
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            return f"<{len(data)} bytes>"
    return data if len(data) <= limit else data[:limit] + f"... <{len(data)} chars>"


def trace_http():
    """Remembers the last requests the mlflow client sent and what came back."""
    import requests.adapters

    original = requests.adapters.HTTPAdapter.send

    def send(self, request, *args, **kwargs):
        entry = {"request": f"{request.method} {request.url}", "body": _short(request.body, 1500)}
        _EXCHANGES.append(entry)
        response = original(self, request, *args, **kwargs)
        entry["status"] = response.status_code
        # Only JSON answers are read here: artifact downloads stream and stay untouched.
        if "json" in response.headers.get("content-type", "") or response.status_code != 200:
            entry["response"] = _short(response.content, 1500)
        return response

    requests.adapters.HTTPAdapter.send = send


def _report_exchanges():
    if not _EXCHANGES:
        return
    print("\nlast HTTP exchanges of the mlflow client (oldest first):", file=sys.stderr)
    for e in _EXCHANGES:
        print(f"  -> {e['request']}", file=sys.stderr)
        if e.get("body"):
            print(f"     body: {e['body']}", file=sys.stderr)
        print(f"  <- {e.get('status', 'no answer')} {e.get('response', '')}", file=sys.stderr)


# ---- Reprise's own API ----------------------------------------------------------------


class Reprise:
    """GET and PUT on the native API of the server the mlflow client talks to."""

    def __init__(self, base_url):
        self.base = base_url.rstrip("/")

    def _call(self, method, path, body=None, raw=False):
        url = self.base + path
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            req.add_header("content-type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=60) as res:
                payload = res.read()
        except urllib.error.HTTPError as e:
            answer = _short(e.read(), 3000)
            sent = f" with body {_short(data, 1500)}" if data is not None else ""
            raise CheckFailed(f"Reprise API: {method} {url}{sent} answered {e.code}: {answer}") from None
        except urllib.error.URLError as e:
            raise CheckFailed(f"Reprise API: {method} {url} failed: {e.reason}") from None
        if raw:
            return payload
        if payload == b"":
            return None
        try:
            return json.loads(payload)
        except ValueError:
            raise CheckFailed(f"Reprise API: {method} {url} answered 200 with a body that is not JSON: {_short(payload, 500)}") from None

    def get(self, path):
        return self._call("GET", path)

    def get_bytes(self, path):
        return self._call("GET", path, raw=True)

    def put(self, path, body):
        return self._call("PUT", path, body)

    def post(self, path, body):
        return self._call("POST", path, body)

    def run(self, run_id):
        return self.get(f"/api/v1/runs/{run_id}")

    def history(self, run_id, key):
        """Every point of a metric as (step, timestamp ms, value), as stored."""
        q = urllib.parse.urlencode({"key": key, "full": "true"})
        h = self.get(f"/api/v1/runs/{run_id}/history?{q}")
        return [(s, t, v) for s, t, v in zip(h["steps"], h["ts"], h["values"])]

    def artifacts(self, run_id):
        """{path: {"size", "sha256"}} of a run's artifacts."""
        listed = self.get(f"/api/v1/runs/{run_id}/artifacts")["artifacts"]
        return {a["path"]: {"size": a["size"], "sha256": a["sha256"]} for a in listed}

    def artifact_bytes(self, run_id, path):
        return self.get_bytes(f"/api/v1/runs/{run_id}/artifacts/{urllib.parse.quote(path)}")


# ---- running a script -----------------------------------------------------------------


def arguments(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--mlflow-only",
        action="store_true",
        default=os.environ.get("REPRISE_TEST_MLFLOW_ONLY") == "1",
        help="check only what the mlflow client sees (for a plain MLflow server); also REPRISE_TEST_MLFLOW_ONLY=1",
    )
    return parser


def tracking_uri():
    uri = os.environ.get("MLFLOW_TRACKING_URI", "")
    if not uri.startswith(("http://", "https://")):
        print(f"MLFLOW_TRACKING_URI must be the server's http(s) address, not {uri!r}", file=sys.stderr)
        sys.exit(2)
    return uri


def main(body, args):
    """Runs body(args); its result is printed as JSON on stdout, the only thing there.

    Everything else the mlflow client prints (such as "View run ... at") goes to stderr,
    so the caller can parse stdout. The first failed check ends the script with exit 1,
    its message and the last HTTP exchanges on stderr.
    """
    trace_http()
    stdout = sys.stdout
    try:
        with contextlib.redirect_stdout(sys.stderr):
            summary = body(args)
    except CheckFailed as e:
        # The exchanges first and the failed check last, where a cut-off tail still shows it.
        _report_exchanges()
        print(f"\nCHECK FAILED: {e}", file=sys.stderr)
        sys.exit(1)
    except Exception:
        _report_exchanges()
        print("", file=sys.stderr)
        traceback.print_exc()
        sys.exit(1)
    stdout.write(json.dumps(summary) + "\n")
    stdout.flush()
