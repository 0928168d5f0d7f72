"""Cost of reprise.log() per call in a tight loop, the final flush included.

Usage: python3 bench/sdk_log.py [calls]. Times `calls` (default 200000) calls of
reprise.log() plus the flush() that writes the last of them, checks that the metrics
file got one line per call, and prints the wall time per call. The loop runs three
times and the fastest run is reported, so that other work on the machine does not
inflate the figure. Exits 1 when a call costs 5 us or more.
"""

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sdk", "python"))

BUDGET_US = 5.0
RUNS = 3


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "metrics.jsonl")
        os.environ["REPRISE_METRICS"] = path
        import reprise

        best = None
        for run in range(1, RUNS + 1):
            # Values that change every step, so their decimal forms are full length.
            start = time.perf_counter()
            for i in range(n):
                reprise.log(step=i, loss=1.0 / (i + 1), acc=0.5 + i * 1e-7)
            reprise.flush()
            elapsed = time.perf_counter() - start
            best = elapsed if best is None else min(best, elapsed)

            with open(path, "rb") as f:
                lines = sum(1 for _ in f)
            if lines != n * run:
                print("sdk log(): expected %d lines in %s, found %d" % (n * run, path, lines))
                return 1
    per_call = best / n * 1e6
    print("sdk log(): %.2f us per call (%d calls, flush included)" % (per_call, n))
    return 0 if per_call < BUDGET_US else 1


if __name__ == "__main__":
    sys.exit(main())
