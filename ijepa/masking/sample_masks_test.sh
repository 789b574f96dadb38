#!/bin/bash
# End-to-end check of the sample_masks binary: output shape, determinism, and error exit codes.
set -uo pipefail
bin="$1"
dir="${TEST_TMPDIR:-$(mktemp -d)}"
printf 'num_pred_masks: 2\nmin_keep: 4\n' > "$dir/mask.pbtxt"

out="$("$bin" --config="$dir/mask.pbtxt" --grid=8x10 --batch=3 --batches=5 --seed=9)" || {
  echo "FAIL: sample_masks exited with $?"; exit 1; }
lines=$(printf '%s\n' "$out" | wc -l)
[[ "$lines" == 5 ]] || { echo "FAIL: expected 5 lines, got $lines"; exit 1; }
first="$(printf '%s\n' "$out" | head -n1)"
[[ "$first" == '{"context": [['*'], "targets": [[['*']]]}' ]] || {
  echo "FAIL: unexpected line: $first"; exit 1; }
again="$("$bin" --config="$dir/mask.pbtxt" --grid=8x10 --batch=3 --batches=5 --seed=9)"
[[ "$out" == "$again" ]] || { echo "FAIL: two runs differ"; exit 1; }

printf 'pred_mask_scale: [0.4, 0.2]\n' > "$dir/bad.pbtxt"
if err="$("$bin" --config="$dir/bad.pbtxt" --grid=14x14 2>&1)"; then
  echo "FAIL: a bad config exited with 0"; exit 1
fi
[[ "$err" == *"MaskConfig.pred_mask_scale"* ]] || { echo "FAIL: error does not name the field: $err"; exit 1; }
if err="$("$bin" --grid=14by14 2>&1)"; then echo "FAIL: a bad --grid exited with 0"; exit 1; fi
[[ "$err" == *"--grid"* ]] || { echo "FAIL: error does not name --grid: $err"; exit 1; }
echo OK
