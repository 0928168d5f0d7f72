"""Tests for the reprise SDK. Run from the repository root:

    python3 -m unittest discover -s sdk/python/tests -t sdk/python

Metrics are tested in child processes: the writer is per-process state, and what
matters most is what lands in the file once a process has exited.
"""

import json
import math
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
from unittest import mock

SDK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if sys.path[0] != SDK_DIR:
    sys.path.insert(0, SDK_DIR)

import reprise  # noqa: E402
from reprise import _context  # noqa: E402


def env_without_run(**extra):
    """The current environment minus anything a surrounding Reprise run set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPRISE_")}
    env.update(extra)
    return env


def run_child(code, cwd, **env):
    """Run python code with this checkout's SDK importable; fail the test if it fails."""
    full_env = env_without_run(PYTHONPATH=SDK_DIR, **env)
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
        timeout=120,
    )
    if proc.returncode != 0:
        raise AssertionError("child failed (%d):\n%s%s" % (proc.returncode, proc.stdout, proc.stderr))
    return proc


def read_lines(path):
    with open(path, "rb") as f:
        data = f.read().decode("utf-8")
    if data:
        assert data.endswith("\n"), "file ends in a partial line"
    return data.splitlines()


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = os.path.realpath(self._tmp.name)
        self.addCleanup(self._tmp.cleanup)
        cwd = os.getcwd()
        self.addCleanup(os.chdir, cwd)
        patcher = mock.patch.dict(os.environ, env_without_run(), clear=True)
        patcher.start()
        self.addCleanup(patcher.stop)
        _context._params_cache.clear()

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)
        return self.path(name)


class ImportTest(unittest.TestCase):
    def test_package_comes_from_this_checkout(self):
        self.assertEqual(os.path.dirname(os.path.dirname(os.path.abspath(reprise.__file__))), SDK_DIR)

    def test_public_names(self):
        for name in reprise.__all__:
            self.assertTrue(hasattr(reprise, name), name)
        for name in ("params", "log", "log_histogram", "flush", "output_dir", "model_dir", "tb_dir", "seed", "run_id", "in_run"):
            self.assertIn(name, reprise.__all__)


