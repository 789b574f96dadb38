#include "ijepa/models/vision_transformer.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <string>

#include "ijepa/models/mask_ops.h"

namespace ijepa::models {

VisionTransformerImpl::VisionTransformerImpl(const VisionTransformerOptions& options)
    : options_(options) {
  const absl::Status status = ValidateVisionTransformerOptions(options);
  TORCH_CHECK(status.ok(), "VisionTransformerOptions: ", std::string(status.message()));
  // Registration order gives the official state_dict order: own parameters (pos_embed) first.
  pos_embed = register_parameter(
      "pos_embed", SinCosPositionEmbedding(options.embed_dim, grid_h(), grid_w()),
      /*requires_grad=*/false);
  patch_embed = register_module(
      "patch_embed", PatchEmbed(options.patch_size, options.in_chans, options.embed_dim));
  blocks_list = register_module("blocks", torch::nn::ModuleList());
  blocks_ = MakeBlocks(blocks_list, options.depth, options.embed_dim, options.num_heads,
                       options.mlp_ratio, options.qkv_bias, options.drop_rate,
                       options.attn_drop_rate, options.drop_path_rate);
  norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions(
                                                          {options.embed_dim})
                                                          .eps(kLayerNormEps)));
  InitWeightsLikeOfficial(*this, blocks_, options.init_std);
}

torch::Tensor VisionTransformerImpl::Embed(const torch::Tensor& images) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == options_.in_chans,
              "VisionTransformer: images must be [B, ", options_.in_chans, ", H, W], got ",
              images.sizes());
  const int64_t p = options_.patch_size;
  TORCH_CHECK(images.size(2) % p == 0 && images.size(3) % p == 0,
              "VisionTransformer: image size ", images.size(2), "x", images.size(3),
              " is not a multiple of patch_size ", p);
  const torch::Tensor x = patch_embed->forward(images);
  return x + InterpolatePositionEmbedding(pos_embed, grid_h(), grid_w(), images.size(2) / p,
                                          images.size(3) / p);
}

torch::Tensor VisionTransformerImpl::forward(const torch::Tensor& images,
                                             const std::vector<torch::Tensor>& masks) {
  torch::Tensor x = Embed(images);
  if (!masks.empty()) x = ApplyMasks(x, masks);
  for (Block& block : blocks_) x = block->forward(x);
  return norm->forward(x);
}

std::vector<torch::Tensor> VisionTransformerImpl::ForwardLastBlocks(const torch::Tensor& images,
                                                                    int64_t k) {
  const int64_t depth = static_cast<int64_t>(blocks_.size());
  TORCH_CHECK(k >= 1 && k <= depth, "ForwardLastBlocks: k must be in [1, ", depth, "], got ", k);
  torch::Tensor x = Embed(images);
  std::vector<torch::Tensor> outputs;
  outputs.reserve(k);
  for (int64_t i = 0; i < depth; ++i) {
    x = blocks_[i]->forward(x);
    if (i >= depth - k) outputs.push_back(norm->forward(x));
  }
  return outputs;
}

}  // namespace ijepa::models
