#!/usr/bin/python3
"""Records training steps of the official I-JEPA trainer, for //ijepa/training:replay_steps.

Runs the official `src/train.py` `main()` itself (facebookresearch/ijepa, imported from --official,
never copied): its `init_model`, `init_opt`, `MaskCollator`, DistributedDataParallel wrapping and
its training-loop body, unchanged. Only its surroundings are replaced:
  - the ImageNet loader (`make_imagenet1k`) by a loader over seeded random images, batched by the
    official `MaskCollator` that `main()` built;
  - a world-size-1 Gloo process group is created first (train.py needs one for DDP);
  - `gpu_timer` times on the CPU (the official one needs CUDA events), and the memory figure of
    its log line is 0, and `torch.cuda.is_bf16_supported()` answers True (both ask for a GPU on
    a CPU-only torch 1.13, even under autocast(enabled=False));
  - with --loss l2, `F.smooth_l1_loss` is `F.mse_loss` (the paper's L2; the code has smooth-L1);
  - with --embed-dim/--depth/--num-heads, `--model` names the official `VisionTransformer` class
    at that size (the official named sizes are too large for a committed fixture).
(Those surroundings live in official_harness.py, shared with check_official_resume.py.)
What train.py computes is observed through the names it looks up at run time: the schedulers'
`step()` results (lr, wd), `next(momentum_scheduler)` (EMA momentum), `AllReduce.apply(loss)`
(the loss), the loader's batches (images and collated masks). The final state is the checkpoint
train.py itself writes at the end of the epoch.

  /usr/bin/python3 tools/make_training_fixture.py --official=/path/to/ijepa --out=/tmp/f.pt \
      --model vit_small --crop 48 --patch 8 --steps 4 --pred-depth 3
  bazel run //ijepa/training:replay_steps -- --fixture=/tmp/f.pt
  # the resume fixtures (ijepa/training/testdata/official_resume_*):
  /usr/bin/python3 tools/make_training_fixture.py --official=/path/to/ijepa \
      --out=ijepa/training/testdata/official_resume_steps.pt --embed-dim 16 --depth 2 \
      --num-heads 2 --crop 24 --patch 4 --pred-depth 2 --pred-dim 8 --batch 2 --steps 2 \
      --epochs 2 --warmup-steps 1 --checkpoint-epoch 1 \
      --checkpoint-out=ijepa/training/testdata/official_resume_ep1.pth.tar

Needs Debian's python3-torch (CPU) and python3-yaml; never part of the build.
"""

import argparse
import os
import sys
import tempfile


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--official", required=True, help="checkout of facebookresearch/ijepa")
    p.add_argument("--out", required=True, help="fixture file to write (torch.save)")
    p.add_argument("--model", default="vit_tiny", help="official model name (src/models)")
    p.add_argument("--embed-dim", type=int, help="resize --model's VisionTransformer: width")
    p.add_argument("--depth", type=int, help="resize: number of blocks")
    p.add_argument("--num-heads", type=int, help="resize: attention heads")
    p.add_argument("--crop", type=int, default=48)
    p.add_argument("--patch", type=int, default=8)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--steps", type=int, default=5, help="steps = iterations of one epoch")
    p.add_argument("--epochs", type=int, default=1, help="epochs of --steps steps")
    p.add_argument("--checkpoint-out", help="copy of the official checkpoint after --checkpoint-epoch")
    p.add_argument("--checkpoint-epoch", type=int, default=1)
    p.add_argument("--pred-depth", type=int, default=2)
    p.add_argument("--pred-dim", type=int, default=96)
    p.add_argument("--seed", type=int, default=0, help="torch.manual_seed before main()")
    p.add_argument("--ema", type=float, nargs=2, default=[0.996, 1.0])
    p.add_argument("--loss", choices=["smooth_l1", "l2"], default="smooth_l1")
    p.add_argument("--warmup-steps", type=int, default=2)
    p.add_argument("--start-lr", type=float, default=0.0002)
    p.add_argument("--lr", type=float, default=0.001)
    p.add_argument("--final-lr", type=float, default=1e-6)
    p.add_argument("--weight-decay", type=float, default=0.04)
    p.add_argument("--final-weight-decay", type=float, default=0.4)
    p.add_argument("--min-keep", type=int, default=2, help="MaskCollator min_keep")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    if args.steps < 1 or args.batch < 1 or args.epochs < 1:
        p.error("--steps, --batch and --epochs must be >= 1")
    if args.checkpoint_out and not 1 <= args.checkpoint_epoch <= args.epochs:
        p.error("--checkpoint-epoch must be in [1, --epochs]")
    if args.crop % args.patch:
        p.error(f"--crop {args.crop} is not a multiple of --patch {args.patch}")
    if args.crop // args.patch < 5:
        # Measured: on a 4x4 grid the official MaskCollator's rejection loop never returns.
        p.error(f"--crop {args.crop} / --patch {args.patch} is a {args.crop // args.patch}x"
                f"{args.crop // args.patch} patch grid; the official MaskCollator never returns on "
                "grids below 5x5 (e.g. --crop 48 --patch 8)")
    if not 0 <= args.warmup_steps <= args.steps * args.epochs:
        p.error("--warmup-steps must be in [0, --steps * --epochs]")
    return args


