#include "ijepa/common/limits.h"

#include <algorithm>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"

namespace ijepa::common {

int HardwareThreads() { return std::max(1, static_cast<int>(std::thread::hardware_concurrency())); }

int MaxThreadsPerPool() { return std::max(64, 4 * HardwareThreads()); }

absl::Status CheckThreadCount(std::string_view field, int64_t value) {
  if (value <= MaxThreadsPerPool()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), " must be <= ", MaxThreadsPerPool(), " (4 x the ",
                                                 HardwareThreads(), " hardware threads of this machine, at least 64), got ",
                                                 value));
}

absl::Status CheckBatchSize(std::string_view field, int64_t value) {
  if (value <= kMaxBatchSize) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field), " must be <= ", kMaxBatchSize, " images, got ", value));
}

}  // namespace ijepa::common
