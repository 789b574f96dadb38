#pragma once

// Public entry point of //ijepa/masking: I-JEPA mask sampling without LibTorch.
//
//   MaskConfig config;  // e.g. parsed from the `mask { ... }` block of a run's .pbtxt
//   absl::StatusOr<std::unique_ptr<MaskSampler>> sampler = CreateMaskSampler(config, 14, 14);
//   if (!sampler.ok()) return sampler.status();           // names the offending field
//   BatchMasks masks = (*sampler)->Sample(/*batch_size=*/128, seed, epoch, batch_index, rank);
//
// //ijepa/masking:torch_masks turns BatchMasks into the int64 [B, K] tensors the models take.

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "ijepa/masking/batch_masks.h"
#include "ijepa/masking/mask.pb.h"
#include "ijepa/masking/mask_options.h"

namespace ijepa::masking {

// Samples the context and target masks of a batch. One implementation per MaskStrategy.
// Implementations are immutable after construction, so Sample may be called concurrently.
class MaskSampler {
 public:
  virtual ~MaskSampler() = default;
  // Deterministic: depends only on (options, grid, seed, epoch, batch_index, rank, batch_size), so
  // a resumed or re-sharded run sees the same masks for the same batch. batch_size <= 0 gives
  // masks with no images.
  virtual BatchMasks Sample(int batch_size, uint64_t seed, int64_t epoch, int64_t batch_index,
                            int rank) const = 0;
  virtual int grid_h() const = 0;
  virtual int grid_w() const = 0;
};

// Validates `config` for a grid_h x grid_w patch grid and builds the sampler of its strategy.
absl::StatusOr<std::unique_ptr<MaskSampler>> CreateMaskSampler(const MaskConfig& config,
                                                               int grid_h, int grid_w);
absl::StatusOr<std::unique_ptr<MaskSampler>> CreateMaskSampler(const MaskOptions& options,
                                                               int grid_h, int grid_w);

}  // namespace ijepa::masking
