#include "ijepa/models/predictor.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <string>

#include "ijepa/models/mask_ops.h"

namespace ijepa::models {

VisionTransformerPredictorImpl::VisionTransformerPredictorImpl(const PredictorOptions& options)
    : options_(options) {
  const absl::Status status = ValidatePredictorOptions(options);
  TORCH_CHECK(status.ok(), "PredictorOptions: ", std::string(status.message()));
  const int64_t d = options.predictor_embed_dim;
  // Official registration order: predictor_embed, mask_token, predictor_pos_embed, blocks, norm,
  // proj; Python's state_dict lists a module's own parameters before its children's.
  predictor_embed = register_module("predictor_embed", torch::nn::Linear(options.embed_dim, d));
  mask_token = register_parameter("mask_token", at::zeros({1, 1, d}));
  predictor_pos_embed = register_parameter(
      "predictor_pos_embed", SinCosPositionEmbedding(d, options.grid_h, options.grid_w),
      /*requires_grad=*/false);
  predictor_blocks = register_module("predictor_blocks", torch::nn::ModuleList());
  blocks_ = MakeBlocks(predictor_blocks, options.depth, d, options.num_heads, options.mlp_ratio,
                       options.qkv_bias, /*drop=*/0.0, /*attn_drop=*/0.0, options.drop_path_rate);
  predictor_norm = register_module(
      "predictor_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(kLayerNormEps)));
  predictor_proj = register_module("predictor_proj", torch::nn::Linear(d, options.embed_dim));
  TruncNormal_(mask_token, options.init_std);
  InitWeightsLikeOfficial(*this, blocks_, options.init_std);
}

torch::Tensor VisionTransformerPredictorImpl::forward(
    const torch::Tensor& context_features, const std::vector<torch::Tensor>& context_masks,
    const std::vector<torch::Tensor>& target_masks) {
  TORCH_CHECK(!context_masks.empty() && !target_masks.empty(),
              "VisionTransformerPredictor: needs at least one context mask and one target mask");
  TORCH_CHECK(context_features.dim() == 3 && context_features.size(2) == options_.embed_dim,
              "VisionTransformerPredictor: context_features must be [B * num_context_masks, Kc, ",
              options_.embed_dim, "], got ", context_features.sizes());
  const int64_t num_context = static_cast<int64_t>(context_masks.size());
  const int64_t num_targets = static_cast<int64_t>(target_masks.size());
  TORCH_CHECK(context_features.size(0) % num_context == 0, "VisionTransformerPredictor: ",
              context_features.size(0), " context feature rows are not a multiple of ",
              num_context, " context masks");
  const int64_t batch = context_features.size(0) / num_context;
  for (const torch::Tensor& m : context_masks) {
    TORCH_CHECK(m.dim() == 2 && m.size(1) == context_features.size(1),
                "VisionTransformerPredictor: each context mask must be [", batch, ", ",
                context_features.size(1), "], got ", m.sizes());
  }

  torch::Tensor x = ApplyLinear(predictor_embed, context_features);
  const torch::Tensor pos = predictor_pos_embed.expand({batch, -1, -1});
  x = x + ApplyMasks(pos, context_masks);
  const int64_t num_context_tokens = x.size(1);

  // Mask tokens at the target positions, one copy per context mask: [targets][contexts][batch].
  const torch::Tensor target_pos =
      RepeatInterleaveBatch(ApplyMasks(pos, target_masks), batch, num_context);
  const torch::Tensor pred_tokens = mask_token + target_pos;
  x = at::cat({x.repeat({num_targets, 1, 1}), pred_tokens}, 1);

  for (Block& block : blocks_) x = block->forward(x);
  x = predictor_norm->forward(x);
  return ApplyLinear(predictor_proj, x.slice(1, num_context_tokens));
}

}  // namespace ijepa::models