class LogTest(TempDirTest):
    def metrics(self):
        return self.path("metrics.jsonl")

    def test_atexit_writes_every_line_in_order(self):
        n = 25000  # more than one early-wake batch
        before = int(time.time() * 1000)
        proc = run_child(
            """
            import reprise
            print(reprise.__file__)
            for i in range(%d):
                reprise.log(step=i, loss=1.0 / (i + 1), acc=0.5 + i * 1e-7)
            """ % n,
            self.tmp,
            REPRISE_METRICS=self.metrics(),
        )
        after = int(time.time() * 1000)
        self.assertTrue(proc.stdout.strip().startswith(SDK_DIR), proc.stdout)
        lines = read_lines(self.metrics())
        self.assertEqual(len(lines), n)
        for i, line in enumerate(lines):
            rec = json.loads(line)
            self.assertEqual(list(rec), ["step", "ts", "loss", "acc"])
            self.assertEqual(rec["step"], i)
            self.assertIsInstance(rec["ts"], int)
            self.assertTrue(before <= rec["ts"] <= after, rec["ts"])
            self.assertEqual(rec["loss"], 1.0 / (i + 1))  # exact round trip
            self.assertEqual(rec["acc"], 0.5 + i * 1e-7)
        self.assertEqual(lines[2], json.dumps(json.loads(lines[2])))  # json.dumps layout

    def test_background_thread_writes_without_flush(self):
        proc = run_child(
            """
            import os, time, reprise
            reprise.log(step=0, loss=1.5)
            deadline = time.time() + 10
            while time.time() < deadline:
                if os.path.exists(os.environ["REPRISE_METRICS"]) and os.path.getsize(os.environ["REPRISE_METRICS"]):
                    break
                time.sleep(0.05)
            print(open(os.environ["REPRISE_METRICS"]).read().count("\\n"))
            os._exit(0)  # skips atexit: only the background thread can have written
            """,
            self.tmp,
            REPRISE_METRICS=self.metrics(),
        )
        self.assertEqual(proc.stdout.strip(), "1")

    def test_flush_writes_before_returning(self):
        proc = run_child(
            """
            import os, reprise
            for i in range(3):
                reprise.log(step=i, x=i)
            reprise.flush()
            print(open(os.environ["REPRISE_METRICS"]).read().count("\\n"))
            os._exit(0)
            """,
            self.tmp,
            REPRISE_METRICS=self.metrics(),
        )
        self.assertEqual(proc.stdout.strip(), "3")
        self.assertEqual(len(read_lines(self.metrics())), 3)

    def test_special_values_are_bare_tokens(self):
        run_child(
            """
            import reprise
            reprise.log(step=0, a=1.25)
            reprise.log(step=1, a=float("nan"), b=float("inf"), c=float("-inf"), d=2.5)
            reprise.log(step=2, big=1e308, bigger=1e308)  # sums to inf, but each is finite
            """,
            self.tmp,
            REPRISE_METRICS=self.metrics(),
        )
        lines = read_lines(self.metrics())
        self.assertEqual(len(lines), 3)
        self.assertIn('"a": 1.25}', lines[0])
        self.assertIn('"a": NaN, "b": Infinity, "c": -Infinity, "d": 2.5}', lines[1])
        rec = json.loads(lines[1])
        self.assertTrue(math.isnan(rec["a"]))
        self.assertEqual((rec["b"], rec["c"], rec["d"]), (math.inf, -math.inf, 2.5))
        self.assertIn('"big": 1e+308, "bigger": 1e+308}', lines[2])

    def test_values_are_converted_with_float_at_call_time(self):
        run_child(
            """
            import reprise

            class Scalar:  # stands in for numpy and tensor scalars
                def __init__(self, v):
                    self.v = v
                def __float__(self):
                    return self.v

            s = Scalar(0.75)
            reprise.log(step=0, s=s, i=3, b=True)
            s.v = 99.0  # later changes must not show up
            reprise.log(step=1, s=s)
            """,
            self.tmp,
            REPRISE_METRICS=self.metrics(),
        )
        recs = [json.loads(line) for line in read_lines(self.metrics())]
        self.assertEqual(recs[0]["s"], 0.75)
        self.assertEqual((recs[0]["i"], recs[0]["b"]), (3.0, 1.0))
        self.assertEqual(recs[1]["s"], 99.0)

    def test_step_is_optional(self):
        run_child(
            """
            import reprise
            reprise.log(loss=0.5)
            """,
            self.tmp,
            REPRISE_METRICS=self.metrics(),
        )
        rec = json.loads(read_lines(self.metrics())[0])
        self.assertEqual(sorted(rec), ["loss", "ts"])

    def test_metric_names_are_escaped(self):
        names = ['say "hi"', "50%", "val/loss", "\u00e9t\u00e9", "back\\slash"]
        run_child(
            """
            import reprise
            reprise.log(step=4, **{%s})
            """ % ", ".join("%r: %d" % (name, i) for i, name in enumerate(names)),
            self.tmp,
            REPRISE_METRICS=self.metrics(),
        )
        rec = json.loads(read_lines(self.metrics())[0])
        self.assertEqual([k for k in rec if k not in ("step", "ts")], names)
        self.assertEqual([rec[k] for k in names], [0.0, 1.0, 2.0, 3.0, 4.0])

    def test_threads_lose_nothing(self):
        run_child(
            """
            import threading, reprise
            def work(t):
                for i in range(5000):
                    reprise.log(step=i, **{"t%d" % t: i})
            threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
            for th in threads: th.start()
            for th in threads: th.join()
            """,
            self.tmp,
            REPRISE_METRICS=self.metrics(),
        )
        seen = {}
        for line in read_lines(self.metrics()):
            rec = json.loads(line)
            (name,) = [k for k in rec if k.startswith("t") and k != "ts"]
            seen.setdefault(name, []).append(rec["step"])
        self.assertEqual(sorted(seen), ["t0", "t1", "t2", "t3"])
        for steps in seen.values():
            self.assertEqual(steps, list(range(5000)))

    def test_outside_a_run_writes_local_file_and_warns_once(self):
        os.mkdir(self.path("sub"))
        proc = run_child(
            """
            import os, reprise
            reprise.log(step=0, loss=1.0)
            reprise.log(step=1, loss=0.5)
            os.chdir("sub")  # the file was fixed by the first log()
            for i in range(2, 5):
                reprise.log(step=i, loss=0.25)
            """,
            self.tmp,
            PYTHONWARNINGS="always",  # so a repeated warning would show
        )
        self.assertEqual(proc.stderr.count("no Reprise run is active"), 1, proc.stderr)
        self.assertIn(self.path("reprise-metrics.jsonl"), proc.stderr)
        self.assertEqual(len(read_lines(self.path("reprise-metrics.jsonl"))), 5)
        self.assertFalse(os.path.exists(self.path("sub", "reprise-metrics.jsonl")))

    @unittest.skipUnless(hasattr(os, "fork"), "needs os.fork")
    def test_forked_child_does_not_rewrite_parent_lines(self):
        run_child(
            """
            import os, reprise
            from reprise import _metrics
            _metrics.FLUSH_INTERVAL = 3600  # keep the parent's lines buffered across the fork
            for i in range(5):
                reprise.log(step=i, parent=1.0)
            assert len(_metrics._buf) == 5
            pid = os.fork()
            if pid == 0:
                reprise.log(step=100, child=1.0)
                reprise.flush()
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            assert status == 0, status
            """,
            self.tmp,
            REPRISE_METRICS=self.metrics(),
        )
        recs = [json.loads(line) for line in read_lines(self.metrics())]
        self.assertEqual(sorted(r["step"] for r in recs if "parent" in r), [0, 1, 2, 3, 4])
        self.assertEqual([r["step"] for r in recs if "child" in r], [100])

    @unittest.skipUnless(hasattr(os, "fork"), "needs os.fork")
    def test_multiprocessing_worker_lines_arrive(self):
        # Forked workers leave through os._exit, so atexit alone would lose these.
        run_child(
            """
            import multiprocessing, reprise

            def work(k):
                for i in range(10):
                    reprise.log(step=i, **{"w%d" % k: i})

            if __name__ == "__main__":
                reprise.log(step=0, main=1.0)
                ctx = multiprocessing.get_context("fork")
                procs = [ctx.Process(target=work, args=(k,)) for k in range(2)]
                for p in procs: p.start()
                for p in procs: p.join()
                assert all(p.exitcode == 0 for p in procs)
            """,
            self.tmp,
            REPRISE_METRICS=self.metrics(),
        )
        recs = [json.loads(line) for line in read_lines(self.metrics())]
        for key in ("w0", "w1"):
            self.assertEqual([r["step"] for r in recs if key in r], list(range(10)))
        self.assertEqual(len([r for r in recs if "main" in r]), 1)


