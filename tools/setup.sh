#!/usr/bin/env bash
# Installs every Debian 12 package ijepa-cc needs to build, test and train. Idempotent: packages
# already installed are left alone, and nothing is downloaded when all of them are present.
#
#   sudo tools/setup.sh            # or as root
#   tools/setup.sh --check         # only report what is missing; exit 1 if anything is
set -euo pipefail

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
  "dataset-fashion-mnist:the default data set (/usr/share/datasets/fashion-mnist)"
  "python3-torch:reference tools that make test fixtures and read checkpoints (never in the C++ path)"
)

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
