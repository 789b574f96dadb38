#!/bin/bash
# Fails when LibTorch is in the dependency closure of //ijepa/masking (argument: the output of
# `bazel query 'deps(//ijepa/masking:masking)'`).
set -euo pipefail
deps="$1"
# Guard against an empty or wrong file making the check vacuous.
for expected in //ijepa/masking:masking //ijepa/masking:mask_cc_proto @com_google_absl; do
  if ! grep -q "^${expected}" "$deps"; then
    echo "FAIL: ${expected} missing from the dependency list ${deps}; the query is broken" >&2
    exit 1
  fi
done
if grep -E '^@libtorch|torch' "$deps"; then
  echo "FAIL: //ijepa/masking depends on LibTorch (lines above); it must stay LibTorch-free" >&2
  exit 1
fi
echo "OK: $(wc -l < "$deps") targets in deps(//ijepa/masking:masking), none from LibTorch"
