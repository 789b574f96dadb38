"""Runs the official I-JEPA `src/train.py` on the CPU, for the fixture tools in this folder.

facebookresearch/ijepa is imported from a checkout (never copied). Only the surroundings of its
`main()` are replaced, never its training code:
  - a world-size-1 Gloo process group is created first (train.py wraps its models in
    DistributedDataParallel, which needs one);
  - the ImageNet loader (`make_imagenet1k`) by a loader over given images, batched by the official
    `MaskCollator` that `main()` built;
  - `gpu_timer` times on the CPU (the official one needs CUDA events), the memory figure of its log
    line is 0, and `torch.cuda.is_bf16_supported()` answers True (both ask for a GPU on a CPU-only
    torch 1.13, even under autocast(enabled=False));
  - optionally the named model (`vit_tiny`, ...) is resized: the official named sizes are too large
    for a committed fixture, and `init_model` has no `in_chans` (grey images need 1).

Used by make_training_fixture.py and check_official_resume.py; needs Debian's python3-torch (CPU)
and python3-yaml.
"""

import functools
import os
import re
import sys
import time


def import_official(official):
    """Returns (torch, train, vit): the official src.train and src.models.vision_transformer."""
    official = os.path.abspath(official)
    if not os.path.isfile(os.path.join(official, "src", "train.py")):
        sys.exit(f"--official={official}: no src/train.py (want a facebookresearch/ijepa checkout)")
    sys.path.insert(0, official)
    import torch

    import src.models.vision_transformer as vit
    import src.train as train  # seeds torch with 0 and configures logging, as when run
    return torch, train, vit


def init_single_process_group(work):
    import torch.distributed as dist
    dist.init_process_group("gloo", init_method=f"file://{work}/pg", rank=0, world_size=1)


def run_on_cpu(train, torch):
    """gpu_timer and the CUDA queries of train.py's loop, answered on a CPU-only torch."""
    def cpu_timer(closure, log_timings=True):
        start = time.perf_counter()
        result = closure()
        return result, 1000.0 * (time.perf_counter() - start)
    train.gpu_timer = cpu_timer
    # log_stats() prints torch.cuda.max_memory_allocated(), which raises on a CPU-only torch.
    torch.cuda.max_memory_allocated = lambda *a, **k: 0
    # torch 1.13's autocast(enabled=False) still asks the (absent) GPU whether it has bf16.
    torch.cuda.is_bf16_supported = lambda: True  # never used: use_bfloat16 is False


def resize_model(vit, torch, model, crop, patch, embed_dim=None, depth=None, num_heads=None,
                 in_chans=3):
    """Makes vit.<model> build the official VisionTransformer at another size (None: keep the
    named one's) and with `in_chans` input channels. Returns nothing; init_model picks it up."""
    if embed_dim is None and depth is None and num_heads is None and in_chans == 3:
        return
    probe = vit.__dict__[model](img_size=[crop], patch_size=patch)
    mlp_ratio = probe.blocks[0].mlp.fc1.out_features / probe.embed_dim
    embed_dim = embed_dim or probe.embed_dim
    depth = depth or len(probe.blocks)
    num_heads = num_heads or probe.num_heads
    del probe
    vit.__dict__[model] = functools.partial(
        vit.VisionTransformer, embed_dim=embed_dim, depth=depth, num_heads=num_heads,
        mlp_ratio=mlp_ratio, qkv_bias=True, in_chans=in_chans,
        norm_layer=functools.partial(torch.nn.LayerNorm, eps=1e-6))


def replace_loader(train, torch, images, batch_size, on_batch=None):
    """train.make_imagenet1k returns a loader over `images` (in order, drop_last), collated by the
    official MaskCollator; on_batch(udata, masks_enc, masks_pred) sees every batch."""
    class Loader:
        def __init__(self, collator):
            self.loader = torch.utils.data.DataLoader(
                [(images[i], 0) for i in range(len(images))], batch_size=batch_size,
                collate_fn=collator, shuffle=False, num_workers=0, drop_last=True)

        def __len__(self):
            return len(self.loader)

        def __iter__(self):
            for udata, masks_enc, masks_pred in self.loader:
                if on_batch is not None:
                    on_batch(udata, masks_enc, masks_pred)
                yield udata, masks_enc, masks_pred

    class Sampler:
        def set_epoch(self, epoch):
            pass

    def make_imagenet1k(collator, **kw):
        return None, Loader(collator), Sampler()
    train.make_imagenet1k = make_imagenet1k


def official_config(folder, model, crop, patch, batch, pred_depth, pred_dim, epochs, warmup,
                    load_checkpoint=False, read_checkpoint=None, min_keep=2,
                    ema=(0.996, 1.0), start_lr=0.0002, lr=0.001, final_lr=1e-6,
                    weight_decay=0.04, final_weight_decay=0.4, ipe_scale=1.0,
                    enc_mask_scale=(0.85, 1.0), pred_mask_scale=(0.15, 0.2),
                    aspect_ratio=(0.75, 1.5), num_enc_masks=1, num_pred_masks=4,
                    allow_overlap=False):
    """The YAML config train.main() takes, as a dict (no augmentations, no workers)."""
    return {
        "meta": {"use_bfloat16": False, "model_name": model, "load_checkpoint": load_checkpoint,
                 "read_checkpoint": read_checkpoint, "copy_data": False, "pred_depth": pred_depth,
                 "pred_emb_dim": pred_dim},
        "data": {"use_gaussian_blur": False, "use_horizontal_flip": False,
                 "use_color_distortion": False, "color_jitter_strength": 0.0,
                 "batch_size": batch, "pin_mem": False, "num_workers": 0,
                 "root_path": folder, "image_folder": "unused", "crop_size": crop,
                 "crop_scale": [0.3, 1.0]},
        "mask": {"allow_overlap": allow_overlap, "patch_size": patch,
                 "num_enc_masks": num_enc_masks, "min_keep": min_keep,
                 "enc_mask_scale": list(enc_mask_scale), "num_pred_masks": num_pred_masks,
                 "pred_mask_scale": list(pred_mask_scale), "aspect_ratio": list(aspect_ratio)},
        "optimization": {"ema": list(ema), "ipe_scale": ipe_scale,
                         "weight_decay": weight_decay, "final_weight_decay": final_weight_decay,
                         "epochs": epochs, "warmup": warmup, "start_lr": start_lr, "lr": lr,
                         "final_lr": final_lr},
        "logging": {"folder": folder, "write_tag": "jepa"},
    }


def parse_text_proto(text):
    """The scalar and list fields of a text proto, as {"block.field": value}."""
    fields, path = {}, []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.endswith("{"):
            path.append(line[:-1].strip())
            continue
        if line == "}":
            path.pop()
            continue
        m = re.match(r"(\w+)\s*:\s*(.+)$", line)
        if not m:
            continue
        name, value = m.group(1), m.group(2).strip()

        def scalar(v):
            v = v.strip()
            if v.startswith('"'):
                return v.strip('"')
            if v in ("true", "false"):
                return v == "true"
            try:
                return int(v)
            except ValueError:
                try:
                    return float(v)
                except ValueError:
                    return v
        key = ".".join(path + [name])
        if value.startswith("["):
            fields[key] = [scalar(v) for v in value.strip("[]").split(",") if v.strip()]
        elif key in fields:  # repeated field written one value per line
            prev = fields[key]
            fields[key] = (prev if isinstance(prev, list) else [prev]) + [scalar(value)]
        else:
            fields[key] = scalar(value)
    return fields


def strip_ddp_prefix(state):
    """A state dict without DistributedDataParallel's `module.` key prefix."""
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}
