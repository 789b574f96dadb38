"""Offline stand-ins for the repositories Bazel 4.2.3 downloads on a plain C++ build or test.

`rules_cc` and `rules_java` are loaded by Bazel's own tool BUILD files; `remote_coverage_tools` is
referenced by every test rule. Each stand-in forwards to the native rules built into Bazel 4 and is
written by a repository rule, so it works in this workspace and in any workspace that depends on it.
"""

_RULES_CC_DEFS = '''"""Native C++ rules of Bazel 4 under the names @rules_cc//cc:defs.bzl exports."""
cc_binary = native.cc_binary
cc_import = native.cc_import
cc_library = native.cc_library
cc_proto_library = native.cc_proto_library
cc_test = native.cc_test
cc_toolchain = native.cc_toolchain
cc_toolchain_suite = native.cc_toolchain_suite
fdo_prefetch_hints = native.fdo_prefetch_hints
fdo_profile = native.fdo_profile
objc_import = native.objc_import
objc_library = native.objc_library
'''

_RULES_JAVA_DEFS = '''"""Native Java rules of Bazel 4 under the names @rules_java//java:defs.bzl exports."""
java_binary = native.java_binary
java_import = native.java_import
java_library = native.java_library
java_plugin = native.java_plugin
java_runtime = native.java_runtime
java_test = native.java_test
java_toolchain = native.java_toolchain
'''

_COVERAGE_BUILD = '''package(default_visibility = ["//visibility:public"])

# Coverage reports are not produced offline; `bazel coverage` is unsupported in this workspace.
sh_binary(
    name = "coverage_report_generator",
    srcs = ["unsupported.sh"],
)

filegroup(
    name = "coverage_output_generator",
    srcs = ["unsupported.sh"],
)

filegroup(
    name = "lcov_merger",
    srcs = ["unsupported.sh"],
)
'''

def _stand_in_impl(ctx):
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)
    for path, content in ctx.attr.files.items():
        ctx.file(path, content, executable = path.endswith(".sh"))

_stand_in = repository_rule(
    implementation = _stand_in_impl,
    attrs = {"files": attr.string_dict(doc = "path -> content")},
)

def offline_stand_ins():
    """Declares rules_cc, rules_java and remote_coverage_tools unless the workspace already has them."""
    if not native.existing_rule("rules_cc"):
        _stand_in(name = "rules_cc", files = {
            "BUILD.bazel": "",
            "cc/BUILD.bazel": 'exports_files(["defs.bzl"])\n',
            "cc/defs.bzl": _RULES_CC_DEFS,
        })
    if not native.existing_rule("rules_java"):
        _stand_in(name = "rules_java", files = {
            "BUILD.bazel": "",
            "java/BUILD.bazel": 'exports_files(["defs.bzl"])\n',
            "java/defs.bzl": _RULES_JAVA_DEFS,
        })
    if not native.existing_rule("remote_coverage_tools"):
        _stand_in(name = "remote_coverage_tools", files = {
            "BUILD.bazel": _COVERAGE_BUILD,
            "unsupported.sh": "#!/bin/sh\necho 'coverage is not available in the offline build' >&2\nexit 1\n",
        })
