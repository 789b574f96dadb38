#!/usr/bin/python3
"""Reference for //ijepa/data:loader_benchmark: PIL + torchvision on the same JPEG files.

Measures images/s for decode (PIL, convert("RGB")) + RandomResizedCrop(224, scale=(0.3, 1.0))
+ ToTensor + Normalize(ImageNet), as the official I-JEPA make_transforms does with its default
config, first per sample in this process (1 thread), then through torch's DataLoader with 1 and 2
worker processes (batch 32), the way the official training script loads data.

Run the C++ benchmark first: it writes the 500x375 JPEGs to $IJEPA_BENCH_DIR
(default /tmp/ijepa_loader_benchmark). Usage:
  /usr/bin/python3 tools/data_reference_benchmark.py [--root DIR] [--seconds 10]
"""
import argparse
import os
import time

import torch
import torchvision
from torchvision import transforms


def make_transform():
    return transforms.Compose([
        transforms.RandomResizedCrop(224, scale=(0.3, 1.0)),
        transforms.ToTensor(),
        transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    ])


def per_sample(dataset, seconds):
    """Returns (images per wall-clock second, CPU milliseconds per image) in this process."""
    count, start, cpu_start = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        image, _ = dataset[count % len(dataset)]
        count += 1
    return count / (time.perf_counter() - start), 1000 * (time.process_time() - cpu_start) / count


def with_loader(dataset, workers, seconds):
    loader = torch.utils.data.DataLoader(dataset, batch_size=32, shuffle=True, num_workers=workers,
                                         drop_last=True, persistent_workers=True)
    images, start, warm = 0, None, False
    while True:
        for batch, _ in loader:
            if not warm:  # exclude worker start-up and the first batch
                warm, start = True, time.perf_counter()
                continue
            images += batch.shape[0]
            if time.perf_counter() - start >= seconds:
                return images / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=os.environ.get("IJEPA_BENCH_DIR", "/tmp/ijepa_loader_benchmark"))
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    if not os.path.isdir(args.root):
        raise SystemExit(f"{args.root} does not exist: run //ijepa/data:loader_benchmark first (it writes the JPEGs)")
    torch.set_num_threads(1)
    dataset = torchvision.datasets.ImageFolder(args.root, transform=make_transform())
    print(f"{len(dataset)} images in {args.root}; torch {torch.__version__}, torchvision {torchvision.__version__}")
    rate, cpu_ms = per_sample(dataset, args.seconds)
    print(f"per sample, 1 thread:        {rate:8.1f} images/s ({cpu_ms:.3f} ms CPU per image)")
    for workers in (1, 2):
        print(f"DataLoader, {workers} worker(s), b=32: {with_loader(dataset, workers, args.seconds):8.1f} images/s")


if __name__ == "__main__":
    main()
