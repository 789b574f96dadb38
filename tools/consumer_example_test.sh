#!/usr/bin/env bash
# Builds and runs tools/consumer_example, a separate Bazel workspace that depends on this one
# through local_repository and uses //ijepa/masking, proving single targets are importable.
# Runs a nested Bazel in its own output root, so it does not touch the outer build.
set -euo pipefail

# The consumer workspace is not part of this one (.bazelignore), so find it in the source tree
# through this script's own location.
consumer_dir="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/consumer_example"
[[ -f "$consumer_dir/WORKSPACE" ]] || { echo "consumer_example_test: no WORKSPACE in $consumer_dir" >&2; exit 1; }
output_root="${TEST_TMPDIR:-/tmp}/consumer_bazel"

cd "$consumer_dir"
output=$(bazel --batch --output_user_root="$output_root" run --symlink_prefix=/ \
  --noshow_progress //:print_masks 2>"$output_root.log") || {
  echo "consumer_example_test: building //:print_masks in $consumer_dir failed:" >&2
  cat "$output_root.log" >&2
  exit 1
}
echo "$output"
if ! grep -Eq '^context masks: 1 of [0-9]+ patches; target masks: 4 of [0-9]+ patches$' <<<"$output"; then
  echo "consumer_example_test: unexpected output from //:print_masks" >&2
  exit 1
fi