class LogArgumentTest(unittest.TestCase):
    """Bad calls raise before anything is buffered, so these run in-process."""

    def assertRaisesNaming(self, exc, text, *args, **kwargs):
        with self.assertRaises(exc) as cm:
            reprise.log(*args, **kwargs)
        self.assertIn(text, str(cm.exception))

    def test_value_float_rejects(self):
        self.assertRaisesNaming(TypeError, "'acc'", step=1, loss=0.5, acc="high")
        self.assertRaisesNaming(TypeError, "'acc'", step=1, loss=0.5, acc=[1.0])
        self.assertRaisesNaming(TypeError, "'acc'", step=1, loss=0.5, acc=None)

    def test_step_must_be_a_whole_number(self):
        self.assertRaisesNaming(TypeError, "bool", step=True, loss=0.5)
        self.assertRaisesNaming(TypeError, "float", step=1.0, loss=0.5)
        self.assertRaisesNaming(TypeError, "str", step="1", loss=0.5)
        self.assertRaisesNaming(ValueError, "-1", step=-1, loss=0.5)
        self.assertRaisesNaming(ValueError, "2**53", step=2 ** 53, loss=0.5)

    def test_names(self):
        self.assertRaisesNaming(ValueError, "'ts'", step=1, ts=5)
        self.assertRaisesNaming(ValueError, "control", **{"a\nb": 1.0})
        self.assertRaisesNaming(ValueError, "250", **{"x" * 251: 1.0})
        self.assertRaisesNaming(TypeError, "at least one metric", step=1)

    def test_nothing_was_buffered(self):
        from reprise import _metrics

        self.assertEqual(_metrics._buf, [])
        self.assertIsNone(reprise.metrics_path())


