#include "ijepa/models/layers.h"

#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <c10/util/Exception.h>
#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/dropout.h>

#include <atomic>
#include <cmath>
#include <vector>

#include "ijepa/common/torch_compat.h"
#include "ijepa/models/attention.h"

namespace ijepa::models {

torch::Tensor DropPath(const torch::Tensor& x, double drop_prob, bool training) {
  if (drop_prob == 0.0 || !training) return x;
  const double keep_prob = 1.0 - drop_prob;
  std::vector<int64_t> shape(x.dim(), 1);
  shape[0] = x.size(0);
  torch::Tensor random_tensor = at::rand(shape, x.options()) + keep_prob;
  random_tensor.floor_();
  return x.div(keep_prob) * random_tensor;
}

namespace {
std::atomic<CpuLinear> cpu_linear{CpuLinear::kBlas};

bool TakesOneDnnPath(const torch::Tensor& x, const torch::Tensor& weight) {
  return cpu_linear.load(std::memory_order_relaxed) == CpuLinear::kOneDnn && x.is_cpu() &&
         x.scalar_type() == at::kFloat && weight.scalar_type() == at::kFloat &&
         !compat::IsAutocastEnabled(c10::DeviceType::CPU) && x.dim() >= 2 && x.numel() > 0;
}
}  // namespace

bool SetCpuLinear(CpuLinear backend) {
  if (backend == CpuLinear::kOneDnn && !at::hasMKLDNN()) return false;
  cpu_linear.store(backend);
  return true;
}

CpuLinear GetCpuLinear() { return cpu_linear.load(); }

torch::Tensor ApplyLinear(const torch::nn::Linear& layer, const torch::Tensor& x) {
  if (!TakesOneDnnPath(x, layer->weight)) return at::linear(x, layer->weight, layer->bias);
  // mkldnn_linear takes a 2-D input in oneDNN's layout and a dense weight; autograd runs its
  // backward (mkldnn_linear_backward) through oneDNN too, and the layout conversions' backward
  // hands dense gradients back. The conversions copy the activations (cheap next to the product).
  std::vector<int64_t> out_shape = x.sizes().vec();
  out_shape.back() = layer->weight.size(0);
  const at::Tensor rows = x.reshape({-1, x.size(-1)}).contiguous();
  return at::mkldnn_linear(rows.to_mkldnn(), layer->weight, layer->bias).to_dense().view(out_shape);
}

AttentionImpl::AttentionImpl(int64_t dim, int64_t num_heads, bool qkv_bias, double attn_drop,
                             double proj_drop)
    : num_heads_(num_heads), attn_drop_(attn_drop), proj_drop_(proj_drop) {
  TORCH_CHECK(num_heads > 0 && dim % num_heads == 0, "Attention: dim (", dim,
              ") must be a positive multiple of num_heads (", num_heads, ")");
  qkv = register_module(
      "qkv", torch::nn::Linear(torch::nn::LinearOptions(dim, 3 * dim).bias(qkv_bias)));
  proj = register_module("proj", torch::nn::Linear(dim, dim));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x) {
  const int64_t b = x.size(0), n = x.size(1), c = x.size(2);
  // The official reshape(B, N, 3, heads, head_dim).permute(2, 0, 3, 1, 4) and qkv[0..2], as views
  // of the same values laid out so that their backward is one pass: unbind(2) (the backward of
  // three selects zero-fills a qkv-sized tensor for each and adds them) stacks the three
  // gradients straight into qkv's [B, N, 3, heads, head_dim] layout (after the official permute
  // the stacked gradient needs another full copy to get back there). Measured in
  // docs/performance.md: this and ApplyLinear took the profiled ViT-Tiny/16 training step on 2
  // cores from 6.1 s to 4.7-4.9 s.
  const std::vector<torch::Tensor> q_k_v =
      ApplyLinear(qkv, x).view({b, n, 3, num_heads_, c / num_heads_}).unbind(2);
  const torch::Tensor q = q_k_v[0].transpose(1, 2), k = q_k_v[1].transpose(1, 2),
                      v = q_k_v[2].transpose(1, 2);  // [B, heads, N, head_dim]
  torch::Tensor out = ScaledDotProductAttention(q, k, v, attn_drop_, is_training());
  out = ApplyLinear(proj, out.transpose(1, 2).reshape({b, n, c}));
  return torch::nn::functional::dropout(
      out, torch::nn::functional::DropoutFuncOptions().p(proj_drop_).training(is_training()));
}

MlpImpl::MlpImpl(int64_t in_features, int64_t hidden_features, double drop) : drop_(drop) {
  fc1 = register_module("fc1", torch::nn::Linear(in_features, hidden_features));
  fc2 = register_module("fc2", torch::nn::Linear(hidden_features, in_features));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
  const auto dropout =
      torch::nn::functional::DropoutFuncOptions().p(drop_).training(is_training());
  torch::Tensor h = torch::nn::functional::dropout(at::gelu(ApplyLinear(fc1, x)), dropout);
  return torch::nn::functional::dropout(ApplyLinear(fc2, h), dropout);
}

BlockImpl::BlockImpl(int64_t dim, int64_t num_heads, double mlp_ratio, bool qkv_bias, double drop,
                     double attn_drop, double drop_path)
    : drop_path_(drop_path) {
  norm1 = register_module(
      "norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(kLayerNormEps)));
  attn = register_module("attn", Attention(dim, num_heads, qkv_bias, attn_drop, drop));
  norm2 = register_module(
      "norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(kLayerNormEps)));
  mlp = register_module("mlp",
                        Mlp(dim, static_cast<int64_t>(static_cast<double>(dim) * mlp_ratio), drop));
}

torch::Tensor BlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = x + DropPath(attn->forward(norm1->forward(x)), drop_path_, is_training());
  return y + DropPath(mlp->forward(norm2->forward(y)), drop_path_, is_training());
}

PatchEmbedImpl::PatchEmbedImpl(int64_t patch_size, int64_t in_chans, int64_t embed_dim) {
  proj = register_module("proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(in_chans, embed_dim,
                                                                            patch_size)
                                                       .stride(patch_size)));
}