def clone_state(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def main():
    args = parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import official_harness as harness
    torch, train, vit = harness.import_official(args.official)
    import torch.distributed as dist
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    work = tempfile.mkdtemp(prefix="ijepa_fixture_")
    harness.init_single_process_group(work)

    record = {"images": [], "masks_enc": [], "masks_pred": [], "loss": [], "lr": [], "wd": [],
              "momentum": [], "step_seconds": []}

    # --- the model size
    if args.embed_dim or args.depth or args.num_heads:
        if not (args.embed_dim and args.depth and args.num_heads):
            sys.exit("--embed-dim, --depth and --num-heads go together")
        harness.resize_model(vit, torch, args.model, args.crop, args.patch, args.embed_dim,
                             args.depth, args.num_heads)
    initial = {}
    official_init_model = train.init_model

    def init_model(**kw):
        encoder, predictor = official_init_model(**kw)
        initial["encoder"] = clone_state(encoder)
        initial["predictor"] = clone_state(predictor)
        initial["target_encoder"] = clone_state(encoder)  # train.py: copy.deepcopy(encoder)
        initial["embed_dim"] = encoder.embed_dim
        initial["depth"] = len(encoder.blocks)
        initial["num_heads"] = encoder.num_heads
        initial["mlp_hidden"] = encoder.blocks[0].mlp.fc1.out_features
        return encoder, predictor
    train.init_model = init_model

    # --- data: seeded random images through the official collator
    images = torch.randn(args.steps * args.batch, 3, args.crop, args.crop,
                         generator=torch.Generator().manual_seed(1000 + args.seed))

    def on_batch(udata, masks_enc, masks_pred):
        record["images"].append(udata[0].clone())
        record["masks_enc"].append([m.clone() for m in masks_enc])
        record["masks_pred"].append([m.clone() for m in masks_pred])
    harness.replace_loader(train, torch, images, args.batch, on_batch)

    # --- what the loop body computes
    official_init_opt = train.init_opt

    def init_opt(**kw):
        optimizer, scaler, scheduler, wd_scheduler = official_init_opt(**kw)

        def recording(step, key):
            def wrapped():
                value = step()
                record[key].append(value)
                return value
            return wrapped
        scheduler.step = recording(scheduler.step, "lr")
        wd_scheduler.step = recording(wd_scheduler.step, "wd")
        return optimizer, scaler, scheduler, wd_scheduler
    train.init_opt = init_opt

    def recording_next(iterator):
        value = next(iterator)
        record["momentum"].append(value)
        return value
    train.next = recording_next  # train.py's `next(momentum_scheduler)` resolves here

    official_all_reduce = train.AllReduce

    class AllReduce:
        @staticmethod
        def apply(loss):
            out = official_all_reduce.apply(loss)
            record["loss"].append(out.detach().clone())
            return out
    train.AllReduce = AllReduce

    harness.run_on_cpu(train, torch)
    # The wall time of each official train_step closure (schedulers, target and context forward,
    # loss, backward, AdamW, EMA: the step without its loader), for replay_steps' timing columns.
    cpu_timer = train.gpu_timer

    def timed(closure, log_timings=True):
        result, elapsed_ms = cpu_timer(closure, log_timings)
        record["step_seconds"].append(elapsed_ms / 1000.0)
        return result, elapsed_ms
    train.gpu_timer = timed

    if args.loss == "l2":
        class L2Functional:
            smooth_l1_loss = staticmethod(F.mse_loss)

            def __getattr__(self, name):
                return getattr(F, name)
        train.F = L2Functional()

    warmup_epochs = args.warmup_steps / args.steps
    config = harness.official_config(
        work, args.model, args.crop, args.patch, args.batch, args.pred_depth, args.pred_dim,
        epochs=args.epochs, warmup=warmup_epochs, min_keep=args.min_keep, ema=args.ema,
        start_lr=args.start_lr, lr=args.lr, final_lr=args.final_lr,
        weight_decay=args.weight_decay, final_weight_decay=args.final_weight_decay)
    # The bytes of every jepa-latest.pth.tar train.py's save_checkpoint writes, by epoch.
    official_save = torch.save
    written = {}

    def recording_save(obj, path, *a, **k):
        official_save(obj, path, *a, **k)
        if os.path.basename(str(path)) == "jepa-latest.pth.tar":
            with open(path, "rb") as f:
                written[obj["epoch"]] = f.read()
    torch.save = recording_save

    torch.manual_seed(args.seed)
    train.main(config)
    torch.save = official_save

    final = torch.load(os.path.join(work, "jepa-latest.pth.tar"), map_location="cpu")
    total = args.steps * args.epochs
    if final["epoch"] != args.epochs or len(record["loss"]) != total:
        sys.exit(f"official run ended at epoch {final['epoch']} after {len(record['loss'])} steps")
    fixture = {
        "config": {
            "model_name": args.model, "embed_dim": initial["embed_dim"], "depth": initial["depth"],
            "num_heads": initial["num_heads"], "mlp_hidden_dim": initial["mlp_hidden"],
            "crop_size": args.crop, "patch_size": args.patch, "in_chans": 3,
            "batch_size": args.batch, "steps": args.steps, "pred_depth": args.pred_depth,
            "pred_emb_dim": args.pred_dim, "seed": args.seed, "ema": list(args.ema),
            "loss": args.loss, "warmup": warmup_epochs, "epochs": args.epochs,
            "iterations_per_epoch": args.steps, "ipe_scale": 1.0, "start_lr": args.start_lr,
            "lr": args.lr, "final_lr": args.final_lr, "weight_decay": args.weight_decay,
            "final_weight_decay": args.final_weight_decay, "num_enc_masks": 1,
            "num_pred_masks": 4, "min_keep": args.min_keep, "torch_version": str(torch.__version__),
            "official": "facebookresearch/ijepa src/train.py main()",
        },
        "encoder": initial["encoder"],
        "predictor": initial["predictor"],
        "target_encoder": initial["target_encoder"],
        "images": record["images"],
        "masks_enc": record["masks_enc"],
        "masks_pred": record["masks_pred"],
        "expected_loss": [float(x) for x in record["loss"]],
        "expected_lr": [float(x) for x in record["lr"]],
        "expected_wd": [float(x) for x in record["wd"]],
        "expected_momentum": [float(x) for x in record["momentum"]],
        "official_step_seconds": record["step_seconds"],
        "expected_final": {
            "encoder": harness.strip_ddp_prefix(final["encoder"]),
            "predictor": harness.strip_ddp_prefix(final["predictor"]),
            "target_encoder": harness.strip_ddp_prefix(final["target_encoder"]),
            "opt": final["opt"],
        },
    }
    torch.save(fixture, args.out)
    dist.destroy_process_group()
    losses = ", ".join(f"{x:.6f}" for x in fixture["expected_loss"])
    print(f"wrote {args.out}: {total} official steps, losses [{losses}]")
    if args.checkpoint_out:
        with open(args.checkpoint_out, "wb") as f:
            f.write(written[args.checkpoint_epoch])
        print(f"wrote {args.checkpoint_out}: the official checkpoint after epoch "
              f"{args.checkpoint_epoch} ({len(written[args.checkpoint_epoch])} bytes)")


if __name__ == "__main__":
    main()
