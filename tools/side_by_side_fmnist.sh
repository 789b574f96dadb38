#!/bin/bash
# Our pretrain and the official train.py, side by side on this machine in one sitting, on the
# default Fashion-MNIST run (configs/fmnist_vit_tiny.pbtxt): per seed, our run with the project's
# masks (the default), our run with the official mask behaviour (mask.official_behavior: true, the
# same pretext task as the official code), and the official code on the images and config of our
# run (tools/official_fmnist_run.py). Every checkpoint is scored by the same linear_probe (its
# default protocol: 60 labels per class, hyper-parameters chosen on a validation carve-out of the
# training split, the test split scored once). Prints one line per run and a summary table.
#
#   bazel build //ijepa/training:pretrain //ijepa/eval:linear_probe
#   tools/side_by_side_fmnist.sh --official=/path/to/ijepa --out=/tmp/side_by_side [--seeds="0 1 2"]
#
# Run it on an idle machine: the wall times are part of the result.
set -euo pipefail

official="" out="" seeds="0 1 2"
for arg in "$@"; do
  case "$arg" in
    --official=*) official="${arg#*=}" ;;
    --out=*) out="${arg#*=}" ;;
    --seeds=*) seeds="${arg#*=}" ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done
[[ -n "$official" && -n "$out" ]] || { echo "usage: $0 --official=DIR --out=DIR [--seeds=\"0 1 2\"]" >&2; exit 2; }
root="$(cd "$(dirname "$0")/.." && pwd)"
pretrain="$root/bazel-bin/ijepa/training/pretrain"
probe="$root/bazel-bin/ijepa/eval/linear_probe"
for b in "$pretrain" "$probe"; do
  [[ -x "$b" ]] || { echo "$b is missing: bazel build //ijepa/training:pretrain //ijepa/eval:linear_probe" >&2; exit 1; }
done
mkdir -p "$out"
results="$out/results.tsv"
echo -e "run\tseed\ttrain_seconds\tprobe_top1" > "$results"

seconds_since() { python3 -c "import time,sys; print(f'{time.time() - float(sys.argv[1]):.1f}')" "$1"; }

score() {  # score NAME SEED CHECKPOINT TRAIN_SECONDS
  local json="$out/$1_s$2.probe.json"
  "$probe" --checkpoint="$3" --out="$json" > /dev/null 2> "$out/$1_s$2.probe.log"
  local top1
  # The report's own choice (the pooling that won on validation; ijepa/eval/model_selection.h).
  top1=$(python3 -c "
import json, sys
print(json.load(open(sys.argv[1]))['chosen_summary']['linear_top1_mean'])" "$json")
  echo -e "$1\t$2\t$4\t$top1" | tee -a "$results"
}

for seed in $seeds; do
  for variant in ours ours_official_masks; do
    extra=()
    [[ "$variant" == ours_official_masks ]] && extra=(--set mask.official_behavior=true)
    start=$(date +%s.%N)
    # The default recipe minus the two extensions the official code lacks (fan-in patch
    # embedding, CPU bf16), so that both sides train the same model the same way.
    "$pretrain" --out="$out/${variant}_s$seed" --set seed="$seed" --set probe.enabled=false \
      --set meta.patch_embed_init=OFFICIAL --set meta.cpu_bfloat16=false "${extra[@]}" > "$out/${variant}_s$seed.log" 2>&1
    score "$variant" "$seed" "$out/${variant}_s$seed/jepa-latest.pth.tar" "$(seconds_since "$start")"
  done
  start=$(date +%s.%N)
  /usr/bin/python3 "$root/tools/official_fmnist_run.py" --official="$official" \
    --run="$out/ours_s$seed" --seed="$seed" --out="$out/official_s$seed" \
    > "$out/official_s$seed.log" 2>&1
  score official "$seed" "$out/official_s$seed/jepa-latest.pth.tar" "$(seconds_since "$start")"
done

python3 - "$results" <<'EOF'
import collections, statistics, sys
rows = collections.defaultdict(list)
for line in open(sys.argv[1]).read().splitlines()[1:]:
    run, seed, secs, top1 = line.split("\t")
    rows[run].append((float(secs), float(top1)))
print("| run | seeds | probe top-1 (mean ± std) | train wall time, s (mean ± std) |")
print("|---|---|---|---|")
for run, values in rows.items():
    secs = [v[0] for v in values]; acc = [v[1] for v in values]
    sd = lambda xs: statistics.stdev(xs) if len(xs) > 1 else 0.0
    print(f"| {run} | {len(values)} | {statistics.mean(acc):.2f} ± {sd(acc):.2f} | "
          f"{statistics.mean(secs):.1f} ± {sd(secs):.1f} |")
EOF
