"""Metrics: log() only buffers; a daemon thread appends whole JSON lines to the file.

log() sits inside training loops, so it must stay within a few microseconds: it
converts the values with float() (so a bad value fails at the call, naming its key,
and a tensor is neither kept alive nor read later) and appends one flat tuple to a
list, which needs no lock. Everything else happens at flush time.
"""

import atexit
import json
import operator
import os
import sys
import threading
import time
import warnings
from itertools import chain

FLUSH_INTERVAL = 0.5  # seconds between background flushes
WAKE_AT = 10000  # buffered entries that wake the flusher early
MAX_STEP = 2 ** 53 - 1  # the runner reads steps as JavaScript numbers
MAX_NAME = 250  # longest metric name the runner accepts
FALLBACK_FILE = "reprise-metrics.jsonl"


class RepriseWarning(UserWarning):
    """Metrics go to a local file because no Reprise run is active."""


_time = time.time
_first = operator.itemgetter(0)
_rest = operator.itemgetter(slice(1, None))

# Per-process state; _after_fork_in_child replaces what a child must not share.
_buf = []  # flat tuples: (template, [step,] ts_ms, value, ...)
_wake = threading.Event()
_flush_lock = threading.Lock()  # one writer at a time keeps the lines in order
_start_lock = threading.Lock()
_running = False  # flusher thread started in this process
_path = None  # metrics file, fixed at the first log()
_fd = None
_atexit_registered = False
_write_failed = False

# Metric names -> (line template with step, without step). Templates are validated
# once per name set, which keeps name checks off the hot path.
_templates = {}


def log(step=None, **metrics):
    """Record metric values, e.g. log(step=3, loss=0.42, acc=0.91).

    Values may be anything float() accepts (ints, floats, numpy scalars, ...);
    one that float() rejects raises TypeError naming its key. step, when given,
    is a whole number from 0 to 2**53 - 1 (bool is refused). Lines reach the file
    within about half a second, at flush(), or when the process exits.
    """
    ts = _time() * 1000.0
    if step is not None and (type(step) is not int or not 0 <= step <= MAX_STEP):
        step = _checked_step(step)
    template = _templates.get(tuple(metrics)) or _template(metrics)
    try:
        if step is None:
            entry = (template[1], ts, *map(float, metrics.values()))
        else:
            entry = (template[0], step, ts, *map(float, metrics.values()))
    except Exception as e:  # TypeError, ValueError, or whatever a tensor's __float__ raises
        raise _bad_value(metrics) from e
    if not _running:
        _start()
    _buf.append(entry)
    if len(_buf) >= WAKE_AT and not _wake.is_set():
        _wake.set()


def _append_line(line):
    """Queue one whole JSON line (ending in a newline) written by another call, such as
    log_histogram(), so it reaches the file in call order with log()'s lines."""
    # A template with no arguments: '%' must be doubled for the batch's single %.
    entry = (line.replace("%", "%%"),)
    if not _running:
        _start(stacklevel=5)  # the warning names the caller of log_histogram()
    _buf.append(entry)
    if len(_buf) >= WAKE_AT and not _wake.is_set():
        _wake.set()


def flush():
    """Write everything logged so far to the metrics file before returning."""
    with _flush_lock:
        buf = _buf
        n = len(buf)
        if not n:
            return
        # Other threads only ever append, so the first n entries stay put while
        # they are copied and removed (each step is a single atomic list operation).
        batch = buf[:n]
        del buf[:n]
        _write(_format(batch))


def metrics_path():
    """The file log() appends to, or None before the first log()."""
    return _path


def _format(batch):
    # A single % over the whole batch keeps the per-line work in C; the float
    # reprs (the same text json.dumps writes) are most of what is left.
    args = tuple(chain.from_iterable(map(_rest, batch)))
    # A non-finite sum means NaN or an infinity somewhere (or a harmless overflow).
    if sum(args) * 0:
        args = tuple(map(_json_number, args))
    return ("".join(map(_first, batch)) % args).encode("utf-8")


