#!/usr/bin/python3
"""The official I-JEPA training step and ours, timed side by side on the same images and masks.

Compute only (no loader): each repetition records fresh steps of the official src/train.py main()
with make_training_fixture.py (its model, MaskCollator masks, loss, AdamW, EMA and DDP wrapping,
timed per train_step closure: schedulers, forwards, backward, optimizer step, EMA), then replays
exactly those images and masks through this project's TrainStep with
//ijepa/training:replay_steps, which times each step the same way and checks the losses agree.
Repetitions alternate official / ours; each side's number is the median step time after the first
(warm-up) step; the report gives the median and the range over repetitions.

Setting of the issue (ViT-Tiny/16 at 224, batch 16, predictor 6 x 384, official mask settings
with min_keep 10, 2 threads).

  bazel build -c opt //ijepa/training:replay_steps
  /usr/bin/python3 tools/official_step_benchmark.py --official=/path/to/ijepa \
      --replay=bazel-bin/ijepa/training/replay_steps
  # the same against LibTorch 2.x: the official code on pip's torch 2.11 (tools/torch2_python.sh)
  bazel build -c opt --config=torch2 //ijepa/training:replay_steps
  PYTHONPATH=/opt/ijepa-cc/python-torch-2.11.0 /usr/bin/python3 tools/official_step_benchmark.py \
      --official=/path/to/ijepa --replay=bazel-bin/ijepa/training/replay_steps
  # --bf16: ours under CPU bf16 autocast against the official float32 step
  # --cpu_linear=onednn: ours with its linear layers on oneDNN (meta.cpu_linear)
  # --limit: also the matrix-multiply limit (profiled FLOPs; BLAS and oneDNN at the step's shapes)

Needs a Python with torch and torchvision (Debian's python3-torch for 1.13); never part of the
build.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--official", required=True, help="checkout of facebookresearch/ijepa")
    p.add_argument("--replay", required=True, help="this project's replay_steps binary")
    p.add_argument("--repetitions", type=int, default=3)
    p.add_argument("--steps", type=int, default=6, help="steps per repetition (first = warm-up)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--model", default="vit_tiny")
    p.add_argument("--crop", type=int, default=224)
    p.add_argument("--patch", type=int, default=16)
    p.add_argument("--pred-depth", type=int, default=6)
    p.add_argument("--pred-dim", type=int, default=384)
    p.add_argument("--min-keep", type=int, default=10, help="official configs' mask.min_keep")
    p.add_argument("--bf16", action="store_true", help="ours under CPU bf16 autocast")
    p.add_argument("--cpu_linear", default="blas",
                   help="ours: the library for float32 linear layers (replay_steps --cpu_linear), "
                        "blas, onednn or both as blas,onednn (each replays the same steps); the "
                        "official code always runs ATen's BLAS")
    p.add_argument("--limit", action="store_true",
                   help="also profile one official step's matrix products and time sgemm at "
                        "their shapes: the machine's limit for this step")
    p.add_argument("--work", help="folder for the fixtures (default: a temporary one)")
    args = p.parse_args()
    args.cpu_linear = args.cpu_linear.split(",")
    if not args.cpu_linear or any(b not in ("blas", "onednn") for b in args.cpu_linear):
        p.error("--cpu_linear takes blas, onednn or blas,onednn")
    if args.steps < 2 or args.repetitions < 1:
        p.error("--steps must be >= 2 (the first is a warm-up) and --repetitions >= 1")
    if not os.access(args.replay, os.X_OK):
        p.error(f"--replay={args.replay}: not an executable (bazel build //ijepa/training:replay_steps)")
    return args


def run(cmd):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc.returncode, proc.stdout


def official_steps(args, fixture, seed):
    cmd = [sys.executable, os.path.join(HERE, "make_training_fixture.py"),
           f"--official={args.official}", f"--out={fixture}", "--model", args.model,
           "--crop", str(args.crop), "--patch", str(args.patch), "--batch", str(args.batch),
           "--steps", str(args.steps), "--pred-depth", str(args.pred_depth),
           "--pred-dim", str(args.pred_dim), "--min-keep", str(args.min_keep),
           "--threads", str(args.threads), "--warmup-steps", "1", "--seed", str(seed)]
    rc, out = run(cmd)
    if rc != 0:
        sys.exit(f"official steps failed (exit {rc}):\n{out[-3000:]}")


def our_steps(args, fixture, cpu_linear):
    # 2 threads change the float summation order: the step-parity tolerances are for 1 thread,
    # so agreement is reported (loss column) but not required here.
    # bf16 moves the losses by up to ~5e-5 relative on its own (docs/training.md); 0.05 only
    # catches a step that went wrong.
    loss_tolerance = 0.05 if args.bf16 else 1e-3
    cmd = [args.replay, f"--fixture={fixture}", f"--threads={args.threads}",
           f"--loss_tolerance={loss_tolerance}", "--tensor_tolerance=1"]
    if args.bf16:
        cmd.append("--bf16")
    cmd.append(f"--cpu_linear={cpu_linear}")
    rc, out = run(cmd)
    m = re.search(r"median step \((\d+) steps after the first\): ours ([\d.]+) ms, "
                  r"official ([\d.]+) ms", out)
    if rc not in (0, 1) or m is None:
        sys.exit(f"replay_steps failed (exit {rc}):\n{out[-3000:]}")
    if rc == 1:
        print(f"  note: replay_steps reports a disagreement beyond the loose tolerances:\n"
              f"{out[-1500:]}")
    return float(m.group(2)) / 1e3, float(m.group(3)) / 1e3


def spread(values):
    return f"{statistics.median(values):.3f} s (range {min(values):.3f}-{max(values):.3f})"


def matmul_limit(args):
    """Profiles one official-sized step's matrix products (forward and backward) with the torch
    profiler and times a contiguous sgemm of each (m, k, n) alone: the step's time if it did
    nothing but its matrix products at the machine's sgemm speed."""
    sys.path.insert(0, HERE)
    import official_harness as harness
    torch, train, vit = harness.import_official(args.official)
    from src.helper import init_model
    from src.masks.multiblock import MaskCollator
    from src.masks.utils import apply_masks
    from src.utils.tensors import repeat_interleave_batch
    import torch.nn.functional as F
    torch.set_num_threads(args.threads)
    encoder, predictor = init_model(device=torch.device("cpu"), patch_size=args.patch,
                                    crop_size=args.crop, pred_depth=args.pred_depth,
                                    pred_emb_dim=args.pred_dim, model_name=args.model)
    target = vit.__dict__[args.model](img_size=[args.crop], patch_size=args.patch)
    target.load_state_dict(encoder.state_dict())
    # The official configs' mask settings (the collator's own defaults differ), as
    # make_training_fixture.py runs them.
    collator = MaskCollator(input_size=(args.crop, args.crop), patch_size=args.patch,
                            enc_mask_scale=(0.85, 1.0), pred_mask_scale=(0.15, 0.2),
                            aspect_ratio=(0.75, 1.5), nenc=1, npred=4, allow_overlap=False,
                            min_keep=args.min_keep)
    batch = [(torch.randn(3, args.crop, args.crop), 0) for _ in range(args.batch)]
    (imgs, _), masks_enc, masks_pred = collator(batch)

    def step():  # the official train_step body's forward and backward
        with torch.no_grad():
            h = F.layer_norm(target(imgs), (encoder.embed_dim,))
            h = repeat_interleave_batch(apply_masks(h, masks_pred), args.batch, len(masks_enc))
        z = predictor(encoder(imgs, masks_enc), masks_enc, masks_pred)
        F.smooth_l1_loss(z, h).backward()

    step()
    shapes = []
    with torch.profiler.profile(record_shapes=True, with_flops=True) as prof:
        step()
    for e in prof.events():
        if e.name in ("aten::mm", "aten::addmm", "aten::bmm") and e.flops:
            # addmm(bias, mat1, mat2); mm(mat1, mat2); bmm(batch1, batch2)
            operands = e.input_shapes[1:3] if e.name == "aten::addmm" else e.input_shapes[0:2]
            if len(operands) < 2 or len(operands[0]) < 2 or len(operands[1]) < 2:
                continue
            a, b = operands
            batch_count = a[0] if e.name == "aten::bmm" else 1
            shapes.append((e.name, batch_count, a[-2], a[-1], b[-1], e.flops))
    flops = sum(s[-1] for s in shapes)

    def best_of_5(fn):
        fn()
        times = []
        for _ in range(5):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return min(times)

    # Each shape alone, contiguous operands, warm: through ATen's BLAS (torch.mm / bmm, what
    # nn.Linear runs) and, for the 2-D products, through oneDNN (mkldnn_linear on operands already
    # in its layout, no conversions): the faster of the two is what this machine can do.
    blas, onednn = {}, {}
    for name, bc, m, k, n, _ in set(shapes):
        key = (name, bc, m, k, n)
        if name == "aten::bmm":
            x, y = torch.randn(bc, m, k), torch.randn(bc, k, n)
            blas[key] = best_of_5(lambda: torch.bmm(x, y))
            continue
        x, y = torch.randn(m, k), torch.randn(k, n)
        blas[key] = best_of_5(lambda: torch.mm(x, y))
        if torch.backends.mkldnn.is_available():
            xm, w = x.to_mkldnn(), y.t().contiguous()
            onednn[key] = best_of_5(lambda: torch._C._nn.mkldnn_linear(xm, w))
    print(f"matrix products of one step (profiled, forward + backward): {len(shapes)} calls, "
          f"{flops / 1e9:.1f} GFLOP ({flops / 1e9 / args.batch:.2f} GFLOP per image)")
    blas_seconds = sum(blas[s[:5]] for s in shapes)
    print(f"ATen's BLAS (sgemm) at those shapes alone, {args.threads} threads: {blas_seconds:.3f} s "
          f"per step = {flops / blas_seconds / 1e9:.0f} GFLOP/s ({args.batch / blas_seconds:.2f} images/s)")
    limit_seconds = sum(min(blas[s[:5]], onednn.get(s[:5], float("inf"))) for s in shapes)
    if onednn:
        print(f"the faster of BLAS and oneDNN per shape: {limit_seconds:.3f} s per step = "
              f"{flops / limit_seconds / 1e9:.0f} GFLOP/s ({args.batch / limit_seconds:.2f} images/s)")
    print(f"the limit: {limit_seconds:.3f} s per step ({args.batch / limit_seconds:.2f} images/s)")
    return flops, limit_seconds


