"""Reads a TensorBoard log folder with the real tensorboard package's readers.

Usage: python read_events.py LOGDIR   (the .venv-tensorboard interpreter)

Every folder under LOGDIR holding a file whose name contains "tfevents" is a run,
read with EventAccumulator keeping every event (size guidance 0) and without
TensorBoard's purge of "orphaned" steps, so what is printed is what was written.
Before that, each file's records are read once strictly: a bad checksum or a cut
record fails the script (EventAccumulator alone would stop there silently).

Prints one JSON object (NaN and the infinities as "NaN", "Infinity", "-Infinity"):

  {"runs": {"<run folder relative to LOGDIR, '.' for LOGDIR>": {
      "scalars": {tag: [[step, value], ...]},        simple_value or scalar tensors
      "histograms": {tag: [{"step", "buckets": [[left, right, count], ...],
                            "stats": {...} | null}]},
      "text": {tag: [[step, text], ...]},
      "hparams": {"session_start": {name: value}, "group": str,
                  "status": "STATUS_SUCCESS" | ... | null} | null,
      "experiment": {"hparams": [names], "metrics": [tags]} | null,
      "other": {tag: plugin name}                    tags of any other plugin
   }},
   "files": {"<file relative to LOGDIR>": record count},
   "experiment": {"run": str, "hparams": [names], "metrics": [tags]} | null}

Histograms in TF2 tensor form (plugin "histograms", [k, 3]) are the tensor's rows;
stats are null. A HistogramProto (tensorboardX, torch, TF1) has right edges only:
row i is [limit[i-1] (min for the first), limit[i], count[i]], with the empty rows
at both ends left out (tensorboardX writes an empty first bucket only to carry the
first kept bin's left edge), and its min, max, num, sum and sum_squares as stats.
The experiment is the "_hparams_/experiment" record of the top-level run if it has
one, else of the first run (in sorted order) that does.
"""

import os
import sys

from tensorboard.backend.event_processing import event_accumulator, event_file_loader
from tensorboard.compat.proto import event_pb2
from tensorboard.plugins.hparams import api_pb2
from tensorboard.plugins.hparams import metadata as hparams_metadata
from tensorboard.util import tensor_util

import tb_json

KEEP_EVERYTHING = {
    event_accumulator.COMPRESSED_HISTOGRAMS: 0,
    event_accumulator.IMAGES: 0,
    event_accumulator.AUDIO: 0,
    event_accumulator.SCALARS: 0,
    event_accumulator.HISTOGRAMS: 0,
    event_accumulator.TENSORS: 0,
}


class ReadError(Exception):
    pass


def is_event_file(name):
    return "tfevents" in name  # the test TensorBoard's own loader applies


def check_records(path):
    """Reads every record of one file strictly; returns how many there are."""
    n = 0
    try:
        # The same record reader the loaders use (TensorBoard's stub without TensorFlow),
        # but its DataLossError is not swallowed here.
        for record in event_file_loader._make_tf_record_iterator(path):
            event_pb2.Event.FromString(record)
            n += 1
    except Exception as e:
        raise ReadError("%s: record %d unreadable: %s" % (path, n, e)) from e
    return n


def proto_histogram(h):
    rows = []
    left = h.min
    for right, count in zip(h.bucket_limit, h.bucket):
        rows.append([left, right, count])
        left = right
    while rows and rows[0][2] == 0:
        rows.pop(0)
    while rows and rows[-1][2] == 0:
        rows.pop()
    stats = {"min": h.min, "max": h.max, "count": h.num, "sum": h.sum, "sumSquares": h.sum_squares}
    return rows, stats


def text_of(tensor_proto):
    arr = tensor_util.make_ndarray(tensor_proto)

    def decode(x):
        return x.decode("utf-8") if isinstance(x, bytes) else str(x)

    if arr.size == 1:
        return decode(arr.reshape(-1)[0])
    return [decode(x) for x in arr.reshape(-1)]


def value_of(v):
    kind = v.WhichOneof("kind")
    if kind in ("number_value", "string_value", "bool_value"):
        return getattr(v, kind)
    if kind == "null_value" or kind is None:
        return None
    from google.protobuf import json_format

    return json_format.MessageToDict(v)


