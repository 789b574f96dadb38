#!/usr/bin/env bash
# Installs every Debian 12 package ijepa-cc needs to build, test and train. Idempotent: packages
# already installed are left alone, and nothing is downloaded when all of them are present.
#
#   sudo tools/setup.sh            # or as root
#   tools/setup.sh --check         # only report what is missing; exit 1 if anything is
#   tools/setup.sh --libtorch2 [DIR]
#                                  # opt-in, after the Debian setup: LibTorch 2.x (see below)
#   tools/setup.sh --torch2-python [DIR]
#                                  # opt-in, after --libtorch2: the official Python code on the same
#                                  # LibTorch 2.x, for tools/official_step_benchmark.py
#   tools/setup.sh --help
set -euo pipefail

# LibTorch 2.x, pinned: the torch wheel from PyPI is a complete LibTorch (include/, lib/, share/
# below torch/), built with the C++11 ABI and for CUDA 13.0. Its METADATA pins the CUDA 13.0.2
# runtime libraries, cuDNN 9.19.0.56 and NCCL 2.28.9. Fetched with `pip download --no-deps` and
# unpacked: nothing is installed into any Python. Beside torch/ go the nvidia-* wheels its
# libraries look for through their RPATH ($ORIGIN/../../nvidia/...):
#   - nvidia-cuda-runtime, nvidia-cuda-cupti: libtorch_cpu needs libcudart and libcupti to load, so
#     even CPU-only binaries (--config=torch2) need these two (13 MB);
#   - nvidia-cufile, nvidia-cusparselt-cu13, nvidia-nvshmem-cu13: needed by libtorch_cuda and
#     missing from the CUDA 13.0 toolkit in /usr/local/cuda, which supplies the rest (cuBLAS,
#     cuFFT, cuSPARSE, cuRAND, cuSOLVER, cuDNN, NCCL, all at the versions the wheel pins) for
#     --config=cuda.
TORCH_VERSION=2.11.0
TORCH_DEFAULT_DIR=/opt/ijepa-cc/torch-${TORCH_VERSION}
TORCH_COMPANION_WHEELS=(
  "nvidia-cuda-runtime==13.0.96"
  "nvidia-cuda-cupti==13.0.85"
  "nvidia-cufile==1.15.1.6"
  "nvidia-cusparselt-cu13==0.8.0"
  "nvidia-nvshmem-cu13==3.4.5"
)

# The Python side of the same torch 2.x, for running the official code side by side with our
# binaries built against --libtorch2 (tools/official_step_benchmark.py): the whole torch wheel
# (its Python modules too) and the matching torchvision, unpacked into a folder that goes on
# PYTHONPATH, with the pure-Python packages torch 2.11 imports, all pinned. Nothing is installed
# into any Python; the CUDA runtime libraries come from the --libtorch2 folder (nvidia/).
TORCHVISION_VERSION=0.26.0
TORCH2_PYTHON_DEFAULT_DIR=/opt/ijepa-cc/python-torch-${TORCH_VERSION}
TORCH2_PYTHON_PACKAGES=(
  "filelock==4.3.1" "fsspec==2026.9.0" "jinja2==3.1.6" "markupsafe==3.0.4" "mpmath==1.4.1"
  "networkx==3.6.1" "sympy==1.14.0" "typing_extensions==4.16.0"
)