class ParamsTest(TempDirTest):
    def test_reads_reprise_params(self):
        path = self.write("params.json", '{"lr": 0.1, "optim": {"batch": 16}}')
        os.environ["REPRISE_PARAMS"] = path
        self.assertEqual(reprise.params(), {"lr": 0.1, "optim": {"batch": 16}})

    def test_returns_copies_of_a_cached_read(self):
        path = self.write("params.json", '{"optim": {"layers": [1, 2]}}')
        os.environ["REPRISE_PARAMS"] = path
        first = reprise.params()
        first["optim"]["layers"].append(3)
        first["new"] = True
        self.write("params.json", '{"changed": 1}')
        self.assertEqual(reprise.params(), {"optim": {"layers": [1, 2]}})

    def test_falls_back_to_input_json(self):
        os.chdir(self.tmp)
        self.assertEqual(reprise.params(), {})
        self.write("input.json", '{"epochs": 3}')
        self.assertEqual(reprise.params(), {"epochs": 3})

    def test_bad_json_names_the_path(self):
        path = self.write("params.json", '{"lr": ')
        os.environ["REPRISE_PARAMS"] = path
        with self.assertRaises(reprise.ParamsError) as cm:
            reprise.params()
        self.assertIn(path, str(cm.exception))
        self.assertIsInstance(cm.exception, ValueError)

    def test_non_object_names_the_path(self):
        os.chdir(self.tmp)
        path = self.write("input.json", "[1, 2]")
        with self.assertRaises(reprise.ParamsError) as cm:
            reprise.params()
        self.assertIn(path, str(cm.exception))

    def test_missing_file_names_the_path(self):
        os.environ["REPRISE_PARAMS"] = self.path("nope.json")
        with self.assertRaises(OSError) as cm:
            reprise.params()
        self.assertIn(self.path("nope.json"), str(cm.exception))


class FoldersTest(TempDirTest):
    def test_run_folders_are_created(self):
        for func, var in (
            (reprise.output_dir, "REPRISE_OUTPUT_DIR"),
            (reprise.model_dir, "REPRISE_MODEL_DIR"),
            (reprise.tb_dir, "REPRISE_TB_DIR"),
        ):
            want = self.path("run", var.lower(), "deep")
            os.environ[var] = want
            self.assertEqual(func(), want)
            self.assertTrue(os.path.isdir(want), var)

    def test_local_folders_outside_a_run(self):
        os.chdir(self.tmp)
        for func, name in ((reprise.output_dir, "outputs"), (reprise.model_dir, "model"), (reprise.tb_dir, "tb")):
            self.assertEqual(func(), self.path(name))
            self.assertTrue(os.path.isdir(self.path(name)), name)
            self.assertEqual(func(), self.path(name))  # existing folder is fine


class IdentityTest(TempDirTest):
    def test_outside_a_run(self):
        self.assertIsNone(reprise.seed())
        self.assertIsNone(reprise.run_id())
        self.assertFalse(reprise.in_run())

    def test_inside_a_run(self):
        os.environ.update(
            REPRISE_RUN_ID="01J0RUN",
            REPRISE_PROJECT="iris",
            REPRISE_STAGE="train",
            REPRISE_SEED="1234",
        )
        self.assertEqual(reprise.seed(), 1234)
        self.assertEqual(reprise.run_id(), "01J0RUN")
        self.assertEqual(reprise.project(), "iris")
        self.assertEqual(reprise.stage(), "train")
        self.assertTrue(reprise.in_run())

    def test_bad_seed(self):
        os.environ["REPRISE_SEED"] = "abc"
        with self.assertRaises(ValueError) as cm:
            reprise.seed()
        self.assertIn("REPRISE_SEED", str(cm.exception))


