#!/bin/bash
# Builds the GPU check bundle here (no GPU needed): tools/gpu/bundle/ with gpu_check built by
# `bazel build --config=cuda` against the pinned LibTorch 2.11.0 (CUDA 13.0), the Debian shared
# libraries it needs beside it (Abseil, protobuf, glog, ...), and run_gpu_check.sh. LibTorch,
# CUDA, cuDNN and NCCL are NOT bundled: the GPU machine's own torch 2.11.0 provides them.
#   tools/gpu/make_bundle.sh            # then, e.g. with the device tool: carry tools/gpu/bundle
set -euo pipefail
cd "$(dirname "$0")/../.."
bundle=tools/gpu/bundle
bazel build --config=cuda //tools/gpu:gpu_check
rm -rf "$bundle"
mkdir -p "$bundle/lib"
cp bazel-bin/tools/gpu/gpu_check "$bundle/"
chmod u+w "$bundle/gpu_check"
cp tools/gpu/run_gpu_check.sh "$bundle/"
# Every library the loader resolves from the system's multiarch folder, except the C/C++ runtime
# (the GPU machine's own, same or newer) and what LibTorch / CUDA bring there.
ldd "$bundle/gpu_check" | awk '$2 == "=>" && $3 ~ /^\/(usr\/)?lib\/x86_64-linux-gnu\// {print $1, $3}' |
  while read -r name path; do
    case "$name" in
      libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*|libstdc++.so.*|libgcc_s.so.*) ;;
      *) cp -L "$path" "$bundle/lib/$name" ;;
    esac
  done
du -sh "$bundle"
echo "bundle: $bundle ($(ls "$bundle/lib" | wc -l) libraries)"
