"""ijepa_fuzz_test: one fuzz target, two ways to run it.

  * `<name>` (cc_test): replays the corpus through the target with the regular compiler, so every
    input in the corpus (and every crash ever found, once added) is a regression test in
    `bazel test //...`.
  * `<name>_libfuzzer` (cc_binary, manual): the real libFuzzer binary with AddressSanitizer; build
    it with clang: `bazel build --config=fuzz //pkg:<name>_libfuzzer`, then run it on a copy of
    the corpus folder. It runs each input under a time budget of 5 s (`//bazel:fuzz_time_budget`;
    `-timeout=N` on its command line overrides it), so inputs that hang are found as timeouts.
"""

def ijepa_fuzz_test(name, srcs, deps = [], corpus = [], size = "small", **kwargs):
    native.cc_test(
        name = name,
        srcs = srcs,
        deps = deps + ["//bazel:fuzz_replay_main"],
        args = ["$(location %s)" % f for f in corpus],
        data = corpus,
        size = size,
        **kwargs
    )
    native.cc_binary(
        name = name + "_libfuzzer",
        srcs = srcs,
        deps = deps + ["//bazel:fuzz_time_budget"],
        copts = ["-fsanitize=fuzzer,address"],
        linkopts = ["-fsanitize=fuzzer,address"],
        tags = ["manual", "fuzz"],
        testonly = 1,
    )