class DataTest(TempDirTest):
    def test_the_path_of_a_materialized_query_by_any_case_of_its_name(self):
        os.environ["REPRISE_RUN_ID"] = "01abc"
        os.environ["REPRISE_DATA_TRAIN"] = self.path("train.parquet")
        self.assertEqual(reprise.data("train"), self.path("train.parquet"))
        self.assertEqual(reprise.data("TRAIN"), self.path("train.parquet"))

    def test_an_unknown_query_in_a_run_names_the_ones_there_are(self):
        os.environ["REPRISE_RUN_ID"] = "01abc"
        os.environ["REPRISE_DATA_TRAIN"] = self.path("train.parquet")
        with self.assertRaises(reprise.DataError) as caught:
            reprise.data("test")
        self.assertIn("'test'", str(caught.exception))
        self.assertIn("train", str(caught.exception))

    def test_outside_a_run_the_variable_may_stand_in_and_its_absence_says_so(self):
        with self.assertRaises(LookupError) as caught:
            reprise.data("train")
        self.assertIn("REPRISE_DATA_TRAIN", str(caught.exception))
        os.environ["REPRISE_DATA_TRAIN"] = self.path("mine.csv")
        self.assertEqual(reprise.data("train"), self.path("mine.csv"))


class LogHistogramTest(TempDirTest):
    """Lines written by log_histogram(), in child processes as for log()."""

    def records(self, code):
        run_child(code, self.tmp, REPRISE_METRICS=self.path("metrics.jsonl"))
        lines = read_lines(self.path("metrics.jsonl"))
        for line in lines:
            self.assertEqual(line, json.dumps(json.loads(line)))  # json.dumps layout
        return [json.loads(line) for line in lines]

    def test_values_are_bucketed_in_equal_widths_with_stats(self):
        before = int(time.time() * 1000)
        (rec,) = self.records(
            """
            import reprise
            reprise.log_histogram("layer1/w", [0.0, 1.0, 2.0, 3.0, 4.0], step=7, bins=4)
            """
        )
        after = int(time.time() * 1000)
        self.assertEqual(list(rec), ["histogram", "step", "ts", "buckets", "stats"])
        self.assertEqual(rec["histogram"], "layer1/w")
        self.assertEqual(rec["step"], 7)
        self.assertIsInstance(rec["ts"], int)
        self.assertTrue(before <= rec["ts"] <= after, rec["ts"])
        # The greatest value goes into the last bucket, which is closed.
        self.assertEqual(rec["buckets"], [[0.0, 1.0, 1], [1.0, 2.0, 1], [2.0, 3.0, 1], [3.0, 4.0, 2]])
        self.assertEqual(rec["stats"], {"min": 0.0, "max": 4.0, "count": 5, "sum": 10.0, "sumSquares": 30.0})

    def test_rows_are_the_runners_to_the_last_bit(self):
        # Rows and stats that src/core/histogram.ts's histogramOfValues gives for these
        # values and 7 bins, as it printed them.
        (rec,) = self.records(
            """
            import reprise
            reprise.log_histogram("w", [0.1 * i for i in range(11)] + [-0.3], step=0, bins=7)
            """
        )
        self.assertEqual(
            rec["buckets"],
            [
                [-0.3, -0.11428571428571427, 1],
                [-0.11428571428571427, 0.07142857142857145, 1],
                [0.07142857142857145, 0.2571428571428572, 2],
                [0.2571428571428572, 0.4428571428571429, 2],
                [0.4428571428571429, 0.6285714285714286, 2],
                [0.6285714285714286, 0.8142857142857143, 2],
                [0.8142857142857143, 1, 2],
            ],
        )
        self.assertEqual(
            rec["stats"], {"min": -0.3, "max": 1, "count": 12, "sum": 5.200000000000001, "sumSquares": 3.9400000000000004}
        )

    def test_thirty_bins_by_default_the_last_edge_exactly_the_max(self):
        (rec,) = self.records(
            """
            import reprise
            reprise.log_histogram("w", [i * 0.37 for i in range(100)], step=1)
            """
        )
        rows = rec["buckets"]
        self.assertEqual(len(rows), 30)
        self.assertEqual(rows[0][0], 0.0)
        self.assertEqual(rows[-1][1], 99 * 0.37)
        for a, b in zip(rows, rows[1:]):
            self.assertEqual(a[1], b[0])
        self.assertEqual(sum(r[2] for r in rows), 100)

    def test_equal_values_fill_the_last_of_zero_width_buckets(self):
        (rec,) = self.records(
            """
            import reprise
            reprise.log_histogram("w", [2.5, 2.5, 2.5, 2.5], step=0, bins=3)
            """
        )
        self.assertEqual(rec["buckets"], [[2.5, 2.5, 0], [2.5, 2.5, 0], [2.5, 2.5, 4]])
        self.assertEqual(rec["stats"], {"min": 2.5, "max": 2.5, "count": 4, "sum": 10.0, "sumSquares": 25.0})

    def test_nan_and_infinities_are_left_out(self):
        (rec,) = self.records(
            """
            import reprise
            nan, inf = float("nan"), float("inf")
            reprise.log_histogram("w", [nan, 1.0, inf, 3.0, -inf], step=0, bins=2)
            """
        )
        self.assertEqual(rec["buckets"], [[1.0, 2.0, 1], [2.0, 3.0, 1]])
        self.assertEqual(rec["stats"], {"min": 1.0, "max": 3.0, "count": 2, "sum": 4.0, "sumSquares": 10.0})

    def test_subnormal_spread_loses_no_value(self):
        # (max - min) / bins underflows to 0 here; every value must still be counted.
        (rec,) = self.records(
            """
            import reprise
            reprise.log_histogram("w", [0.0, 1e-323, 1e-323], step=0, bins=30)
            """
        )
        counts = [r[2] for r in rec["buckets"]]
        self.assertEqual((counts[0], counts[-1], sum(counts)), (1, 2, 3))

    def test_arrays_tensors_iterables_and_scalars(self):
        recs = self.records(
            """
            import reprise

            class Array:  # stands in for numpy arrays and tensors: no numpy needed
                def __init__(self, rows):
                    self.rows = rows
                def ravel(self):
                    return Array([x for row in self.rows for x in row])
                def tolist(self):
                    return list(self.rows)

            class Scalar:  # numpy scalars convert with float()
                def __init__(self, v):
                    self.v = v
                def __float__(self):
                    return self.v

            reprise.log_histogram("array", Array([[1.0, 2.0], [3.0, 4.0]]), step=0, bins=3)
            reprise.log_histogram("generator", (x for x in (1, 2, 3, 4)), step=0, bins=3)
            reprise.log_histogram("mixed", (True, 2, Scalar(3.0), 4.0), step=0, bins=3)
            """
        )
        self.assertEqual([r["histogram"] for r in recs], ["array", "generator", "mixed"])
        for rec in recs:
            self.assertEqual([r[2] for r in rec["buckets"]], [1, 1, 2], rec["histogram"])
            self.assertEqual(rec["stats"]["count"], 4)
        self.assertEqual(recs[0]["buckets"], recs[1]["buckets"])

    def test_counts_and_edges_are_written_as_given_without_stats(self):
        (rec,) = self.records(
            """
            import reprise
            reprise.log_histogram("pre", counts=[3, 0, 2.5], edges=[0, 1, 1, 4], step=2)
            """
        )
        self.assertEqual(list(rec), ["histogram", "step", "ts", "buckets"])
        self.assertEqual(rec["buckets"], [[0.0, 1.0, 3], [1.0, 1.0, 0], [1.0, 4.0, 2.5]])

    def test_step_is_optional(self):
        (rec,) = self.records(
            """
            import reprise
            reprise.log_histogram("w", [1.0, 2.0])
            """
        )
        self.assertEqual(list(rec), ["histogram", "ts", "buckets", "stats"])

    def test_lines_stay_whole_and_in_order_with_log(self):
        # Keys with '%' and quotes share batches with log()'s %-formatted lines.
        recs = self.records(
            """
            import reprise
            for i in range(3000):
                reprise.log(step=i, loss=1.0 / (i + 1))
                reprise.log_histogram('50%%s %%d "q"', [i, i + 1.5], step=i, bins=2)
                if i %% 1000 == 0:
                    reprise.flush()
            """.replace("%%", "%")
        )
        self.assertEqual(len(recs), 6000)
        for i in range(3000):
            scalar, hist = recs[2 * i], recs[2 * i + 1]
            self.assertEqual((scalar["step"], scalar["loss"]), (i, 1.0 / (i + 1)))
            self.assertEqual((hist["histogram"], hist["step"]), ('50%s %d "q"', i))
            self.assertEqual(hist["buckets"], [[i, i + 0.75, 1], [i + 0.75, i + 1.5, 1]])

    def test_outside_a_run_warns_at_the_caller(self):
        proc = run_child(
            """
            import reprise
            reprise.log_histogram("w", [1.0])
            """,
            self.tmp,
            PYTHONWARNINGS="always",
        )
        self.assertIn("<string>:3: RepriseWarning", proc.stderr)
        self.assertEqual(len(read_lines(self.path("reprise-metrics.jsonl"))), 1)


