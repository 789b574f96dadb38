#include "ijepa/eval/pooling.h"

#include <string>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ijepa::eval {

absl::StatusOr<PoolMode> ParsePoolMode(std::string_view name) {
  if (name == "mean") return PoolMode::kMean;
  if (name == "last4") return PoolMode::kLast4;
  if (name == "none") return PoolMode::kNone;
  return absl::InvalidArgumentError(
      absl::StrCat("pool: expected one of mean, last4, none; got \"", std::string(name), "\""));
}

std::string_view PoolModeName(PoolMode mode) {
  switch (mode) {
    case PoolMode::kMean:
      return "mean";
    case PoolMode::kLast4:
      return "last4";
    case PoolMode::kNone:
      return "none";
  }
  return "unknown";
}

int64_t BlocksNeeded(PoolMode mode) { return mode == PoolMode::kLast4 ? 4 : 1; }

at::Tensor PoolBlocks(const std::vector<at::Tensor>& blocks, PoolMode mode) {
  const int64_t needed = BlocksNeeded(mode);
  TORCH_CHECK(static_cast<int64_t>(blocks.size()) >= needed, "PoolBlocks(",
              std::string(PoolModeName(mode)), ") needs the last ", needed, " blocks, got ",
              blocks.size());
  for (const at::Tensor& b : blocks) {
    TORCH_CHECK(b.dim() == 3, "PoolBlocks expects block outputs [B, N, D], got ", b.sizes());
  }
  switch (mode) {
    case PoolMode::kMean:
      return blocks.back().mean(1);
    case PoolMode::kLast4: {
      std::vector<at::Tensor> pooled;
      for (size_t i = blocks.size() - 4; i < blocks.size(); ++i) pooled.push_back(blocks[i].mean(1));
      return at::cat(pooled, 1);
    }
    case PoolMode::kNone:
      return blocks.back();
  }
  TORCH_CHECK(false, "PoolBlocks: unknown pool mode");
}

}  // namespace ijepa::eval
