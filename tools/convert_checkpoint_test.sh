#!/bin/bash
# //tools:convert_checkpoint end to end: official -> project -> official through files, flag and
# input errors. Python's view of the outputs is checked when /usr/bin/python3 has torch.
set -u
convert="$1"
fixtures="$2"   # ijepa/checkpoint/testdata
reader="$3"     # tools/read_checkpoint.py
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

if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  /usr/bin/python3 "$reader" "$tmp/official.pth.tar" --expect=official --formula || fail "python: official"
  /usr/bin/python3 "$reader" "$tmp/project.pt" --expect=project --formula || fail "python: project"
else
  echo "SKIPPED the torch.load checks: /usr/bin/python3 with torch is not available"
fi
echo PASS