def _json_number(x):
    if x * 0 == 0:
        return x
    if x != x:
        return "NaN"
    return "Infinity" if x > 0 else "-Infinity"


def _template(metrics):
    if not metrics:
        raise TypeError("reprise.log() needs at least one metric, e.g. log(step=1, loss=0.5)")
    parts = []
    for name in metrics:
        if name == "ts":
            raise ValueError("reprise.log(): 'ts' is reserved for the timestamp, pick another metric name")
        if not 0 < len(name) <= MAX_NAME or any(c < " " for c in name):
            raise ValueError(
                "reprise.log(): metric name %r must be 1 to %d characters without control characters"
                % (name[:40], MAX_NAME)
            )
        # json.dumps escapes the name; %% keeps a '%' in it out of the formatting.
        parts.append(", %s: %%s" % json.dumps(name).replace("%", "%%"))
    names = "".join(parts)
    template = ('{"step": %d, "ts": %d' + names + "}\n", '{"ts": %d' + names + "}\n")
    if len(_templates) >= 10000:
        _templates.clear()  # names generated on the fly: keep the cache bounded
    _templates[tuple(metrics)] = template
    return template


def _checked_step(step, who="reprise.log()"):
    if isinstance(step, bool):
        raise TypeError("%s: step must be an int, not bool" % who)
    try:
        step = operator.index(step)  # numpy integers too
    except TypeError:
        raise TypeError("%s: step must be an int, not %s" % (who, type(step).__name__)) from None
    if not 0 <= step <= MAX_STEP:
        raise ValueError("%s: step must be between 0 and 2**53 - 1, got %d" % (who, step))
    return step


def _bad_value(metrics):
    for name, value in metrics.items():
        try:
            float(value)
        except Exception:
            return TypeError(
                "reprise.log(): metric %r must be a number, got %s %.60r"
                % (name, type(value).__name__, value)
            )
    return TypeError("reprise.log(): a metric value could not be converted to float")


def _start(stacklevel=4):
    global _running, _path, _atexit_registered
    with _start_lock:
        if _running:
            return
        if _path is None:
            _path = _resolve_path(stacklevel)
        threading.Thread(target=_flush_loop, name="reprise-metrics", daemon=True).start()
        if not _atexit_registered:
            atexit.register(flush)
            _atexit_registered = True
        mp_util = sys.modules.get("multiprocessing.util")
        if mp_util is not None:
            # Worker processes of multiprocessing end with os._exit, which skips
            # atexit, but they do run these finalizers.
            mp_util.Finalize(None, flush, exitpriority=0)
        _running = True


def _resolve_path(stacklevel):
    path = os.environ.get("REPRISE_METRICS")
    if path:
        return os.path.abspath(path)
    path = os.path.abspath(FALLBACK_FILE)
    warnings.warn(
        "reprise: no Reprise run is active (REPRISE_METRICS is unset), "
        "so metrics are written to %s" % path,
        RepriseWarning,
        stacklevel=stacklevel,  # the caller of log(), not the SDK
    )
    return path


def _flush_loop():
    while True:
        _wake.wait(FLUSH_INTERVAL)
        _wake.clear()
        flush()


def _write(data):
    global _fd, _write_failed
    try:
        if _fd is None:
            os.makedirs(os.path.dirname(_path), exist_ok=True)
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
            _fd = os.open(_path, flags, 0o644)
        # Unbuffered and complete lines only, so the runner never tails half a line.
        view = memoryview(data)
        while view:
            view = view[os.write(_fd, view):]
    except OSError as e:
        if not _write_failed:
            _write_failed = True
            sys.stderr.write("reprise: cannot write metrics to %s: %s\n" % (_path, e))


def _after_fork_in_child():
    # The child starts empty: the parent writes what it had buffered, and locks
    # held by the parent's flusher thread would never be released here.
    global _buf, _wake, _flush_lock, _start_lock, _running, _fd
    _buf = []
    _wake = threading.Event()
    _flush_lock = threading.Lock()
    _start_lock = threading.Lock()
    _running = False
    if _fd is not None:
        try:
            os.close(_fd)
        except OSError:
            pass
        _fd = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
