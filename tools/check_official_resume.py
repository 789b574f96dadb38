#!/usr/bin/python3
"""Resumes the official I-JEPA train.py from a checkpoint this project's `pretrain` wrote.

Runs the official `src/train.py` `main()` (facebookresearch/ijepa, imported from --official, never
copied) with `meta.load_checkpoint: true` and `meta.read_checkpoint: CHECKPOINT`, as a user would,
on the surroundings of official_harness.py (world-size-1 Gloo group, random images of the
checkpoint's size through the official MaskCollator, CPU timer). train.py wraps the models in
DistributedDataParallel and calls its own `load_checkpoint`, which swallows any exception and
silently starts from epoch 0; this script wraps that call and checks what it returned:
  - the epoch is the file's (not 0: nothing was swallowed, no "Encountered exception" logged);
  - the DDP-wrapped encoder, predictor and target encoder hold exactly the file's tensors;
  - the AdamW state holds exactly the file's moments and step counts, on the parameters of the
    official groups (same group sizes, every moment of its parameter's shape, no state for the
    frozen position embeddings), with the file's lr / weight decay per group.
Then the official loop trains on from the next epoch (when the file's config has one left) and
the script reports the scheduled values of its first step and the epoch of the checkpoint it wrote.

Architecture and schedules come from the file: shapes of its state dicts, and its `config` entry
(this project's text proto; the model name sets the head count). A 1-channel model (Fashion-MNIST)
is built as the official VisionTransformer with in_chans=1; init_model has no such option.

  /usr/bin/python3 tools/check_official_resume.py --official=/path/to/ijepa \\
      --checkpoint=runs/x/jepa-latest.pth.tar
Exit 0 when every check holds, 1 otherwise. Needs Debian's python3-torch and python3-yaml.
"""

import argparse
import logging
import math
import os
import sys
import tempfile


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--official", required=True, help="checkout of facebookresearch/ijepa")
    p.add_argument("--checkpoint", required=True, help="a training checkpoint written by pretrain")
    p.add_argument("--model", help="official model name (default: the file's meta.model_name)")
    p.add_argument("--no-train", action="store_true", help="only load; do not train on")
    p.add_argument("--threads", type=int, default=2)
    return p.parse_args()


