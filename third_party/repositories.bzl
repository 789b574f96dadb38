"""All external repositories of ijepa-cc, declared under their canonical names.

Used by this workspace and by any workspace that depends on it:

    local_repository(name = "ijepa_cc", path = "/path/to/ijepa-cc")
    load("@ijepa_cc//third_party:repositories.bzl", "ijepa_cc_dependencies")
    ijepa_cc_dependencies()

A repository the calling workspace already declared (say a pinned `http_archive` of Abseil) is
left alone, so swapping one dependency means declaring it before this call.
"""

load(":absl_targets.bzl", "ABSL_TARGETS")
load(":offline_stand_ins.bzl", "offline_stand_ins")
load(":system_libraries.bzl", "libtorch_repository", "system_library")

# Libraries found on the system (Debian packages); each BUILD file is in this folder.
_SYSTEM_REPOSITORIES = {
    "com_google_protobuf": "protobuf.BUILD",
    "com_github_google_glog": "glog.BUILD",
    "com_google_googletest": "googletest.BUILD",
    "com_github_google_benchmark": "benchmark.BUILD",
    "com_github_nlohmann_json": "nlohmann_json.BUILD",
    "isal": "isal.BUILD",
    "libjpeg_turbo": "libjpeg_turbo.BUILD",
    "libpng": "libpng.BUILD",
    "zlib": "zlib.BUILD",
}

def ijepa_cc_dependencies():
    offline_stand_ins()

    # Debian's bazel-platforms and bazel-skylib packages.
    if not native.existing_rule("platforms"):
        native.local_repository(name = "platforms", path = "/usr/share/bazel/tools/platforms")
    if not native.existing_rule("bazel_skylib"):
        native.local_repository(name = "bazel_skylib", path = "/usr/share/bazel/tools/skylib")

    # Debian's libtorch-dev by default; LIBTORCH_HOME selects another LibTorch (e.g. CUDA).
    if not native.existing_rule("libtorch"):
        libtorch_repository(name = "libtorch")

    if not native.existing_rule("com_google_absl"):
        system_library(name = "com_google_absl", targets = ABSL_TARGETS)

    for name, build_file in _SYSTEM_REPOSITORIES.items():
        if not native.existing_rule(name):
            native.new_local_repository(
                name = name,
                build_file = str(Label("//third_party:" + build_file)),
                path = "/usr",
            )
