#!/bin/bash
# //tools:convert_checkpoint end to end: official -> project -> official through files, flag and
# input errors. Python's view of the outputs is checked when /usr/bin/python3 has torch.
set -u
convert="$1"
fixtures="$2"   # ijepa/checkpoint/testdata
reader="$3"     # tools/read_checkpoint.py
hf_tiny="${4:-}"  # ijepa/checkpoint/testdata/hf_tiny (transformers' own save_pretrained)
tmp="${TEST_TMPDIR:-/tmp}"
fail() { echo "FAIL: $*"; exit 1; }

out=$("$convert" --in="$fixtures/official_tiny.pth.tar" --out="$tmp/project.pt") || fail "official -> project: $out"
[[ "$out" == *"(official layout) -> $tmp/project.pt (project layout)"* ]] || fail "unexpected summary: $out"
out=$("$convert" --in="$tmp/project.pt" --out="$tmp/official.pth.tar") || fail "project -> official: $out"
[[ "$out" == *"(project layout) -> $tmp/official.pth.tar (official layout)"* ]] || fail "unexpected summary: $out"
out=$("$convert" --in="$tmp/official.pth.tar" --out="$tmp/official2.pth.tar" --to=official) || fail "$out"
cmp -s "$tmp/official.pth.tar" "$tmp/official2.pth.tar" || fail "official -> official changed the file"

# Errors: exit status 1 and a message that names the problem.
out=$("$convert" --in="$fixtures/hostile_os_system.pt" --out="$tmp/x.pt" 2>&1) && fail "hostile file accepted"
[[ "$out" == *"'posix.system'"* ]] || fail "hostile: $out"
[[ ! -e "$tmp/x.pt" ]] || fail "output written for a hostile input"
out=$("$convert" --in="$fixtures/tensors.pt" --out="$tmp/x.pt" 2>&1) && fail "non-I-JEPA file accepted"
[[ "$out" == *"no 'encoder' state dict"* ]] || fail "tensors.pt: $out"
out=$("$convert" --in="$tmp/project.pt" --out="$tmp/x.pt" --to=sideways 2>&1) && fail "bad --to accepted"
[[ "$out" == *"--to must be"* ]] || fail "--to: $out"
out=$("$convert" --out="$tmp/x.pt" 2>&1) && fail "missing --in accepted"
[[ "$out" == *"--in and --out are required"* ]] || fail "missing --in: $out"

# Hugging Face folders: folder -> torch.save file -> folder gives back transformers' exact tensors
# (the C++ test //ijepa/checkpoint:hf_ijepa_test checks the features).
out=$("$convert" --in="$hf_tiny" --out="$tmp/from_hf.pth.tar" --from=hf) || fail "--from=hf: $out"
[[ "$out" == *"(transformers IJepaModel) -> $tmp/from_hf.pth.tar (target_encoder + hf_config)"* ]] || fail "$out"
out=$("$convert" --in="$tmp/from_hf.pth.tar" --out="$tmp/hf_again" --to=hf) || fail "--to=hf: $out"
[[ "$out" == *"hidden 32, 2 layers, 2 heads, image 16, patch 4, 3 channels"* ]] || fail "$out"
[[ -f "$tmp/hf_again/config.json" && -f "$tmp/hf_again/model.safetensors" ]] || fail "no HF folder written"
# The official tiny fixture's context encoder (width 8: no named model, so the head count is given).
out=$("$convert" --in="$fixtures/official_tiny.pth.tar" --out="$tmp/hf_official" --to=hf --which=encoder 2>&1) &&
  fail "width 8 without --num_heads accepted"
[[ "$out" == *"width 8 is no official named model; give the head count (--num_heads)"* ]] || fail "$out"
out=$("$convert" --in="$fixtures/official_tiny.pth.tar" --out="$tmp/hf_official" --to=hf --which=encoder \
  --num_heads=2) || fail "official -> hf: $out"
grep -q '"layer_norm_eps": 1e-06' "$tmp/hf_official/config.json" || fail "config.json lacks the official eps"
out=$("$convert" --in="$fixtures/tensors.pt" --out="$tmp/hf_x" --to=hf 2>&1) && fail "non-I-JEPA file accepted for hf"
[[ "$out" == *"no 'target_encoder' state dict"* ]] || fail "tensors.pt --to=hf: $out"
out=$("$convert" --in="$tmp" --out="$tmp/x.pt" --from=hf 2>&1) && fail "folder without config.json accepted"
[[ "$out" == *"no config.json"* ]] || fail "--from=hf without config.json: $out"
out=$("$convert" --in="$hf_tiny" --out="$tmp/x.pt" --from=hf --which=both 2>&1) && fail "bad --which accepted"
[[ "$out" == *"--which must be"* ]] || fail "--which: $out"

if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  /usr/bin/python3 "$reader" "$tmp/official.pth.tar" --expect=official --formula || fail "python: official"
  /usr/bin/python3 "$reader" "$tmp/project.pt" --expect=project --formula || fail "python: project"
else
  echo "SKIPPED the torch.load checks: /usr/bin/python3 with torch is not available"
fi
echo PASS
