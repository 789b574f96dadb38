"""Repository rules that expose libraries installed on the system (Debian packages).

Each rule creates a repository under the canonical name the upstream project uses
(`com_google_absl`, `libtorch`, ...), so a user can swap one for a pinned `http_archive` by
editing only WORKSPACE.
"""

def _system_library_impl(ctx):
    """Writes one BUILD file per package from `targets` = {"pkg:name": "linkopts deps"}."""
    packages = {}
    for label, spec in ctx.attr.targets.items():
        package, name = label.split(":")
        linkopts, _, deps = spec.partition("|")
        rule = """cc_library(
    name = "{name}",
    linkopts = {linkopts},
    deps = {deps},
    visibility = ["//visibility:public"],
)
""".format(
            name = name,
            linkopts = repr([o for o in linkopts.split(" ") if o]),
            deps = repr([d for d in deps.split(" ") if d]),
        )
        packages.setdefault(package, []).append(rule)
    for package, rules in packages.items():
        path = package + "/BUILD.bazel" if package else "BUILD.bazel"
        ctx.file(path, "# Generated: headers come from the system include path.\n\n" + "\n".join(rules))
    if "" not in packages:
        ctx.file("BUILD.bazel", "")
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)

system_library = repository_rule(
    implementation = _system_library_impl,
    attrs = {
        "targets": attr.string_dict(
            doc = "'package:target' -> 'linkopt linkopt ...|dep dep ...' (headers are system headers).",
        ),
    },
    local = True,
)

def _libtorch_impl(ctx):
    """Exposes LibTorch from LIBTORCH_HOME (default: the Debian install under /usr).

    Two layouts are understood:
      * Debian's libtorch-dev: headers in /usr/include, libraries in /usr/lib/<multiarch>.
      * An official LibTorch zip, or a pip torch package's torch/ folder: include/ and lib/ below
        one root.
    CUDA libraries (libtorch_cuda.so, libc10_cuda.so) are linked when present; then CUDA_HOME
    (default /usr/local/cuda) supplies the CUDA runtime headers and libcudart, and NCCL_HOME (if
    set; a pip torch's nvidia/nccl folder or a system NCCL) nccl.h for c10d's ProcessGroupNCCL.
    """
    root = ctx.os.environ.get("LIBTORCH_HOME", "/usr").rstrip("/") or "/"
    if not ctx.path(root).exists:
        fail("LIBTORCH_HOME=%s does not exist; point it at a LibTorch root with include/ and lib/" % root)

    if root == "/usr":
        libdir = None
        for candidate in ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"]:
            if ctx.path(candidate + "/libtorch.so").exists:
                libdir = candidate
                break
        if libdir == None:
            fail("LibTorch not found under /usr: install Debian's libtorch-dev (tools/setup.sh does) " +
                 "or set LIBTORCH_HOME to a LibTorch distribution")

        # /usr/include is already a system include directory; only the C++ frontend's folder
        # (torch/torch.h, torch/nn/...) has to be added, and `includes` is how it propagates.
        ctx.symlink("/usr/include/torch/csrc/api/include", "api_include")
        hdrs = ["api_include/**"]
        includes = ["api_include"]
    else:
        libdir = root + "/lib"
        if not ctx.path(libdir + "/libtorch.so").exists:
            fail("LIBTORCH_HOME=%s has no lib/libtorch.so; expected an official LibTorch layout" % root)
        ctx.symlink(root + "/include", "include")
        hdrs = ["include/**"]
        includes = ["include", "include/torch/csrc/api/include"]

    libs = ["torch", "torch_cpu", "c10"]
    extra_libdirs = []
    if ctx.path(libdir + "/libtorch_cuda.so").exists:
        libs += ["torch_cuda", "c10_cuda"]

        # LibTorch's CUDA headers include the CUDA toolkit's (cuda_runtime_api.h) and, for c10d's
        # ProcessGroupNCCL, NCCL's nccl.h; neither ships inside a LibTorch distribution.
        cuda_home = ctx.os.environ.get("CUDA_HOME", "/usr/local/cuda").rstrip("/")
        if not ctx.path(cuda_home + "/include/cuda_runtime_api.h").exists:
            fail("LibTorch at %s is built with CUDA but CUDA_HOME=%s has no include/cuda_runtime_api.h" %
                 (root, cuda_home))
        ctx.symlink(cuda_home + "/include", "cuda_include")
        hdrs.append("cuda_include/**")
        includes.append("cuda_include")
        libs.append("cudart")
        extra_libdirs.append(cuda_home + "/lib64")
        nccl_home = ctx.os.environ.get("NCCL_HOME", "")
        if nccl_home:
            if not ctx.path(nccl_home + "/include/nccl.h").exists:
                fail("NCCL_HOME=%s has no include/nccl.h" % nccl_home)
            ctx.symlink(nccl_home + "/include", "nccl_include")
            hdrs.append("nccl_include/**")
            includes.append("nccl_include")
            extra_libdirs.append(nccl_home + "/lib")

    # --no-as-needed: LibTorch registers its kernels from static initialisers of libraries that no
    # symbol of ours references directly; dropping them gives "no kernel registered" errors.
    # push/pop-state so the setting does not leak onto the libraries linked after these.
    linkopts = []
    for directory in [libdir] + extra_libdirs:
        linkopts += ["-L" + directory, "-Wl,-rpath," + directory]
    linkopts = linkopts + ["-Wl,--push-state,--no-as-needed"] + \
               ["-l" + lib for lib in libs] + ["-Wl,--pop-state", "-lpthread"]
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)
    ctx.file("BUILD.bazel", """# Generated by @ijepa_cc//third_party:system_libraries.bzl from LIBTORCH_HOME={root}

cc_library(
    name = "libtorch",
    hdrs = glob({hdrs}),
    includes = {includes},
    linkopts = {linkopts},
    visibility = ["//visibility:public"],
)
""".format(root = root, hdrs = repr(hdrs), includes = repr(includes), linkopts = repr(linkopts)))

libtorch_repository = repository_rule(
    implementation = _libtorch_impl,
    environ = ["LIBTORCH_HOME", "CUDA_HOME", "NCCL_HOME"],
    local = True,
)