usage() {
  cat <<USAGE
Usage: tools/setup.sh [--check | --libtorch2 [DIR] | --help]

  (no flag)         Install the Debian 12 packages ijepa-cc needs (as root), select OpenBLAS.
                    Enough for 'bazel run //ijepa/training:pretrain' and 'bazel test //...'.
  --check           Only report missing packages; exit 1 if anything is missing.
  --libtorch2 [DIR] Opt-in: fetch LibTorch ${TORCH_VERSION} (the pinned PyPI torch wheel, a CUDA 13.0
                    build) and the nvidia-* runtime wheels it loads into DIR (default
                    ${TORCH_DEFAULT_DIR}) with 'python3 -m pip download --no-deps', unpack them,
                    and print the LIBTORCH_HOME to use (DIR/torch). Reuses a complete DIR.
                    Needs python3 with pip and PyPI access (about 770 MB download, 1.4 GB
                    unpacked); touches no Python installation. Then:
                      bazel test --config=torch2 //...    # CPU, against LibTorch ${TORCH_VERSION}
                      bazel build --config=cuda //...     # + CUDA 13.0 from /usr/local/cuda
                    (for DIR other than the default add --repo_env=LIBTORCH_HOME=DIR/torch).
  --torch2-python [DIR]
                    Opt-in, after --libtorch2: torch ${TORCH_VERSION} and torchvision ${TORCHVISION_VERSION} as Python
                    packages in DIR (default ${TORCH2_PYTHON_DEFAULT_DIR}), for running the
                    official I-JEPA code on the same LibTorch 2.x as --config=torch2 binaries
                    (tools/official_step_benchmark.py). Prints the PYTHONPATH to use with
                    Debian's /usr/bin/python3 (3.11). About 540 MB download.
  --help            This text.
USAGE
}

