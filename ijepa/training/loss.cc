#include "ijepa/training/loss.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <c10/util/Exception.h>

#include "ijepa/models/mask_ops.h"

namespace ijepa::training {

at::Tensor MakeTargets(const at::Tensor& features, const std::vector<at::Tensor>& target_masks,
                       int64_t num_context_masks, bool per_position) {
  TORCH_CHECK(features.dim() == 3, "MakeTargets: features must be [B, N, D], got ",
              features.sizes());
  TORCH_CHECK(!target_masks.empty(), "MakeTargets: at least one target mask is required");
  TORCH_CHECK(num_context_masks > 0, "MakeTargets: num_context_masks must be > 0, got ",
              num_context_masks);
  c10::NoGradGuard no_grad;
  const int64_t batch = features.size(0);
  at::Tensor h = at::layer_norm(features, {features.size(-1)});
  if (per_position) {
    TORCH_CHECK(batch >= 2, "MakeTargets: per-position target normalisation needs a batch of at "
                "least 2 images, got ", batch);
    // Statistics in float32 even under bf16 autocast.
    const at::Tensor h32 = h.to(at::kFloat);
    const at::Tensor mean = h32.mean(0, /*keepdim=*/true);
    // The 1e-4 floor on the variance (a std of 0.01 on unit-scale layer-normed features) keeps a
    // feature that barely varies at a position from being blown up to unit variance.
    const at::Tensor var = h32.var(0, /*unbiased=*/false, /*keepdim=*/true);
    h = ((h32 - mean) / (var + 1e-4).sqrt()).to(h.scalar_type());
  }
  h = models::ApplyMasks(h, target_masks);
  return models::RepeatInterleaveBatch(h, batch, num_context_masks);
}

at::Tensor PredictionLoss(const at::Tensor& predictions, const at::Tensor& targets,
                          LossKind kind) {
  TORCH_CHECK(predictions.sizes() == targets.sizes(), "PredictionLoss: predictions ",
              predictions.sizes(), " and targets ", targets.sizes(), " differ in shape");
  // Reduce in float32: under bf16 autocast the predictor output is bf16 and a bf16 mean over
  // millions of elements loses the loss's low digits.
  const at::Tensor z = predictions.to(at::kFloat);
  const at::Tensor h = targets.detach().to(at::kFloat);
  switch (kind) {
    case LossKind::kSmoothL1:
      return at::smooth_l1_loss(z, h, at::Reduction::Mean, /*beta=*/1.0);
    case LossKind::kL2:
      return at::mse_loss(z, h, at::Reduction::Mean);
  }
  TORCH_CHECK(false, "PredictionLoss: unknown loss kind");
}

}  // namespace ijepa::training
