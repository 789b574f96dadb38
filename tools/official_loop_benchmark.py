#!/usr/bin/python3
"""End to end on a JPEG folder: the official train.py loop with its own loader against `pretrain`.

Both read the same ImageNet-style folder of JPEGs (made here: --make-images), decode, random-
resized-crop to 224 and normalise with their own loaders (the official one: torchvision's
ImageFolder in a DataLoader with --workers worker processes and its MaskCollator; ours: the
project's loader with --workers threads), and train ViT-Tiny/16, batch 16, predictor 6 x 384, on
--threads intra-op threads, official masks on both sides (mask.official_behavior: true here).
The number per side is the median wall time of one iteration (next batch + training step) after
the first two; runs alternate official / ours, --repetitions times.

  /usr/bin/python3 tools/official_loop_benchmark.py --official=/path/to/ijepa \
      --pretrain=bazel-bin/ijepa/training/pretrain --images=/tmp/jpegs --make-images

Only the official loop's surroundings are replaced (official_harness.py: the process group, the
CPU timer); its make_imagenet1k, collator, model, loss, optimizer and EMA run unchanged. Needs
Debian's python3-torch, python3-torchvision and python3-pil; never part of the build.
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
IMAGE_FOLDER = "jpegs"  # root/jpegs/train/<class>/<image>.jpg, the ImageNet layout both read


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--official", required=True, help="checkout of facebookresearch/ijepa")
    p.add_argument("--pretrain", help="this project's pretrain binary")
    p.add_argument("--images", required=True, help="root folder of the JPEGs")
    p.add_argument("--make-images", action="store_true",
                   help="first write --steps x 16 JPEGs of 500x375 (smooth random colour fields)")
    p.add_argument("--steps", type=int, default=14, help="iterations per run (one epoch)")
    p.add_argument("--repetitions", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--cpu_linear", default="BLAS",
                   help="ours: meta.cpu_linear, BLAS, ONEDNN or both as BLAS,ONEDNN (one run of "
                        "ours each per repetition); the official code always runs ATen's BLAS")
    p.add_argument("--side", choices=["official"], help=argparse.SUPPRESS)  # child process
    return p.parse_args()


def make_images(root, count):
    import numpy as np
    from PIL import Image
    rng = np.random.default_rng(0)
    for i in range(count):
        folder = os.path.join(root, IMAGE_FOLDER, "train", f"class{i % 4}")
        os.makedirs(folder, exist_ok=True)
        coarse = rng.integers(0, 256, size=(12, 16, 3), dtype=np.uint8)
        image = Image.fromarray(coarse).resize((500, 375), Image.BICUBIC)
        image.save(os.path.join(folder, f"img{i:04d}.jpg"), quality=90)


def official_iterations(args):
    """Runs in a child process: the official main() over the folder; prints iteration times."""
    sys.path.insert(0, HERE)
    import official_harness as harness
    torch, train, vit = harness.import_official(args.official)
    torch.set_num_threads(args.threads)
    work = tempfile.mkdtemp(prefix="ijepa_loop_")
    harness.init_single_process_group(work)
    harness.run_on_cpu(train, torch)
    stamps = []
    official_make = train.make_imagenet1k

    def make_imagenet1k(**kw):
        dataset, loader, sampler = official_make(**kw)

        class Timed:
            def __len__(self):
                return len(loader)

            def __iter__(self):
                for batch in loader:
                    stamps.append(time.perf_counter())
                    yield batch
        return dataset, Timed(), sampler
    train.make_imagenet1k = make_imagenet1k
    config = harness.official_config(work, "vit_tiny", 224, 16, 16, 6, 384, epochs=1, warmup=0,
                                     min_keep=10)
    config["data"].update({"root_path": args.images, "image_folder": IMAGE_FOLDER,
                           "num_workers": args.workers, "crop_scale": [0.3, 1.0],
                           "use_horizontal_flip": False})
    train.main(config)
    iterations = [b - a for a, b in zip(stamps, stamps[1:])]
    print("official iterations:", " ".join(f"{t:.4f}" for t in iterations))


def official_run(args):
    cmd = [sys.executable, os.path.abspath(__file__), "--side=official",
           f"--official={args.official}", f"--images={args.images}",
           f"--threads={args.threads}", f"--workers={args.workers}"]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    m = re.search(r"official iterations: (.*)", out.stdout)
    if out.returncode != 0 or m is None:
        sys.exit(f"official run failed (exit {out.returncode}):\n{out.stdout[-3000:]}")
    return [float(t) for t in m.group(1).split()]


def our_run(args, work, cpu_linear):
    config = os.path.join(work, "loop.pbtxt")
    with open(config, "w") as f:
        f.write(f"""
data {{ dataset: IMAGE_FOLDER root_path: "{args.images}" image_folder: "{IMAGE_FOLDER}"
       batch_size: 16 crop_size: 224 crop_scale: [0.3, 1.0] channels: 3
       num_workers: {args.workers} use_horizontal_flip: false }}
mask {{ patch_size: 16 min_keep: 10 official_behavior: true }}
meta {{ model_name: "vit_tiny" pred_depth: 6 pred_emb_dim: 384 cpu_linear: {cpu_linear} }}
optimization {{ epochs: 1 warmup: 0 ema: [0.996, 1.0] }}
logging {{ log_freq: 1 checkpoint_freq: 1000 tensorboard: false }}
threads: {args.threads}
""")
    out_dir = os.path.join(work, "run")
    cmd = [args.pretrain, f"--config={config}", f"--out={out_dir}"]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    times = [float(ms) / 1e3 for ms in re.findall(r" ([\d.]+) ms/step", out.stdout)]
    if out.returncode != 0 or not times:
        sys.exit(f"pretrain failed (exit {out.returncode}):\n{out.stdout[-3000:]}")
    subprocess.run(["rm", "-rf", out_dir], check=True)
    return times


def main():
    args = parse_args()
    if args.side == "official":
        official_iterations(args)
        return
    if not args.pretrain or not os.access(args.pretrain, os.X_OK):
        sys.exit("--pretrain=BIN (bazel build //ijepa/training:pretrain) is required")
    if args.make_images:
        make_images(args.images, args.steps * 16)
    work = tempfile.mkdtemp(prefix="ijepa_loop_bench_")
    backends = args.cpu_linear.split(",")
    if any(b not in ("BLAS", "ONEDNN") for b in backends):
        sys.exit("--cpu_linear takes BLAS, ONEDNN or BLAS,ONEDNN")
    official, ours = [], {b: [] for b in backends}
    for rep in range(args.repetitions):
        o = statistics.median(official_run(args)[2:])
        official.append(o)
        line = []
        for backend in backends:
            u = statistics.median(our_run(args, work, backend)[2:])
            ours[backend].append(u)
            line.append(f"ours ({backend}) {u:.3f} s ({16 / u:.2f} img/s)")
        print(f"repetition {rep + 1}: official {o:.3f} s/iteration ({16 / o:.2f} img/s), "
              + ", ".join(line), flush=True)
    o = statistics.median(official)
    print(f"official: {o:.3f} s per iteration (range {min(official):.3f}-{max(official):.3f}) = "
          f"{16 / o:.2f} images/s")
    for backend, times in ours.items():
        u = statistics.median(times)
        print(f"ours ({backend}): {u:.3f} s per iteration (range {min(times):.3f}-{max(times):.3f}) "
              f"= {16 / u:.2f} images/s, speed-up (median iteration official / ours) {o / u:.2f}x")

if __name__ == "__main__":
    main()
