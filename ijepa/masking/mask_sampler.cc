#include "ijepa/masking/mask_sampler.h"

#include "ijepa/masking/complement_samplers.h"
#include "ijepa/masking/multi_block_sampler.h"

namespace ijepa::masking {

absl::StatusOr<std::unique_ptr<MaskSampler>> CreateMaskSampler(const MaskOptions& options,
                                                               int grid_h, int grid_w) {
  if (absl::Status status = ValidateMaskOptions(options, grid_h, grid_w); !status.ok()) {
    return status;
  }
  if (options.strategy == MaskStrategy::kMultiBlock) {
    return std::unique_ptr<MaskSampler>(new MultiBlockSampler(options, grid_h, grid_w));
  }
  return std::unique_ptr<MaskSampler>(new ComplementSampler(options, grid_h, grid_w));
}

absl::StatusOr<std::unique_ptr<MaskSampler>> CreateMaskSampler(const MaskConfig& config,
                                                               int grid_h, int grid_w) {
  absl::StatusOr<MaskOptions> options = MaskOptionsFromProto(config);
  if (!options.ok()) return options.status();
  return CreateMaskSampler(*options, grid_h, grid_w);
}

}  // namespace ijepa::masking
