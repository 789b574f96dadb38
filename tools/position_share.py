#!/usr/bin/python3
"""How much of the I-JEPA targets a patch's position alone predicts, on Fashion-MNIST.

The targets are the target encoder's per-patch outputs, layer-normed (official train.py). If their
variance over images and patches is mostly the variance of the per-position means, a predictor
that knows only where a target block is can match it: the pretext task is then nearly solved
without looking at the context, which is how the collapsed Fashion-MNIST runs of issue 13 look.
Prints that share for a randomly initialised ViT-Tiny at a few crop / patch sizes (same 7x7 grid,
images upsampled) and for the target encoder of each given checkpoint.

  /usr/bin/python3 tools/position_share.py --official=/path/to/ijepa \
      [runs/x/jepa-latest.pth.tar:CROP:PATCH ...]

Uses the official VisionTransformer class (1 input channel) and Debian's python3-torch; the
first 512 training images of /usr/share/datasets/fashion-mnist, normalised as the configs do.
"""

import argparse
import functools
import gzip
import os
import sys

import numpy as np


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--official", required=True, help="checkout of facebookresearch/ijepa")
    p.add_argument("--images", type=int, default=512)
    p.add_argument("checkpoints", nargs="*", help="PATH:CROP:PATCH of a vit_tiny pretrain run")
    args = p.parse_args()
    sys.path.insert(0, os.path.abspath(args.official))
    import torch
    import torch.nn.functional as F
    import src.models.vision_transformer as vit

    torch.manual_seed(0)
    path = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
    with gzip.open(path) as f:
        pixels = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    images = torch.from_numpy(pixels[:args.images].astype(np.float32) / 255)[:, None]
    images = (images - 0.2860) / 0.3530  # the IDX default normalisation (ijepa/data/data.proto)

    def vit_tiny(crop, patch):
        return vit.VisionTransformer(
            img_size=[crop], patch_size=patch, in_chans=1, embed_dim=192, depth=12, num_heads=3,
            mlp_ratio=4, qkv_bias=True,
            norm_layer=functools.partial(torch.nn.LayerNorm, eps=1e-6)).eval()

    def report(model, crop, name):
        x = images if crop == 28 else F.interpolate(images, size=(crop, crop), mode="bilinear",
                                                    align_corners=False)
        with torch.no_grad():
            h = model(x)
            h = F.layer_norm(h, (h.size(-1),))  # [images, patches, dim]
        total = h.var(dim=(0, 1), unbiased=False).sum()
        by_position = h.mean(0).var(0, unbiased=False).sum()
        print(f"{name}: position alone explains {float(by_position / total):.1%} of the target "
              f"variance")

    for crop, patch in [(28, 4), (112, 16), (224, 32)]:
        report(vit_tiny(crop, patch), crop, f"random init, crop {crop} patch {patch}")
    for spec in args.checkpoints:
        path, crop, patch = spec.rsplit(":", 2)
        model = vit_tiny(int(crop), int(patch))
        state = torch.load(path, map_location="cpu")["target_encoder"]
        model.load_state_dict({k[len("module."):] if k.startswith("module.") else k: v
                               for k, v in state.items()})
        report(model, int(crop), f"{path} (target encoder)")


if __name__ == "__main__":
    main()
