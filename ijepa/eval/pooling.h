#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <ATen/core/Tensor.h>

#include "absl/status/statusor.h"

namespace ijepa::eval {

// How per-patch encoder outputs become one feature vector per image.
enum class PoolMode {
  kMean,   // mean over patches of the last block: [B, D]
  kLast4,  // mean over patches of each of the last 4 blocks, concatenated: [B, 4D]
  kNone,   // per-patch last block, for the attentive probe / export: [B, N, D]
};

// "mean" | "last4" | "none".
absl::StatusOr<PoolMode> ParsePoolMode(std::string_view name);
std::string_view PoolModeName(PoolMode mode);

// Number of trailing blocks the mode reads (ForwardLastBlocks' k).
int64_t BlocksNeeded(PoolMode mode);

// `blocks`: outputs of the last BlocksNeeded(mode) blocks in depth order (deepest last), each
// [B, N, D] and already passed through the encoder's final norm.
at::Tensor PoolBlocks(const std::vector<at::Tensor>& blocks, PoolMode mode);

}  // namespace ijepa::eval