def main():
    args = parse_args()
    work = args.work or tempfile.mkdtemp(prefix="ijepa_step_bench_")
    os.makedirs(work, exist_ok=True)
    import torch
    print(f"torch {torch.__version__} for the official code; ours: {args.replay}; "
          f"{args.threads} threads; {args.model}/{args.patch} at {args.crop}, batch {args.batch}, "
          f"predictor {args.pred_depth} x {args.pred_dim}; {args.steps} steps x "
          f"{args.repetitions} repetitions{'; ours in bf16' if args.bf16 else ''}; ours' linear "
          f"layers: {','.join(args.cpu_linear)}")
    ours = {backend: [] for backend in args.cpu_linear}
    official = []
    for rep in range(args.repetitions):
        fixture = os.path.join(work, f"steps_{rep}.pt")
        official_steps(args, fixture, seed=rep)
        line = []
        for backend in args.cpu_linear:
            ours_s, official_s = our_steps(args, fixture, backend)
            ours[backend].append(ours_s)
            line.append(f"ours ({backend}) {ours_s:.3f} s/step ({args.batch / ours_s:.2f} img/s)")
        os.remove(fixture)
        official.append(official_s)
        print(f"repetition {rep + 1}: official {official_s:.3f} s/step "
              f"({args.batch / official_s:.2f} img/s), " + ", ".join(line), flush=True)
    o = statistics.median(official)
    print(f"official: {spread(official)} per step = {args.batch / o:.2f} images/s")
    for backend, times in ours.items():
        u = statistics.median(times)
        print(f"ours ({backend}): {spread(times)} per step = {args.batch / u:.2f} images/s, "
              f"speed-up (median step time official / ours) {o / u:.2f}x")
    if args.limit:
        flops, limit_seconds = matmul_limit(args)
        print(f"fraction of the limit: official {limit_seconds / o:.0%}, " + ", ".join(
            f"ours ({b}) {limit_seconds / statistics.median(t):.0%}" for b, t in ours.items()))


if __name__ == "__main__":
    main()
