#include "ijepa/common/user_path.h"

#include <cstdlib>
#include <filesystem>

namespace ijepa {

std::string UserPath(const std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
  const char* cwd = std::getenv("BUILD_WORKING_DIRECTORY");
  if (cwd == nullptr || *cwd == '\0') return path;
  return (std::filesystem::path(cwd) / path).string();
}

}  // namespace ijepa
