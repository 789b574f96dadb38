#!/usr/bin/python3
"""Totals a LibTorch profiler Chrome trace (replay_steps --profile=FILE) by operator: self time
(the operator's time minus the operators it called), calls and share of the step, largest first.

  bazel-bin/ijepa/training/replay_steps --fixture=F.pt --threads=2 --profile=/tmp/step.json
  /usr/bin/python3 tools/summarize_trace.py /tmp/step.json [--top 25]
"""

import argparse
import collections
import json


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("trace")
    p.add_argument("--top", type=int, default=25)
    args = p.parse_args()
    with open(args.trace) as f:
        trace = json.load(f)
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    by_thread = collections.defaultdict(list)
    for e in events:
        if e.get("ph") == "X" and "dur" in e:
            by_thread[e.get("tid")].append((float(e["ts"]), float(e["dur"]), e["name"]))
    self_us, calls = collections.Counter(), collections.Counter()
    total = 0.0
    for spans in by_thread.values():
        # Nested spans on one thread: sort by start (longest first on ties) and keep a stack.
        spans.sort(key=lambda s: (s[0], -s[1]))
        stack = []  # [end, name, time of the children, duration]
        def close(frame):
            end, name, child, dur = frame
            self_us[name] += dur - child
            if stack:
                stack[-1][2] += dur
        for start, dur, name in spans:
            while stack and stack[-1][0] <= start:
                close(stack.pop())
            if not stack:
                total += dur
            stack.append([start + dur, name, 0.0, dur])
            calls[name] += 1
        while stack:
            close(stack.pop())
    print(f"{'operator':<48} {'self ms':>9} {'calls':>6} {'share':>6}")
    for name, us in self_us.most_common(args.top):
        print(f"{name[:48]:<48} {us / 1e3:>9.1f} {calls[name]:>6} {us / total:>6.1%}")
    print(f"{'total (top-level spans)':<48} {total / 1e3:>9.1f}")


if __name__ == "__main__":
    main()
