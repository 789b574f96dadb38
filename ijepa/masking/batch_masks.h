#pragma once

#include <cstdint>
#include <vector>

namespace ijepa::masking {

// The masks of one batch, as patch indices into the row-major patch grid
// (index = row * grid_w + col). This is the form the encoder and the predictor consume: inside a
// batch every image has the same number of indices for a given mask, so each mask stacks into an
// int64 [batch, K] tensor (see //ijepa/masking:torch_masks).
struct BatchMasks {
  // context[m][b]: sorted patch indices of context mask m for image b; same length for every b.
  std::vector<std::vector<std::vector<int32_t>>> context;  // [num_enc_masks][batch][k_context]
  // targets[m][b]: sorted patch indices of target mask m for image b; same length for every b.
  std::vector<std::vector<std::vector<int32_t>>> targets;  // [num_pred_masks][batch][k_target]
};

}  // namespace ijepa::masking
