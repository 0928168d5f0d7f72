"""A pipeline stage for the live test: tensorboardX writing into the run's
TensorBoard folder while the run goes on.

Usage (as a stage command, with the .venv-tensorboard interpreter):
  live_writer.py [N=20] [PAUSE=0.2]

Writes scalar "live/loss" = 1 / (step + 1) at steps 0..N-1, flushing after each and
pausing PAUSE seconds between steps; histogram "live/weights" every 5 steps; text
"notes" (tag "notes/text_summary") at step 0; hparams at the end into the subfolder
"hparams". Then creates $REPRISE_OUTPUT_DIR/done.
"""

import os
import sys
import time

import numpy as np
from tensorboardX import SummaryWriter


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    pause = float(sys.argv[2]) if len(sys.argv) > 2 else 0.2
    tb_dir = os.environ.get("REPRISE_TB_DIR")
    out_dir = os.environ.get("REPRISE_OUTPUT_DIR")
    if not tb_dir or not out_dir:
        sys.exit("live_writer.py: REPRISE_TB_DIR and REPRISE_OUTPUT_DIR must be set (run it as a stage of reprise run)")

    rng = np.random.default_rng(0)
    writer = SummaryWriter(tb_dir)
    writer.add_text("notes", "live run, %d steps" % n, 0)
    for step in range(n):
        writer.add_scalar("live/loss", 1.0 / (step + 1), step)
        if step % 5 == 0:
            writer.add_histogram("live/weights", rng.normal(loc=0.1 * step, size=200), step)
        # Each step on disk at once, so a reader following the run sees it arrive.
        writer.flush()
        print("step %d" % step, flush=True)
        if step < n - 1:
            time.sleep(pause)
    writer.add_hparams({"lr": 0.01, "optimizer": "adam"}, {"hparam/final_loss": 1.0 / n}, name="hparams")
    writer.close()

    os.makedirs(out_dir, exist_ok=True)
    open(os.path.join(out_dir, "done"), "w").close()


if __name__ == "__main__":
    main()