# Unpacks torch and its companion wheels into $1; a marker file records a complete unpack.
fetch_libtorch2() {
  local dir=$1
  local marker="$dir/.ijepa-cc-complete"
  if [[ -f "$marker" && "$(cat "$marker")" == "torch==${TORCH_VERSION} ${TORCH_COMPANION_WHEELS[*]}" ]]; then
    echo "setup: LibTorch ${TORCH_VERSION} already complete in $dir"
  else
    command -v python3 >/dev/null || { echo "setup: --libtorch2 needs python3" >&2; exit 1; }
    python3 -m pip --version >/dev/null 2>&1 ||
      { echo "setup: --libtorch2 needs pip (Debian: apt-get install python3-pip)" >&2; exit 1; }
    mkdir -p "$dir/wheels"
    echo "setup: downloading torch==${TORCH_VERSION} and ${TORCH_COMPANION_WHEELS[*]} into $dir/wheels"
    # The wheel for the local python3 (cp311 on Debian 12); LibTorch inside is the same in all.
    python3 -m pip download --no-deps --only-binary=:all: -d "$dir/wheels" \
        "torch==${TORCH_VERSION}" "${TORCH_COMPANION_WHEELS[@]}" ||
      { echo "setup: 'pip download' failed; is PyPI reachable?" >&2; exit 1; }
    rm -rf "$dir/torch" "$dir/nvidia" "$dir"/torch-*.dist-info
    # Only LibTorch's part of the torch wheel (no Python modules); all of each nvidia-* wheel's
    # nvidia/ folder. Wheels are zip files; Python's zipfile keeps this free of unzip.
    python3 - "$dir" "$dir"/wheels/*.whl <<'PY' || { echo "setup: unpacking the wheels failed" >&2; exit 1; }
import os, stat, sys, zipfile
out = sys.argv[1]
for wheel in sys.argv[2:]:
    prefixes = (("torch/include/", "torch/lib/", "torch/share/", "torch-")
                if os.path.basename(wheel).startswith("torch-") else ("nvidia/",))
    with zipfile.ZipFile(wheel) as z:
        for info in z.infolist():
            if info.filename.startswith(prefixes):
                path = z.extract(info, out)
                mode = info.external_attr >> 16
                if mode & stat.S_IXUSR:
                    os.chmod(path, os.stat(path).st_mode | 0o111)
PY
    for lib in torch/lib/libtorch_cpu.so torch/lib/libc10.so nvidia/cu13/lib/libcudart.so.13 \
               nvidia/cu13/lib/libcupti.so.13 nvidia/cu13/lib/libcufile.so.0 \
               nvidia/cusparselt/lib/libcusparseLt.so.0 nvidia/nvshmem/lib/libnvshmem_host.so.3; do
      [[ -f "$dir/$lib" ]] || { echo "setup: $dir/$lib missing after unpacking the wheels" >&2; exit 1; }
    done
    rm -rf "$dir/wheels"
    echo "torch==${TORCH_VERSION} ${TORCH_COMPANION_WHEELS[*]}" > "$marker"
    echo "setup: LibTorch ${TORCH_VERSION} unpacked into $dir"
  fi
  echo "setup: LIBTORCH_HOME=$dir/torch"
  if [[ "$dir" != "$TORCH_DEFAULT_DIR" ]]; then
    echo "setup: not the default folder: add --repo_env=LIBTORCH_HOME=$dir/torch after --config=torch2 or --config=cuda"
  fi
}

fetch_torch2_python() {
  local dir=$1
  local marker="$dir/.ijepa-cc-complete"
  local want="torch==${TORCH_VERSION} torchvision==${TORCHVISION_VERSION} ${TORCH2_PYTHON_PACKAGES[*]}"
  if [[ ! -f "$TORCH_DEFAULT_DIR/.ijepa-cc-complete" ]]; then
    echo "setup: --torch2-python needs the CUDA runtime libraries of --libtorch2 in $TORCH_DEFAULT_DIR; run tools/setup.sh --libtorch2 first" >&2
    exit 1
  fi
  if [[ -f "$marker" && "$(cat "$marker")" == "$want" ]]; then
    echo "setup: torch ${TORCH_VERSION} for Python already complete in $dir"
  else
    python3 -m pip --version >/dev/null 2>&1 ||
      { echo "setup: --torch2-python needs pip (Debian: apt-get install python3-pip)" >&2; exit 1; }
    mkdir -p "$dir/wheels"
    python3 -m pip download --no-deps --only-binary=:all: -d "$dir/wheels" \
        "torch==${TORCH_VERSION}" "torchvision==${TORCHVISION_VERSION}" ||
      { echo "setup: 'pip download' failed; is PyPI reachable?" >&2; exit 1; }
    rm -rf "$dir/torch" "$dir/torchvision" "$dir/nvidia"
    python3 - "$dir" <<'PY'
import glob, os, sys, zipfile
dir = sys.argv[1]
for wheel in glob.glob(os.path.join(dir, "wheels", "*.whl")):
    with zipfile.ZipFile(wheel) as z:
        # torch/include (C++ headers) is not needed by Python.
        z.extractall(dir, [n for n in z.namelist() if not n.startswith("torch/include/")])
PY
    python3 -m pip install --quiet --no-deps --target "$dir" "${TORCH2_PYTHON_PACKAGES[@]}" ||
      { echo "setup: 'pip install --target $dir' failed" >&2; exit 1; }
    ln -sfn "$TORCH_DEFAULT_DIR/nvidia" "$dir/nvidia"
    echo "$want" > "$marker"
  fi
  # Debian's Python 3.11 (the wheels are cp311; python3-numpy comes with python3-torch).
  PYTHONPATH="$dir" /usr/bin/python3 -c "import torch, torchvision; print('setup: torch', torch.__version__, 'torchvision', torchvision.__version__)" ||
    { echo "setup: torch from $dir does not import" >&2; exit 1; }
  echo "setup: PYTHONPATH=$dir (with /usr/bin/python3)"
}

# package -> why it is needed
PACKAGES=(
  "bazel-bootstrap:Bazel 4.2.3, the build system"
  "bazel-platforms:@platforms for Bazel, offline"
  "bazel-skylib:@bazel_skylib for Bazel, offline"
  "g++:C++17 compiler"
  "libtorch-dev:LibTorch 1.13 (CPU) headers and libraries"
  "libgloo-dev:Gloo headers for c10d's ProcessGroupGloo (//ijepa/distributed); LibTorch links libgloo0"
  "libopenblas0-openmp:optimized BLAS; LibTorch otherwise runs on the reference BLAS, 10x slower"
  "libprotobuf-dev:Protobuf runtime for configs"
  "protobuf-compiler:protoc, used by proto_library"
  "libabsl-dev:Abseil (status, strings, flags, random)"
  "libgoogle-glog-dev:glog, logging"
  "libgflags-dev:gflags, needed by glog"
  "libgtest-dev:GoogleTest"
  "libgmock-dev:GoogleMock"
  "libbenchmark-dev:Google Benchmark"
  "libjpeg62-turbo-dev:JPEG decoding (libjpeg-turbo)"
  "libpng-dev:PNG decoding and writing"
  "zlib1g-dev:gzip'd IDX files"
  "nlohmann-json3-dev:strict JSON parsing and writing for safetensors headers and Hugging Face config.json"
  "libisal-dev:CRC32C (ISA-L crc32_iscsi) for the TFRecord framing of TensorBoard event files"
  "dataset-fashion-mnist:the default data set (/usr/share/datasets/fashion-mnist)"
  "python3-torch:reference tools that make test fixtures and read checkpoints (never in the C++ path)"
  "python3-torchvision:the official I-JEPA code imports it (tools that run it to make fixtures)"
  "python3-yaml:the official I-JEPA train.py imports it (tools that run it to make fixtures)"
)

case "${1:-}" in
  --help|-h) usage; exit 0 ;;
  --libtorch2) fetch_libtorch2 "$(realpath -m "${2:-$TORCH_DEFAULT_DIR}")"; exit 0 ;;
  --torch2-python) fetch_torch2_python "$(realpath -m "${2:-$TORCH2_PYTHON_DEFAULT_DIR}")"; exit 0 ;;
  ""|--check) ;;
  *) echo "setup: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
esac

check_only=0
[[ "${1:-}" == "--check" ]] && check_only=1

missing=()
for entry in "${PACKAGES[@]}"; do
  pkg="${entry%%:*}"
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    continue
  fi
  missing+=("$pkg")
  echo "setup: missing $pkg (${entry#*:})"
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#PACKAGES[@]} packages are installed"
elif [[ $check_only -eq 1 ]]; then
  exit 1
else
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: installing packages needs root; run: sudo $0" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q || { echo "setup: 'apt-get update' failed; is a Debian mirror reachable?" >&2; exit 1; }
  for pkg in "${missing[@]}"; do
    if ! apt-cache show "$pkg" >/dev/null 2>&1; then
      echo "setup: package '$pkg' cannot be found in the configured Debian repositories" >&2
      exit 1
    fi
  done
  apt-get install -y -q "${missing[@]}" ||
    { echo "setup: 'apt-get install ${missing[*]}' failed" >&2; exit 1; }
fi

# LibTorch loads libblas.so.3 through Debian's alternatives; make sure it is OpenBLAS, not the
# reference netlib BLAS that other packages may have selected.
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true)
case "$blas" in
  *openblas*) echo "setup: BLAS is OpenBLAS ($blas)" ;;
  *)
    if [[ $check_only -eq 1 ]]; then echo "setup: BLAS is not OpenBLAS ($blas)"; exit 1; fi
    openblas=$(update-alternatives --list libblas.so.3-x86_64-linux-gnu | grep openblas | head -n1 || true)
    if [[ -z "$openblas" ]]; then
      echo "setup: libopenblas0-openmp is installed but registers no libblas.so.3 alternative" >&2
      exit 1
    fi
    update-alternatives --set libblas.so.3-x86_64-linux-gnu "$openblas"
    echo "setup: switched BLAS to $openblas"
    ;;
esac

if [[ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]]; then
  echo "setup: dataset-fashion-mnist installed but its files are missing under /usr/share/datasets/fashion-mnist" >&2
  exit 1
fi
echo "setup: done"
