#!/usr/bin/python3
"""Compares //ijepa/masking in --official mode with the official I-JEPA MaskCollator.

The two cannot agree bit for bit (the official collator draws positions from torch's global RNG),
so this compares distributions: the per-batch context and target lengths (which depend on every
part of the algorithm: block size rounding, corner range, overlap removal, rejection, truncation).
Exits 1 when the means differ by more than 3 standard errors.

  bazel build //ijepa/masking:sample_masks
  /usr/bin/python3 tools/compare_official_masks.py --ijepa_root=/path/to/ijepa \
      --sample_masks=bazel-bin/ijepa/masking/sample_masks --grid=14

Needs Debian's python3-torch and a checkout of facebookresearch/ijepa; never part of the build.
"""

import argparse
import json
import statistics
import subprocess
import sys


def summary(values):
    return statistics.mean(values), statistics.pstdev(values)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ijepa_root", required=True)
    parser.add_argument("--sample_masks", required=True, help="path to the sample_masks binary")
    parser.add_argument("--grid", type=int, default=14)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--python_batches", type=int, default=400)
    parser.add_argument("--cc_batches", type=int, default=4000)
    args = parser.parse_args()

    sys.path.insert(0, args.ijepa_root)
    import torch
    from src.masks.multiblock import MaskCollator  # the official code, unchanged

    torch.set_num_threads(1)
    torch.manual_seed(0)
    collator = MaskCollator(input_size=(args.grid * 14, args.grid * 14), patch_size=14,
                            enc_mask_scale=(0.85, 1.0), pred_mask_scale=(0.15, 0.2),
                            aspect_ratio=(0.75, 1.5), nenc=1, npred=4, min_keep=10)
    py = {"context": [], "target": []}
    for _ in range(args.python_batches):
        _, enc, pred = collator([torch.zeros(1)] * args.batch)
        py["context"].append(enc[0].shape[1])
        py["target"].append(pred[0].shape[1])

    out = subprocess.run([args.sample_masks, f"--grid={args.grid}x{args.grid}",
                          f"--batch={args.batch}", f"--batches={args.cc_batches}", "--official"],
                         check=True, capture_output=True, text=True).stdout
    cc = {"context": [], "target": []}
    for line in out.splitlines():
        batch = json.loads(line)
        cc["context"].append(len(batch["context"][0]))
        cc["target"].append(len(batch["targets"][0][0]))

    ok = True
    for key in ("context", "target"):
        (pm, ps), (cm, cs) = summary(py[key]), summary(cc[key])
        stderr = (ps ** 2 / len(py[key]) + cs ** 2 / len(cc[key])) ** 0.5
        agree = abs(pm - cm) <= 3 * stderr + 1e-9
        ok &= agree
        print(f"{key} length per batch: official {pm:.2f} (sd {ps:.2f}), "
              f"ijepa/masking --official {cm:.2f} (sd {cs:.2f}): {'agree' if agree else 'DIFFER'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
