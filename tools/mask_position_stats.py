#!/usr/bin/python3
"""What the masking fixes change in the pretext task: context size and where context and targets
fall on the patch grid, official behaviour against the fixes, from //ijepa/masking:sample_masks.

  bazel build //ijepa/masking:sample_masks
  python3 tools/mask_position_stats.py --sample_masks=bazel-bin/ijepa/masking/sample_masks \
      [--grid=14 --batch=128 --batches=100]

Prints, per mode: mean context and target lengths (patches per mask, after the batch's common
truncation); the probability that a patch is in the context and in some target, for the top and
bottom halves of the grid, the last row and the last column; and the ratio bottom-right quadrant /
top-left quadrant of the context probability (1 = no positional bias).
"""

import argparse
import json
import subprocess


def stats(lines, grid):
    n = grid * grid
    context_hits, target_hits = [0] * n, [0] * n
    images = 0
    context_len, target_len, target_masks = 0, 0, 0
    for line in lines:
        batch = json.loads(line)
        for context, targets in zip(batch["context"], batch["targets"]):
            images += 1
            context_len += len(context)
            for i in context:
                context_hits[i] += 1
            covered = set()
            for t in targets:
                target_len += len(t)
                target_masks += 1
                covered.update(t)
            for i in covered:
                target_hits[i] += 1

    def mean(hits, cells):
        return sum(hits[i] for i in cells) / (len(cells) * images)
    half = grid // 2
    top = [r * grid + c for r in range(half) for c in range(grid)]
    bottom = [r * grid + c for r in range(grid - half, grid) for c in range(grid)]
    last_row = [(grid - 1) * grid + c for c in range(grid)]
    last_col = [r * grid + grid - 1 for r in range(grid)]
    top_left = [r * grid + c for r in range(half) for c in range(half)]
    bottom_right = [r * grid + c for r in range(grid - half, grid) for c in range(grid - half, grid)]
    return {
        "context patches per image": context_len / images,
        "target patches per target": target_len / target_masks,
        "P(context) top half": mean(context_hits, top),
        "P(context) bottom half": mean(context_hits, bottom),
        "P(context) last row": mean(context_hits, last_row),
        "P(context) last column": mean(context_hits, last_col),
        "P(target) top half": mean(target_hits, top),
        "P(target) bottom half": mean(target_hits, bottom),
        "P(target) last row": mean(target_hits, last_row),
        "P(target) last column": mean(target_hits, last_col),
        "context bottom-right / top-left": mean(context_hits, bottom_right) / mean(context_hits, top_left),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sample_masks", required=True)
    p.add_argument("--grid", type=int, default=14)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--batches", type=int, default=100)
    args = p.parse_args()
    results = {}
    for mode, extra in (("official", ["--official"]), ("fixes on (default)", [])):
        out = subprocess.run([args.sample_masks, f"--grid={args.grid}x{args.grid}",
                              f"--batch={args.batch}", f"--batches={args.batches}"] + extra,
                             check=True, stdout=subprocess.PIPE, text=True).stdout
        results[mode] = stats(out.splitlines(), args.grid)
    modes = list(results)
    print(f"| {args.grid}x{args.grid}, {args.batches} batches of {args.batch} | " +
          " | ".join(modes) + " |")
    print("|---|" + "---|" * len(modes))
    for key in results[modes[0]]:
        print(f"| {key} | " + " | ".join(f"{results[m][key]:.3f}" for m in modes) + " |")


if __name__ == "__main__":
    main()
