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
      * An official LibTorch zip, or a pip torch package's torch/ folder (tools/setup.sh
        --libtorch2): include/ and lib/ below one root.

    IJEPA_WITH_CUDA=1 (--config=cuda) links the CUDA libraries (libtorch_cuda.so, libc10_cuda.so,
    libcudart from CUDA_HOME, default /usr/local/cuda) and defines IJEPA_WITH_CUDA and
    USE_C10D_NCCL for every dependent; nccl.h comes from CUDA_HOME/include or NCCL_HOME/include.
    Without it only the CPU libraries are linked (libtorch_cpu, libc10), even from a CUDA-built
    LibTorch: a pip torch's libtorch.so needs libtorch_cuda.so and with it the whole CUDA stack
    at load time, libtorch_cpu only libcudart and libcupti.

    Two targets: `:libtorch`, and `:gloo` for code that includes c10d's ProcessGroupGloo.hpp (Gloo
    headers from the system; Debian's LibTorch links the shared libgloo, a pip LibTorch carries
    Gloo inside libtorch_cpu, so linking Debian's libgloo there would give two Gloos).
    """
    root = ctx.os.environ.get("LIBTORCH_HOME", "/usr").rstrip("/") or "/"
    with_cuda = ctx.os.environ.get("IJEPA_WITH_CUDA", "0") == "1"
    if not ctx.path(root).exists:
        fail("LIBTORCH_HOME=%s does not exist; point it at a LibTorch root with include/ and lib/ " % root +
             "(tools/setup.sh --libtorch2 fetches one and prints it)")

    gloo_linkopts = []
    c10_defines = []
    c10_deps = []
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
        gloo_linkopts = ["-lgloo"]
    else:
        libdir = root + "/lib"
        if not ctx.path(libdir + "/libtorch_cpu.so").exists:
            fail("LIBTORCH_HOME=%s has no lib/libtorch_cpu.so; expected an official LibTorch layout" % root)

        # One symlink per entry of include/, except google/: a pip torch ships the headers of the
        # protobuf it bundles there, and they must not shadow the system protobuf our configs use.
        for entry in ctx.path(root + "/include").readdir():
            if entry.basename != "google":
                ctx.symlink(entry, "include/" + entry.basename)
        hdrs = ["include/**"]
        includes = ["include", "include/torch/csrc/api/include"]

        # Debian's LibTorch is built with glog, so c10's LOG/CHECK are glog's and glog/logging.h
        # lives beside LibTorch headers in one file. A pip torch is built without: c10 then
        # defines its own LOG/CHECK, and because LibTorch headers are system headers the
        # redefinition is silent and the include order decides whose macros a file gets.
        # C10_USE_GLOG makes c10 take glog's macros again, as with Debian's build (c10's
        # MessageLogger, the only logging symbol its headers call, is the same in both modes).
        macros = ""
        for header in ["/include/torch/headeronly/macros/cmake_macros.h", "/include/c10/macros/cmake_macros.h"]:
            if ctx.path(root + header).exists:
                macros += ctx.read(root + header)
        if "#define C10_USE_GLOG" not in macros:
            c10_defines.append("C10_USE_GLOG")
            c10_deps.append("@com_github_google_glog//:glog")

    libs = ["torch_cpu", "c10"] if root != "/usr" else ["torch", "torch_cpu", "c10"]
    extra_libdirs = []
    defines = list(c10_defines)
    if with_cuda:
        if not ctx.path(libdir + "/libtorch_cuda.so").exists:
            fail("--config=cuda needs a CUDA LibTorch, but LIBTORCH_HOME=%s has no lib/libtorch_cuda.so" % root)
        libs = ["torch", "torch_cpu", "torch_cuda", "c10", "c10_cuda", "cudart"]
        defines += ["IJEPA_WITH_CUDA=1", "USE_C10D_NCCL"]

        # LibTorch's CUDA headers include the CUDA toolkit's (cuda_runtime_api.h) and, for c10d's
        # ProcessGroupNCCL, NCCL's nccl.h; neither ships inside a LibTorch distribution.
        cuda_home = ctx.os.environ.get("CUDA_HOME", "/usr/local/cuda").rstrip("/")
        if not ctx.path(cuda_home + "/include/cuda_runtime_api.h").exists:
            fail("LibTorch at %s is built with CUDA but CUDA_HOME=%s has no include/cuda_runtime_api.h" %
                 (root, cuda_home))
        ctx.symlink(cuda_home + "/include", "cuda_include")
        hdrs.append("cuda_include/**")
        includes.append("cuda_include")
        extra_libdirs.append(cuda_home + "/lib64")
        nccl_home = ctx.os.environ.get("NCCL_HOME", "")
        if nccl_home:
            if not ctx.path(nccl_home + "/include/nccl.h").exists:
                fail("NCCL_HOME=%s has no include/nccl.h" % nccl_home)
            ctx.symlink(nccl_home + "/include", "nccl_include")
            hdrs.append("nccl_include/**")
            includes.append("nccl_include")
            extra_libdirs.append(nccl_home + "/lib")
        elif not ctx.path(cuda_home + "/include/nccl.h").exists:
            fail("--config=cuda needs nccl.h: CUDA_HOME=%s has no include/nccl.h; set NCCL_HOME" % cuda_home)

    # --no-as-needed: LibTorch registers its kernels from static initialisers of libraries that no
    # symbol of ours references directly; dropping them gives "no kernel registered" errors.
    # push/pop-state so the setting does not leak onto the libraries linked after these.
    linkopts = []
    for directory in [libdir] + extra_libdirs:
        linkopts += ["-L" + directory, "-Wl,-rpath," + directory]
    linkopts = linkopts + ["-Wl,--push-state,--no-as-needed"] + \
               ["-l" + lib for lib in libs] + ["-Wl,--pop-state", "-lpthread"]
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)
    ctx.file("BUILD.bazel", """# Generated by @ijepa_cc//third_party:system_libraries.bzl from LIBTORCH_HOME={root}, IJEPA_WITH_CUDA={with_cuda}

cc_library(
    name = "libtorch",
    hdrs = glob({hdrs}),
    defines = {defines},
    includes = {includes},
    linkopts = {linkopts},
    visibility = ["//visibility:public"],
    deps = {deps},
)

# Gloo for c10d's ProcessGroupGloo: headers from the system, the library wherever LibTorch has it.
cc_library(
    name = "gloo",
    linkopts = {gloo_linkopts},
    visibility = ["//visibility:public"],
    deps = [":libtorch"],
)
""".format(
        root = root,
        with_cuda = "1" if with_cuda else "0",
        hdrs = repr(hdrs),
        defines = repr(defines),
        includes = repr(includes),
        linkopts = repr(linkopts),
        gloo_linkopts = repr(gloo_linkopts),
        deps = repr(c10_deps),
    ))

libtorch_repository = repository_rule(
    implementation = _libtorch_impl,
    environ = ["LIBTORCH_HOME", "IJEPA_WITH_CUDA", "CUDA_HOME", "NCCL_HOME"],
    local = True,
)
