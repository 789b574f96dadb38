#!/usr/bin/python3
"""Reads a run's TensorBoard scalars back with TensorBoard's own EventAccumulator.

The check of record that `pretrain`'s event files (//ijepa/common:event_file) are what TensorBoard
reads: TensorBoard's reader verifies both CRCs of every record, and the accumulator applies its
restart handling across the files of the folder as `tensorboard --logdir` does. Prints every
scalar tag with its number of steps and step range, and exits 1 when an expected tag is missing
or a tag's steps go backwards.

TensorBoard is not a dependency of the project: install it in a throwaway folder,

  /usr/bin/python3 -m pip install --target /tmp/tb-py tensorboard
  PYTHONPATH=/tmp/tb-py /usr/bin/python3 tools/check_tensorboard_events.py runs/x [--probe]

RUN is the run's output folder (its tb/ is read) or the tb/ folder itself. --probe also expects
the probe's tags (probe.enabled runs).
"""

import argparse
import os
import sys

TRAIN_TAGS = [
    "train/loss", "train/lr", "train/wd", "train/ema_momentum", "train/images_per_s",
    "collapse/rankme", "collapse/rankme_relative", "collapse/pred_std",
]
PROBE_TAGS = ["probe/linear_top1", "probe/linear_top5"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", help="the run's output folder, or its tb/ folder")
    parser.add_argument("--probe", action="store_true", help="also expect the probe's tags")
    args = parser.parse_args()
    try:
        from tensorboard.backend.event_processing import event_accumulator
    except ImportError as e:
        sys.exit(f"check_tensorboard_events: cannot import tensorboard ({e}); install it with "
                 "pip install --target DIR tensorboard and set PYTHONPATH=DIR")

    folder = args.run
    if os.path.isdir(os.path.join(folder, "tb")):
        folder = os.path.join(folder, "tb")
    files = sorted(f for f in os.listdir(folder) if "tfevents" in f) if os.path.isdir(folder) else []
    if not files:
        sys.exit(f"check_tensorboard_events: no events.out.tfevents.* files in {folder}")
    print(f"{folder}: {len(files)} event file(s): {', '.join(files)}")

    # size_guidance 0 keeps every point (the default samples 1000 scalars per tag).
    acc = event_accumulator.EventAccumulator(folder, size_guidance={event_accumulator.SCALARS: 0})
    acc.Reload()
    tags = acc.Tags()["scalars"]
    ok = True
    for tag in sorted(tags):
        events = acc.Scalars(tag)
        steps = [e.step for e in events]
        print(f"  {tag:28s} {len(steps):5d} steps  [{steps[0]} .. {steps[-1]}]  "
              f"last {events[-1].value:.6g}")
        if any(b < a for a, b in zip(steps, steps[1:])):
            print(f"  ERROR: {tag}: steps go backwards: {steps}")
            ok = False
    expected = TRAIN_TAGS + (PROBE_TAGS if args.probe else [])
    missing = [t for t in expected if t not in tags]
    if missing:
        print(f"ERROR: missing tags: {', '.join(missing)}")
        ok = False
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
