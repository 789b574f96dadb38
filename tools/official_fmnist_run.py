#!/usr/bin/python3
"""Trains the official I-JEPA code on the Fashion-MNIST images and config of one of our runs.

For the side-by-side comparison in docs/training.md ("Side by side with the official code"): the
official `src/train.py` `main()` (facebookresearch/ijepa, imported from --official, never copied)
runs its own `init_model`, `init_opt`, `MaskCollator`, `make_imagenet1k` loader (DistributedSampler
+ DataLoader with its workers), training loop and `save_checkpoint`, on the same images and with
the same settings as a `//ijepa/training:pretrain` run, given as that run's folder (its resolved
`params-ijepa.pbtxt` and `train_subset.txt`). Replaced around it, because the official code is
written for ImageNet:
  - the `ImageNet` image-folder data set, by the run's training images: the Fashion-MNIST IDX
    files, restricted to the subset the run trained on (`data.low_shot_*`, `data.holdout_per_class`), as listed in the
    `train_subset.txt` our pretrain wrote;
  - `make_transforms` (ImageNet RGB statistics, 3 channels), by the run's transform in
    torchvision: RandomResizedCrop(crop_size, crop_scale), horizontal flip when enabled,
    ToTensor, Normalize with the data set's statistics (data.normalization_mean/std, default the
    Fashion-MNIST training-set values 0.2860 / 0.3530 of //ijepa/data);
  - the model constructor gets `in_chans=data.channels` (1 for Fashion-MNIST);
  - as for every fixture tool (tools/official_harness.py): a world-size-1 Gloo process group, a
    CPU timer for `gpu_timer`, and CPU answers to train.py's CUDA queries.
The checkpoint it writes is train.py's own `{out}/jepa-latest.pth.tar` (official layout, `module.`
keys), which `//ijepa/eval:linear_probe` scores (its `model` section gives the architecture).

  /usr/bin/python3 tools/official_fmnist_run.py --official=/path/to/ijepa \
      --run=runs/fmnist_vit_tiny --seed=0 --out=/tmp/official_s0

Prints the wall time of `main()` (models, loader and every epoch; the same span as our
`pretrain`'s training). Needs Debian's python3-torch, python3-torchvision and python3-yaml.
"""

import argparse
import functools
import gzip
import os
import sys
import tempfile
import time

FMNIST_MEAN, FMNIST_STD = 0.2860, 0.3530  # the //ijepa/data default for IDX (data_config.cc)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--official", required=True, help="checkout of facebookresearch/ijepa")
    p.add_argument("--run", required=True,
                   help="folder of our pretrain run (params-ijepa.pbtxt, train_subset.txt)")
    p.add_argument("--out", required=True, help="folder for the official log and checkpoint")
    p.add_argument("--seed", type=int, default=0, help="torch.manual_seed before main()")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0 = all cores)")
    return p.parse_args()


def by_section(fields):
    """{"data.batch_size": 32, ...} (official_harness.parse_text_proto) as
    {"data": {"batch_size": [32]}, ...}: every value a list, so repeated fields read alike."""
    out = {}
    for key, value in fields.items():
        section, _, name = key.rpartition(".")
        out.setdefault(section, {})[name] = value if isinstance(value, list) else [value]
    return out


def read_idx(path):
    import numpy as np
    with gzip.open(path) if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


class RunImages:
    """The official ImageNet data set's interface over grey images in memory. At module level:
    the official DataLoader's workers are spawned, and spawning pickles the data set."""

    def __init__(self, images, labels, root, image_folder, transform, train, copy_data,
                 index_targets):
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        from PIL import Image
        return self.transform(Image.fromarray(self.images[i], mode="L")), int(self.labels[i])


def first(section, key, default=None):
    values = section.get(key)
    if values is None:
        if default is None:
            sys.exit(f"--run-config has no {key}")
        return default
    return values[0]


