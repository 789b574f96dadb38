#!/bin/bash
# Runs the GPU check from its bundle folder (made by tools/gpu/make_bundle.sh) against this
# machine's LibTorch: the torch 2.11.0 of `python3` (or TORCH_LIB=/path/to/torch/lib), with the
# CUDA libraries of its nvidia-* packages. Writes gpu_check.log and gpu_checkpoint.pth.tar to
# OUT (default ./gpu_check_out); pass --device=cpu and small sizes for the packaging test.
#   bundle/run_gpu_check.sh                       # on the GPU machine: all four checks
#   bundle/run_gpu_check.sh --device=cpu --model=vit_tiny --patch=16 --batch=4 --steps=2 \
#       --warmup_steps=1 --pred_depth=2 --pred_dim=96
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:-$PWD/gpu_check_out}"
mkdir -p "$out"
if [[ -z "${TORCH_LIB:-}" ]]; then
  TORCH_LIB="$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')"
fi
[[ -f "$TORCH_LIB/libtorch_cpu.so" ]] || { echo "run_gpu_check: no libtorch_cpu.so in $TORCH_LIB" >&2; exit 1; }
# The nvidia-* wheels beside torch (site-packages/nvidia/<package>/lib, or nvidia/cu13/lib).
site="$(dirname "$(dirname "$TORCH_LIB")")"
cuda_libs="$(find "$site/nvidia" -maxdepth 3 -type d -name lib 2>/dev/null | tr '\n' ':')"
export LD_LIBRARY_PATH="$here/lib:$TORCH_LIB:${cuda_libs}${LD_LIBRARY_PATH:-}"
echo "run_gpu_check: torch libraries from $TORCH_LIB; output in $out"
set +e
"$here/gpu_check" --out="$out" "$@" 2>&1 | tee "$out/gpu_check.log"
status=${PIPESTATUS[0]}
set -e
exit "$status"
