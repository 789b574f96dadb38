#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace ijepa::training {

enum class LossKind {
  kSmoothL1,  // F.smooth_l1_loss(z, h), beta 1, mean: the official code
  kL2,        // mean squared error: the paper's L2
};

// The official forward_target after the encoder: layer_norm over the feature dim (no affine
// parameters) of the target encoder's full-image output `features` [B, N, D], gathered at each
// target mask (int64 [B, Kt] patch indices) and repeated once per context mask, giving
// [B * num_context_masks * target_masks.size(), Kt, D] in the predictor's output order. Computed
// without autograd.
// With `per_position`, after the layer_norm each feature of each patch position is standardised
// over the batch ((h - mean over images) / sqrt(variance over images + 1e-4)), before the gather
// (meta.target_norm LAYER_NORM_PER_POSITION; needs at least 2 images).
at::Tensor MakeTargets(const at::Tensor& features, const std::vector<at::Tensor>& target_masks,
                       int64_t num_context_masks, bool per_position = false);

// Mean regression loss between predictor outputs and targets of the same shape. The targets do
// not receive gradients. Returns a 0-dim tensor in float32 whatever the inputs' dtype.
at::Tensor PredictionLoss(const at::Tensor& predictions, const at::Tensor& targets, LossKind kind);

}  // namespace ijepa::training