def main():
    args = parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import official_harness as harness
    with open(os.path.join(args.run, "params-ijepa.pbtxt")) as f:
        run = by_section(harness.parse_text_proto(f.read()))
    data, mask, meta, opt = run["data"], run["mask"], run["meta"], run["optimization"]
    if first(data, "dataset") != "IDX":
        sys.exit("--run: only data.dataset IDX (Fashion-MNIST) is supported")
    if first(mask, "strategy", "MULTI_BLOCK") != "MULTI_BLOCK":
        sys.exit("--run: the official code has only the multi-block mask strategy")
    if first(meta, "patch_embed_init", "OFFICIAL") != "OFFICIAL":
        sys.exit("--run: the official code initialises the patch embedding with std 0.02 only; "
                 "train our run with --set meta.patch_embed_init=OFFICIAL")
    if first(meta, "cpu_bfloat16", False) not in (False, "false"):
        sys.exit("--run: the official code trains in float32 on the CPU; train our run with "
                 "--set meta.cpu_bfloat16=false")
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="official_fmnist_")

    torch, train, vit = harness.import_official(args.official)
    import torchvision.transforms as T
    import src.datasets.imagenet1k as imagenet1k

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    harness.init_single_process_group(work)
    harness.run_on_cpu(train, torch)

    # --- the run's training images
    root = first(data, "root_path")
    images = read_idx(os.path.join(root, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(root, "train-labels-idx1-ubyte.gz"))
    indices = list(range(len(images)))
    if (first(data, "low_shot_percent", 0) or first(data, "low_shot_per_class", 0) or
            first(data, "holdout_per_class", 0)):
        with open(os.path.join(args.run, "train_subset.txt")) as f:
            indices = [int(line) for line in f if line.strip()]
    channels = first(data, "channels", 1)
    if channels != 1:
        sys.exit("--run: Fashion-MNIST is grey; data.channels must be 1")
    mean = data.get("normalization_mean", [FMNIST_MEAN])
    std = data.get("normalization_std", [FMNIST_STD])

    # make_imagenet1k builds its loader (DistributedSampler, DataLoader workers) around it.
    imagenet1k.ImageNet = functools.partial(RunImages, images[indices], labels[indices])

    def make_transforms(crop_size, crop_scale, gaussian_blur, horizontal_flip, color_distortion,
                        color_jitter):
        if gaussian_blur or color_distortion:
            sys.exit("--run: colour distortion / blur are not part of the Fashion-MNIST runs")
        steps = [T.RandomResizedCrop(crop_size, scale=tuple(crop_scale))]
        if horizontal_flip:
            steps.append(T.RandomHorizontalFlip())
        steps += [T.ToTensor(), T.Normalize(mean, std)]
        return T.Compose(steps)
    train.make_transforms = make_transforms

    model_name = first(meta, "model_name")
    harness.resize_model(vit, torch, model_name, first(data, "crop_size"),
                         first(mask, "patch_size"), in_chans=channels)

    if first(meta, "use_bfloat16", False):
        sys.exit("--run: meta.use_bfloat16 needs a GPU in the official code")
    config = {
        "meta": {"use_bfloat16": False, "model_name": model_name, "load_checkpoint": False,
                 "read_checkpoint": None, "copy_data": False,
                 "pred_depth": first(meta, "pred_depth"), "pred_emb_dim": first(meta, "pred_emb_dim")},
        "data": {"use_gaussian_blur": False, "use_color_distortion": False,
                 "color_jitter_strength": 0.0,
                 "use_horizontal_flip": first(data, "use_horizontal_flip", False),
                 "batch_size": first(data, "batch_size"), "pin_mem": False,
                 "num_workers": first(data, "num_workers"), "root_path": root,
                 "image_folder": "unused", "crop_size": first(data, "crop_size"),
                 "crop_scale": data["crop_scale"]},
        "mask": {"allow_overlap": first(mask, "allow_overlap", False),
                 "patch_size": first(mask, "patch_size"),
                 "num_enc_masks": first(mask, "num_enc_masks"), "min_keep": first(mask, "min_keep"),
                 "enc_mask_scale": mask["enc_mask_scale"],
                 "num_pred_masks": first(mask, "num_pred_masks"),
                 "pred_mask_scale": mask["pred_mask_scale"], "aspect_ratio": mask["aspect_ratio"]},
        "optimization": {"ema": opt["ema"], "ipe_scale": first(opt, "ipe_scale", 1.0),
                         "weight_decay": first(opt, "weight_decay"),
                         "final_weight_decay": first(opt, "final_weight_decay"),
                         "epochs": first(opt, "epochs"), "warmup": first(opt, "warmup"),
                         "start_lr": first(opt, "start_lr"), "lr": first(opt, "lr"),
                         "final_lr": first(opt, "final_lr")},
        "logging": {"folder": os.path.abspath(args.out), "write_tag": "jepa"},
    }
    if first(opt, "max_steps", 0):
        sys.exit("--run: optimization.max_steps has no official counterpart")
    torch.manual_seed(args.seed)
    start = time.perf_counter()
    train.main(config)
    seconds = time.perf_counter() - start
    torch.distributed.destroy_process_group()
    checkpoint = os.path.join(args.out, "jepa-latest.pth.tar")
    epoch = torch.load(checkpoint, map_location="cpu")["epoch"]
    print(f"official train.py: {len(indices)} images, {epoch} epochs in {seconds:.1f} s -> {checkpoint}")


if __name__ == "__main__":
    main()
