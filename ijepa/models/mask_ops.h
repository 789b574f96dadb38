// Token selection by patch-index masks, as the official src/masks/utils.py and
// src/utils/tensors.py.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace ijepa::models {

// Official apply_masks: x [B, N, D]; each mask an int64 [B, K] tensor of patch indices to keep.
// Returns the kept tokens of every mask stacked on the batch axis: [B * masks.size(), K, D],
// mask-major (all images of mask 0, then all images of mask 1, ...).
at::Tensor ApplyMasks(const at::Tensor& x, const std::vector<at::Tensor>& masks);

// Official repeat_interleave_batch: x holds x.size(0) / batch chunks of `batch` rows; each chunk
// is repeated `repeat` times in place: [c0, c0, c1, c1, ...] for repeat = 2.
at::Tensor RepeatInterleaveBatch(const at::Tensor& x, int64_t batch, int64_t repeat);

}  // namespace ijepa::models
