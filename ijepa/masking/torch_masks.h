#pragma once

// LibTorch adapter for //ijepa/masking: the only part of this package that needs LibTorch.

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "ijepa/masking/batch_masks.h"

namespace ijepa::masking {

// masks[m][b] -> one int64 [B, K] tensor per mask m on `device` (the official collator's
// `collated_masks_enc` / `collated_masks_pred`, the `masks` argument of the encoder and
// predictor). Every masks[m][b] must have the same length K (BatchMasks guarantees it); a ragged
// input fails a TORCH_CHECK naming the mask and image.
std::vector<at::Tensor> ToIndexTensors(const std::vector<std::vector<std::vector<int32_t>>>& masks,
                                       c10::Device device);

struct MaskTensors {
  std::vector<at::Tensor> context;  // num_enc_masks x int64 [B, K_context]
  std::vector<at::Tensor> targets;  // num_pred_masks x int64 [B, K_target]
};
MaskTensors ToMaskTensors(const BatchMasks& masks, c10::Device device);

}  // namespace ijepa::masking