def read_run(path):
    acc = event_accumulator.EventAccumulator(path, size_guidance=KEEP_EVERYTHING, purge_orphaned_data=False)
    acc.Reload()
    tags = acc.Tags()
    run = {"scalars": {}, "histograms": {}, "text": {}, "hparams": None, "experiment": None, "other": {}}

    for tag in tags[event_accumulator.SCALARS]:
        run["scalars"][tag] = [[e.step, e.value] for e in acc.Scalars(tag)]

    for tag in tags[event_accumulator.HISTOGRAMS]:
        points = run["histograms"].setdefault(tag, [])
        for e in acc.Histograms(tag):
            rows, stats = proto_histogram(e.histogram_value)
            points.append({"step": e.step, "buckets": rows, "stats": stats})

    for tag in tags[event_accumulator.TENSORS]:
        try:
            plugin = acc.SummaryMetadata(tag).plugin_data.plugin_name
        except KeyError:
            plugin = ""
        events = acc.Tensors(tag)
        if plugin == "scalars":
            points = run["scalars"].setdefault(tag, [])
            for e in events:
                points.append([e.step, tensor_util.make_ndarray(e.tensor_proto).item()])
        elif plugin == "histograms":
            points = run["histograms"].setdefault(tag, [])
            for e in events:
                arr = tensor_util.make_ndarray(e.tensor_proto)
                if arr.ndim != 2 or (arr.size and arr.shape[1] != 3):
                    raise ReadError("%s: histogram %r at step %d has shape %s, not [k, 3]" % (path, tag, e.step, arr.shape))
                points.append({"step": e.step, "buckets": arr.reshape(-1, 3).tolist(), "stats": None})
        elif plugin == "text":
            run["text"][tag] = [[e.step, text_of(e.tensor_proto)] for e in events]
        elif plugin != hparams_metadata.PLUGIN_NAME:  # hparams records are read below
            run["other"][tag] = plugin

    try:
        content = acc.PluginTagToContent(hparams_metadata.PLUGIN_NAME)
    except KeyError:
        content = {}
    start = content.get(hparams_metadata.SESSION_START_INFO_TAG)
    end = content.get(hparams_metadata.SESSION_END_INFO_TAG)
    if start is not None or end is not None:
        hp = {"session_start": {}, "group": None, "status": None}
        if start is not None:
            info = hparams_metadata.parse_session_start_info_plugin_data(start)
            hp["session_start"] = {name: value_of(v) for name, v in sorted(info.hparams.items())}
            hp["group"] = info.group_name
        if end is not None:
            info = hparams_metadata.parse_session_end_info_plugin_data(end)
            hp["status"] = api_pb2.Status.Name(info.status)
        run["hparams"] = hp
    if hparams_metadata.EXPERIMENT_TAG in content:
        exp = hparams_metadata.parse_experiment_plugin_data(content[hparams_metadata.EXPERIMENT_TAG])
        run["experiment"] = {
            "hparams": [h.name for h in exp.hparam_infos],
            "metrics": [m.name.tag for m in exp.metric_infos],
        }
    return run


def read_logdir(logdir):
    runs, files = {}, {}
    for dirpath, dirnames, filenames in os.walk(logdir):
        dirnames.sort()
        names = sorted(f for f in filenames if is_event_file(f))
        if not names:
            continue
        for name in names:
            path = os.path.join(dirpath, name)
            files[os.path.relpath(path, logdir)] = check_records(path)
        rel = os.path.relpath(dirpath, logdir)
        runs[rel] = read_run(dirpath)
    experiment = None
    with_experiment = sorted(rel for rel, run in runs.items() if run["experiment"] is not None)
    if with_experiment:
        rel = "." if "." in with_experiment else with_experiment[0]
        experiment = {"run": rel, **runs[rel]["experiment"]}
    return {"runs": runs, "files": files, "experiment": experiment}


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: read_events.py LOGDIR\n")
        return 2
    logdir = os.path.abspath(argv[1])
    if not os.path.isdir(logdir):
        sys.stderr.write("read_events.py: %s is not a folder\n" % logdir)
        return 2
    try:
        result = read_logdir(logdir)
    except ReadError as e:
        sys.stderr.write("read_events.py: %s\n" % e)
        return 1
    tb_json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
