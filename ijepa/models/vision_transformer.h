// The I-JEPA Vision Transformer encoder (official src/models/vision_transformer.py
// VisionTransformer): conv patch embedding, fixed 2-D sin-cos position embedding, pre-norm blocks,
// final LayerNorm. No CLS token, no head. Parameter names are the official state_dict keys:
// pos_embed, patch_embed.proj.{weight,bias}, blocks.N.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,
// mlp.fc2}.{weight,bias}, norm.{weight,bias}.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ijepa/models/layers.h"
#include "ijepa/models/model_options.h"

namespace ijepa::models {

class VisionTransformerImpl : public torch::nn::Module {
 public:
  // Initialised as the official constructor (trunc-normal std init_std, sqrt(2 * layer_id)
  // rescale). Throws c10::Error naming the field when options are invalid.
  explicit VisionTransformerImpl(const VisionTransformerOptions& options);

  // images [B, C, H, W] with H, W multiples of patch_size; other resolutions than img_size use a
  // bicubically resized position embedding. masks: list of int64 [B, K] patch-index tensors
  // (official apply_masks, applied after the position embedding): returns
  // [B * masks.size(), K, D]; with no masks returns [B, N, D]. Final norm applied.
  torch::Tensor forward(const torch::Tensor& images, const std::vector<torch::Tensor>& masks = {});

  // Outputs of the last k blocks (oldest first), each passed through the final norm (as DINO's
  // get_intermediate_layers), each [B, N, D].
  std::vector<torch::Tensor> ForwardLastBlocks(const torch::Tensor& images, int64_t k);

  const VisionTransformerOptions& options() const { return options_; }
  int64_t embed_dim() const { return options_.embed_dim; }
  int64_t grid_h() const { return options_.img_size / options_.patch_size; }
  int64_t grid_w() const { return options_.img_size / options_.patch_size; }
  int64_t num_patches() const { return grid_h() * grid_w(); }

  PatchEmbed patch_embed{nullptr};
  torch::Tensor pos_embed;  // [1, N, D], registered as a parameter with requires_grad = false
  torch::nn::ModuleList blocks_list{nullptr};
  torch::nn::LayerNorm norm{nullptr};

 private:
  // Patch embedding plus (possibly resized) position embedding: [B, N', D].
  torch::Tensor Embed(const torch::Tensor& images);

  VisionTransformerOptions options_;
  std::vector<Block> blocks_;
};
TORCH_MODULE(VisionTransformer);

// What the official src/helper.py init_model does after constructing the encoder and predictor:
// every Linear weight trunc-normal(std) with zero bias and every LayerNorm reset to 1/0 (Conv2d
// and mask_token untouched). This undoes the constructors' sqrt(2 * layer_id) rescale, so
// official training runs start without it; call this on both models to reproduce them.
void ReinitializeLikeOfficialInitModel(torch::nn::Module& module, double std = 0.02);

}  // namespace ijepa::models
