#!/usr/bin/python3
"""Times the official I-JEPA MaskCollator (src/masks/multiblock.py) on one core.

Imports the collator from a checkout of facebookresearch/ijepa (nothing is reimplemented or copied
here), calls it on batches of dummy items with the official ViT-H/14 `mask:` settings, and prints
masks per second, where one "mask" is one image's context + targets (the unit of
//ijepa/masking:mask_sampler_benchmark's items_per_second).

  /usr/bin/python3 tools/official_mask_collator_benchmark.py --ijepa_root=/path/to/ijepa \
      --grid=14 --batch=128 --batches=40

Needs Debian's python3-torch; never part of the Bazel build.
"""

import argparse
import sys
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ijepa_root", required=True,
                        help="checkout of facebookresearch/ijepa (contains src/masks/multiblock.py)")
    parser.add_argument("--grid", type=int, default=14, help="patches per side")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    args = parser.parse_args()

    sys.path.insert(0, args.ijepa_root)
    import torch
    from src.masks.multiblock import MaskCollator  # the official code, unchanged

    torch.set_num_threads(args.threads)
    patch_size = 14
    collator = MaskCollator(
        input_size=(args.grid * patch_size, args.grid * patch_size),
        patch_size=patch_size,
        enc_mask_scale=(0.85, 1.0),
        pred_mask_scale=(0.15, 0.2),
        aspect_ratio=(0.75, 1.5),
        nenc=1,
        npred=4,
        min_keep=10,
        allow_overlap=False)
    # Dummy one-element items: default_collate on them is negligible next to the mask sampling.
    batch = [torch.zeros(1) for _ in range(args.batch)]
    collator(batch)  # warm-up
    start = time.perf_counter()
    for _ in range(args.batches):
        collator(batch)
    elapsed = time.perf_counter() - start
    images = args.batches * args.batch
    print(f"official MaskCollator, {args.grid}x{args.grid} grid, batch {args.batch}, "
          f"{args.threads} thread(s): {images / elapsed:.0f} masks/s "
          f"({elapsed / args.batches * 1e3:.1f} ms per batch)")


if __name__ == "__main__":
    main()
