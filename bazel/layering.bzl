"""ijepa_layering_test: no package depends on a package above it (docs/STYLE: lib <- app).

The layers, bottom to top, as the code is (checked with `bazel query` on the non-test targets of
every package when this list was written; same-layer packages do not depend on each other):

  0  //ijepa/common       plain utilities; only its *torch* targets need LibTorch
  1  //ijepa/masking      mask sampling (no LibTorch, :no_libtorch_test)
     //ijepa/models       the ViT encoder and predictor
     //ijepa/distributed  process groups and the launcher (LibTorch's c10d only)
  2  //ijepa/data         data sets, transforms, loader (draws masks: needs //ijepa/masking)
  3  //ijepa/checkpoint   torch.save files, state dicts, the encoder's config (models, data)
  4  //ijepa/eval         frozen-encoder evaluation (reads checkpoints, never the trainer)
  5  //ijepa/training     the trainer and the pretrain binary (ends with eval's low-shot probe)
  6  //tools              binaries and scripts on top of everything

A package may depend on packages of lower layers only. Tests are exempt: an integration test may
run a binary of a higher layer (//ijepa/distributed:pretrain_equality_test runs pretrain).
"""

LAYERS = [
    ["//ijepa/common"],
    ["//ijepa/masking", "//ijepa/models", "//ijepa/distributed"],
    ["//ijepa/data"],
    ["//ijepa/checkpoint"],
    ["//ijepa/eval"],
    ["//ijepa/training"],
    ["//tools"],
]

def ijepa_layering_test(name, roots, size = "small"):
    """The genquery `<name>_deps` = deps(roots) and a test that none of it is in a package of this
    package's layer or above.

    Args:
      name: the test.
      roots: this package's non-test targets that no other non-test target here depends on (their
        dependency closure is every library and binary of the package; genquery takes no target
        patterns, so they are listed).
      size: test size.
    """
    package = "//" + native.package_name()
    layer = [i for i, packages in enumerate(LAYERS) if package in packages]
    if not layer:
        fail("%s is not in bazel/layering.bzl's LAYERS" % package)
    forbidden = [p for packages in LAYERS[layer[0]:] for p in packages if p != package]
    labels = [package + r if r.startswith(":") else r for r in roots]
    native.genquery(
        name = name + "_deps",
        expression = "deps(%s)" % " + ".join(labels),
        scope = labels,
    )
    native.sh_test(
        name = name,
        size = size,
        srcs = ["//bazel:layering_test.sh"],
        args = ["$(location :%s_deps)" % name, package] + forbidden,
        data = [":%s_deps" % name],
    )