class LogHistogramArgumentTest(unittest.TestCase):
    """Bad calls raise before anything is buffered, so these run in-process."""

    def assertRaisesNaming(self, exc, text, *args, **kwargs):
        with self.assertRaises(exc) as cm:
            reprise.log_histogram(*args, **kwargs)
        self.assertIn(text, str(cm.exception))
        self.assertIn("log_histogram", str(cm.exception))

    def test_values_without_a_finite_number_name_the_key(self):
        self.assertRaisesNaming(ValueError, "'w'", "w", [float("nan"), float("inf")], step=0)
        self.assertRaisesNaming(ValueError, "'w'", "w", [], step=0)

    def test_values_must_be_numbers(self):
        self.assertRaisesNaming(TypeError, "'w'", "w", "123", step=0)
        self.assertRaisesNaming(TypeError, "iterable", "w", 5.0, step=0)
        self.assertRaisesNaming(TypeError, "item 1", "w", [1.0, "x"], step=0)
        self.assertRaisesNaming(TypeError, "item 0", "w", [[1.0, 2.0]], step=0)

    def test_values_that_overflow_the_width(self):
        self.assertRaisesNaming(ValueError, "'w'", "w", [-1e308, 1e308], step=0)

    def test_bins(self):
        self.assertRaisesNaming(ValueError, "bins", "w", [1.0], bins=0)
        self.assertRaisesNaming(ValueError, "10000", "w", [1.0], bins=10001)
        self.assertRaisesNaming(TypeError, "bins", "w", [1.0], bins=2.5)
        self.assertRaisesNaming(TypeError, "bool", "w", [1.0], bins=True)

    def test_key(self):
        self.assertRaisesNaming(ValueError, "key", "", [1.0])
        self.assertRaisesNaming(ValueError, "250", "x" * 251, [1.0])
        self.assertRaisesNaming(ValueError, "control", "a\nb", [1.0])
        self.assertRaisesNaming(TypeError, "key", 5, [1.0])

    def test_step(self):
        self.assertRaisesNaming(ValueError, "-1", "w", [1.0], step=-1)
        self.assertRaisesNaming(ValueError, "2**53", "w", [1.0], step=2 ** 53)
        self.assertRaisesNaming(TypeError, "bool", "w", [1.0], step=True)
        self.assertRaisesNaming(TypeError, "float", "w", [1.0], step=1.0)

    def test_counts_and_edges(self):
        self.assertRaisesNaming(ValueError, "edges", "w", counts=[1, 2], edges=[0, 1])
        self.assertRaisesNaming(ValueError, "edges[2]", "w", counts=[1, 1], edges=[0, 2, 1])
        self.assertRaisesNaming(ValueError, "edges[1]", "w", counts=[1], edges=[0, float("inf")])
        self.assertRaisesNaming(ValueError, "counts[0]", "w", counts=[-1], edges=[0, 1])
        self.assertRaisesNaming(ValueError, "counts[0]", "w", counts=[float("nan")], edges=[0, 1])
        self.assertRaisesNaming(ValueError, "counts", "w", counts=[], edges=[0])
        self.assertRaisesNaming(ValueError, "counts", "w", counts=[1] * 10001, edges=list(range(10002)))
        self.assertRaisesNaming(TypeError, "counts", "w", counts="12", edges=[0, 1, 2])
        self.assertRaisesNaming(ValueError, "edges", "w", counts=[1], edges=[0, "x"])

    def test_values_or_counts_and_edges(self):
        self.assertRaisesNaming(TypeError, "not both", "w", [1.0], counts=[1], edges=[0, 1])
        self.assertRaisesNaming(TypeError, "edges is missing", "w", counts=[1])
        self.assertRaisesNaming(TypeError, "counts is missing", "w", edges=[0, 1])
        self.assertRaisesNaming(TypeError, "give values", "w")

    def test_nothing_was_buffered(self):
        from reprise import _metrics

        self.assertEqual(_metrics._buf, [])


if __name__ == "__main__":
    unittest.main()