torch::Tensor PatchEmbedImpl::forward(const torch::Tensor& x) {
  return proj->forward(x).flatten(2).transpose(1, 2);
}

std::vector<Block> MakeBlocks(torch::nn::ModuleList& list, int64_t depth, int64_t dim,
                              int64_t num_heads, double mlp_ratio, bool qkv_bias, double drop,
                              double attn_drop, double drop_path_rate) {
  // The official rule computes the rates in float32 (torch.linspace) and reads them back.
  const torch::Tensor rates =
      at::linspace(0.0, drop_path_rate, depth, at::TensorOptions().dtype(at::kFloat));
  std::vector<Block> blocks;
  blocks.reserve(depth);
  for (int64_t i = 0; i < depth; ++i) {
    blocks.emplace_back(dim, num_heads, mlp_ratio, qkv_bias, drop, attn_drop,
                        rates[i].item<double>());
    list->push_back(blocks.back());
  }
  return blocks;
}

torch::Tensor SinCosPositionEmbedding(int64_t embed_dim, int64_t grid_h, int64_t grid_w) {
  TORCH_CHECK(embed_dim % 4 == 0, "SinCosPositionEmbedding: embed_dim must be a multiple of 4, got ",
              embed_dim);
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  // omega_i = 1 / 10000^(i / (D/4)) for the D/4 frequencies of each 1-D half.
  const int64_t quarter = embed_dim / 4;
  const torch::Tensor omega =
      1.0 / at::pow(10000.0, at::arange(quarter, f64) / static_cast<double>(quarter));
  const torch::Tensor rows = at::arange(grid_h, f64).repeat_interleave(grid_w);  // row of patch
  const torch::Tensor cols = at::arange(grid_w, f64).repeat({grid_h});           // column of patch
  auto embed_1d = [&](const torch::Tensor& pos) {
    const torch::Tensor out = at::outer(pos, omega);
    return at::cat({at::sin(out), at::cos(out)}, 1);
  };
  return at::cat({embed_1d(cols), embed_1d(rows)}, 1).to(at::kFloat).unsqueeze(0);
}

torch::Tensor InterpolatePositionEmbedding(const torch::Tensor& pos_embed, int64_t src_h,
                                           int64_t src_w, int64_t dst_h, int64_t dst_w) {
  TORCH_CHECK(pos_embed.dim() == 3 && pos_embed.size(0) == 1 &&
                  pos_embed.size(1) == src_h * src_w,
              "InterpolatePositionEmbedding: expected [1, ", src_h * src_w, ", D], got ",
              pos_embed.sizes());
  if (src_h == dst_h && src_w == dst_w) return pos_embed;
  const int64_t dim = pos_embed.size(2);
  const torch::Tensor grid = pos_embed.reshape({1, src_h, src_w, dim}).permute({0, 3, 1, 2});
  const torch::Tensor resized = at::upsample_bicubic2d(grid, {dst_h, dst_w}, /*align_corners=*/false);
  return resized.permute({0, 2, 3, 1}).reshape({1, dst_h * dst_w, dim});
}

void TruncNormal_(torch::Tensor tensor, double std) {
  at::NoGradGuard no_grad;
  constexpr double kMean = 0.0, kLow = -2.0, kHigh = 2.0;
  auto norm_cdf = [](double x) { return (1.0 + std::erf(x / std::sqrt(2.0))) / 2.0; };
  const double l = norm_cdf((kLow - kMean) / std);
  const double u = norm_cdf((kHigh - kMean) / std);
  tensor.uniform_(2 * l - 1, 2 * u - 1);
  tensor.erfinv_();
  tensor.mul_(std * std::sqrt(2.0));
  tensor.add_(kMean);
  tensor.clamp_(kLow, kHigh);
}

namespace {

// The per-module part of the official initialisers, in modules() order (which fixes the draws):
// Linear (and, with `conv`, Conv2d) weights trunc-normal(std) with zero bias; LayerNorm 1 and 0.
void ResetLinearNormConv(torch::nn::Module& module, double std, bool conv) {
  at::NoGradGuard no_grad;
  for (const std::shared_ptr<torch::nn::Module>& m : module.modules(/*include_self=*/false)) {
    if (auto* linear = m->as<torch::nn::Linear>()) {
      TruncNormal_(linear->weight, std);
      if (linear->bias.defined()) linear->bias.zero_();
    } else if (auto* norm = m->as<torch::nn::LayerNorm>()) {
      if (norm->weight.defined()) norm->weight.fill_(1.0);
      if (norm->bias.defined()) norm->bias.zero_();
    } else if (auto* c = m->as<torch::nn::Conv2d>(); c != nullptr && conv) {
      TruncNormal_(c->weight, std);
      if (c->bias.defined()) c->bias.zero_();
    }
  }
}

}  // namespace

void InitWeightsLikeOfficial(torch::nn::Module& module, const std::vector<Block>& blocks,
                             double std) {
  ResetLinearNormConv(module, std, /*conv=*/true);
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const double scale = std::sqrt(2.0 * static_cast<double>(i + 1));
    blocks[i]->attn->proj->weight.div_(scale);
    blocks[i]->mlp->fc2->weight.div_(scale);
  }
}

void ReinitializeLikeOfficialInitModel(torch::nn::Module& module, double std) {
  ResetLinearNormConv(module, std, /*conv=*/false);
}

}  // namespace ijepa::models