def main():
    args = parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import official_harness as harness
    torch, train, vit = harness.import_official(args.official)
    from torch.nn.parallel import DistributedDataParallel
    torch.set_num_threads(args.threads)

    path = os.path.abspath(args.checkpoint)
    ck = torch.load(path, map_location="cpu")
    for key in ("encoder", "predictor", "target_encoder", "opt", "epoch"):
        if key not in ck:
            sys.exit(f"{path}: no '{key}' entry: not a training checkpoint")
    if ck["epoch"] < 1:
        sys.exit(f"{path}: epoch {ck['epoch']}: written inside the first epoch; the official code "
                 "resumes at epoch starts and would legitimately start at 0")
    cfg = harness.parse_text_proto(ck.get("config", ""))
    enc, pred = harness.strip_ddp_prefix(ck["encoder"]), harness.strip_ddp_prefix(ck["predictor"])
    dim, chans, patch, _ = enc["patch_embed.proj.weight"].shape
    grid = math.isqrt(enc["pos_embed"].shape[1])
    crop = grid * patch
    depth = 1 + max(int(k.split(".")[1]) for k in enc if k.startswith("blocks."))
    pred_depth = 1 + max(int(k.split(".")[1]) for k in pred if k.startswith("predictor_blocks."))
    pred_dim = pred["predictor_embed.weight"].shape[0]
    model = args.model or cfg.get("meta.model_name")
    if not model:
        sys.exit(f"{path}: no meta.model_name in its config entry; pass --model")
    batch = int(ck.get("batch_size", cfg.get("data.batch_size", 1)))
    ipe = int(ck.get("iterations_per_epoch", 1))
    epochs = int(cfg.get("optimization.epochs", ck["epoch"] + 1))
    if args.no_train:
        epochs = ck["epoch"]  # the official loop then has nothing left to do

    harness.resize_model(vit, torch, model, crop, patch, embed_dim=dim, depth=depth,
                         in_chans=chans)
    harness.run_on_cpu(train, torch)
    work = tempfile.mkdtemp(prefix="ijepa_official_resume_")
    harness.init_single_process_group(work)
    images = torch.randn(ipe * batch, chans, crop, crop, generator=torch.Generator().manual_seed(0))
    harness.replace_loader(train, torch, images, batch)

    def opt_cfg(name, default):
        return cfg.get(f"optimization.{name}", default)

    def mask_cfg(name, default):
        return cfg.get(f"mask.{name}", default)
    config = harness.official_config(
        work, model, crop, patch, batch, pred_depth, pred_dim, epochs=epochs,
        warmup=opt_cfg("warmup", 40), load_checkpoint=True, read_checkpoint=path,
        min_keep=mask_cfg("min_keep", 10), ema=opt_cfg("ema", [0.996, 1.0]),
        start_lr=opt_cfg("start_lr", 0.0002), lr=opt_cfg("lr", 0.001),
        final_lr=opt_cfg("final_lr", 1e-6), weight_decay=opt_cfg("weight_decay", 0.04),
        final_weight_decay=opt_cfg("final_weight_decay", 0.4),
        ipe_scale=opt_cfg("ipe_scale", 1.0),
        enc_mask_scale=mask_cfg("enc_mask_scale", [0.85, 1.0]),
        pred_mask_scale=mask_cfg("pred_mask_scale", [0.15, 0.2]),
        aspect_ratio=mask_cfg("aspect_ratio", [0.75, 1.5]),
        num_enc_masks=mask_cfg("num_enc_masks", 1), num_pred_masks=mask_cfg("num_pred_masks", 4),
        allow_overlap=mask_cfg("allow_overlap", False))

    # Everything the official code logs, to see whether load_checkpoint swallowed an exception.
    messages = []

    class Collect(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())
    logging.getLogger().addHandler(Collect())

    failures, facts = [], {}

    def check(ok, what):
        if not ok:
            failures.append(what)

    official_load = train.load_checkpoint

    def load_checkpoint(**kw):
        out = official_load(**kw)
        encoder, predictor, target_encoder, opt, scaler, epoch = out
        facts["epoch"] = epoch
        check(epoch == ck["epoch"] and epoch != 0,
              f"load_checkpoint returned epoch {epoch}, the file has {ck['epoch']}")
        for name, module in (("encoder", encoder), ("predictor", predictor),
                             ("target_encoder", target_encoder)):
            check(isinstance(module, DistributedDataParallel), f"{name} is not DDP-wrapped")
            state, saved = module.state_dict(), ck[name]
            check(list(state) == list(saved), f"{name}: keys differ from the file's")
            same = sum(torch.equal(state[k], saved[k]) for k in saved if k in state)
            check(same == len(saved), f"{name}: {len(saved) - same} tensors differ from the file")
            facts[name] = f"{same}/{len(saved)} tensors equal"
        loaded, saved = opt.state_dict(), ck["opt"]
        sizes = [len(g["params"]) for g in loaded["param_groups"]]
        check(sizes == [len(g["params"]) for g in saved["param_groups"]],
              f"optimizer group sizes {sizes} differ from the file's")
        facts["group sizes"] = sizes
        equal, missing = 0, 0
        for pid, s in saved["state"].items():
            mine = loaded["state"].get(pid)
            if mine is None:
                missing += 1
                continue
            equal += all(torch.equal(torch.as_tensor(mine[k]), torch.as_tensor(s[k]))
                         for k in ("step", "exp_avg", "exp_avg_sq"))
        check(missing == 0, f"the AdamW state of {missing} parameters was not loaded")
        check(equal + missing == len(saved["state"]),
              f"{len(saved['state']) - equal - missing} AdamW states differ from the file")
        facts["AdamW states"] = f"{equal}/{len(saved['state'])} equal (step, exp_avg, exp_avg_sq)"
        # Each moment sits on a parameter of its shape; the frozen ones have none.
        frozen_with_state = 0
        for group in opt.param_groups:
            for p in group["params"]:
                st = opt.state.get(p, {})
                if st:
                    check(st["exp_avg"].shape == p.shape, "a moment sits on a parameter of another shape")
                frozen_with_state += (not p.requires_grad) and bool(st)
        check(frozen_with_state == 0, f"{frozen_with_state} frozen parameters have AdamW state")
        for g, (a, b) in enumerate(zip(loaded["param_groups"], saved["param_groups"])):
            check(a["lr"] == b["lr"] and a["weight_decay"] == b["weight_decay"],
                  f"param_groups[{g}] lr / weight_decay differ from the file's")
        return out
    train.load_checkpoint = load_checkpoint

    # The scheduled values of the first step trained after the resume.
    official_init_opt = train.init_opt
    steps = {"lr": [], "wd": [], "momentum": []}

    def init_opt(**kw):
        optimizer, scaler, scheduler, wd_scheduler = official_init_opt(**kw)
        for sched, key in ((scheduler, "lr"), (wd_scheduler, "wd")):
            def wrapped(step=sched.step, key=key):
                value = step()
                steps[key].append(value)
                return value
            sched.step = wrapped
        return optimizer, scaler, scheduler, wd_scheduler
    train.init_opt = init_opt

    def recording_next(iterator):
        value = next(iterator)
        steps["momentum"].append(value)
        return value
    train.next = recording_next

    train.main(config)

    swallowed = [m for m in messages if "Encountered exception" in m]
    check(not swallowed, "load_checkpoint logged: " + (swallowed[0][:160] + " ..." if swallowed else ""))
    print(f"checkpoint: {path}")
    print(f"  model {model} (dim {dim}, depth {depth}, in_chans {chans}, crop {crop}, patch {patch}), "
          f"predictor depth {pred_depth} dim {pred_dim}; batch {batch}, {ipe} iterations/epoch")
    print(f"official load_checkpoint (DDP-wrapped models): epoch {facts.get('epoch')} "
          f"(file: {ck['epoch']})")
    for key in ("encoder", "predictor", "target_encoder", "group sizes", "AdamW states"):
        print(f"  {key}: {facts.get(key)}")
    fast_forward = ck["epoch"] * ipe
    if len(steps["lr"]) > fast_forward:
        print(f"official loop continued at step {fast_forward + 1}: lr {steps['lr'][fast_forward]:.6e}, "
              f"wd {steps['wd'][fast_forward]:.6e}, momentum {steps['momentum'][fast_forward]:.8f}; "
              f"{len(steps['lr']) - fast_forward} steps trained")
        written = torch.load(os.path.join(work, "jepa-latest.pth.tar"), map_location="cpu")
        print(f"  its checkpoint: epoch {written['epoch']}, loss {written['loss']:.5f}")
        check(written["epoch"] == epochs, f"the official run ended at epoch {written['epoch']}")
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        return 1
    print("official resume: OK (no fallback to epoch 0; weights, target encoder, AdamW state as in the file)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
