// The I-JEPA predictor (official VisionTransformerPredictor): a narrow ViT that reads the context
// encoder's features plus mask tokens at the target positions and predicts the target features.
// Parameter names are the official state_dict keys: mask_token, predictor_pos_embed,
// predictor_embed.{weight,bias}, predictor_blocks.N...., predictor_norm, predictor_proj.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <vector>

#include "ijepa/models/layers.h"
#include "ijepa/models/model_options.h"

namespace ijepa::models {

class VisionTransformerPredictorImpl : public torch::nn::Module {
 public:
  // Initialised as the official constructor (mask token and weights trunc-normal std init_std,
  // sqrt(2 * layer_id) rescale). Throws c10::Error naming the field when options are invalid.
  explicit VisionTransformerPredictorImpl(const PredictorOptions& options);

  // context_features [B * context_masks.size(), Kc, D] from the encoder; each context mask int64
  // [B, Kc], each target mask int64 [B, Kt]. Returns predictions
  // [B * context_masks.size() * target_masks.size(), Kt, D], target-major, exactly as the
  // official forward (including repeat_interleave_batch).
  torch::Tensor forward(const torch::Tensor& context_features,
                        const std::vector<torch::Tensor>& context_masks,
                        const std::vector<torch::Tensor>& target_masks);

  const PredictorOptions& options() const { return options_; }

  torch::nn::Linear predictor_embed{nullptr};
  torch::Tensor mask_token;           // [1, 1, predictor_embed_dim], trainable
  torch::Tensor predictor_pos_embed;  // [1, N, predictor_embed_dim], requires_grad = false
  torch::nn::ModuleList predictor_blocks{nullptr};
  torch::nn::LayerNorm predictor_norm{nullptr};
  torch::nn::Linear predictor_proj{nullptr};

 private:
  PredictorOptions options_;
  std::vector<Block> blocks_;
};
TORCH_MODULE(VisionTransformerPredictor);

}  // namespace ijepa::models
