#pragma once

#include <string>

namespace ijepa {

// `bazel run` starts binaries in their runfiles tree: a relative path the user typed means the
// directory they typed it in (BUILD_WORKING_DIRECTORY). Absolute and empty paths, and every path
// when the binary is started directly, are returned unchanged.
std::string UserPath(const std::string& path);

}  // namespace ijepa
