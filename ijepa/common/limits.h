// Upper bounds for values a user gives (config fields, flags) that size threads or memory: a typo
// such as threads=100000 must be a clear error, not a machine that stalls or an abort.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"

namespace ijepa::common {

// Hardware threads of this machine (at least 1).
int HardwareThreads();

// Most threads one process may ask for, per pool (LibTorch intra-op threads, loader workers):
// 4 x the hardware threads, and at least 64 (configs written on a big machine still run on a
// small one, where the extra threads only share cores).
int MaxThreadsPerPool();

// Images per batch per process, for configs and the mask tools (the official runs use 128).
inline constexpr int64_t kMaxBatchSize = 65536;

// InvalidArgument "FIELD must be <= N (4 x the H hardware threads of this machine, at least 64),
// got V" when value > MaxThreadsPerPool(); OK otherwise (lower bounds are the caller's).
absl::Status CheckThreadCount(std::string_view field, int64_t value);

// InvalidArgument "FIELD must be <= 65536 images, got V" when value > kMaxBatchSize.
absl::Status CheckBatchSize(std::string_view field, int64_t value);

}  // namespace ijepa::common
