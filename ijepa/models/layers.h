// Building blocks shared by the encoder and the predictor (package-private): attention, MLP,
// pre-norm block, patch embedding, sin-cos position embedding and the official initialisation.
// Submodules are registered under the official Python attribute names so state_dict keys match.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <vector>

namespace ijepa::models {

// LayerNorm epsilon of every official model (partial(nn.LayerNorm, eps=1e-6)).
inline constexpr double kLayerNormEps = 1e-6;

// Which library multiplies the matrices of float32 linear layers on the CPU (forward and
// backward). kBlas: ATen's choice, the BLAS LibTorch was built with, as Python's nn.Linear does
// (Debian's LibTorch 1.13: OpenBLAS, which runs its AVX2 "Haswell" kernels on AVX-512 CPUs).
// kOneDnn: oneDNN, which LibTorch bundles for its CPU kernels, with AVX-512 kernels where the CPU
// has them (measured in docs/performance.md). The two differ in summation order only (about 1e-7
// relative). bf16 autocast, other dtypes and other devices always take ATen's path.
enum class CpuLinear { kBlas, kOneDnn };
// Process-wide; set once before the first step (the trainer: `meta.cpu_linear`). Setting kOneDnn
// in a LibTorch built without oneDNN (at::hasMKLDNN() false) keeps kBlas and returns false.
bool SetCpuLinear(CpuLinear backend);
CpuLinear GetCpuLinear();

// `layer` applied as Python's nn.Linear runs it (at::linear: the bias fused into addmm for
// contiguous 2-D and 3-D inputs), or through oneDNN per SetCpuLinear. The C++ frontend's
// Linear::forward is a matmul and a separate `+= bias` pass over the output; same values, slower.
torch::Tensor ApplyLinear(const torch::nn::Linear& layer, const torch::Tensor& x);

// Official drop_path: per-sample stochastic depth, identity when !training or drop_prob == 0.
torch::Tensor DropPath(const torch::Tensor& x, double drop_prob, bool training);

// Official `Attention` (qkv, proj) without the returned attention map.
class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(int64_t dim, int64_t num_heads, bool qkv_bias, double attn_drop, double proj_drop);
  torch::Tensor forward(const torch::Tensor& x);  // [B, N, C] -> [B, N, C]
  torch::nn::Linear qkv{nullptr}, proj{nullptr};

 private:
  int64_t num_heads_;
  double attn_drop_, proj_drop_;
};
TORCH_MODULE(Attention);

// Official `MLP`: fc1, exact (erf) GELU, dropout, fc2, dropout.
class MlpImpl : public torch::nn::Module {
 public:
  MlpImpl(int64_t in_features, int64_t hidden_features, double drop);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};

 private:
  double drop_;
};
TORCH_MODULE(Mlp);

// Official pre-norm `Block`: x + drop_path(attn(norm1(x))), then x + drop_path(mlp(norm2(x))).
class BlockImpl : public torch::nn::Module {
 public:
  BlockImpl(int64_t dim, int64_t num_heads, double mlp_ratio, bool qkv_bias, double drop,
            double attn_drop, double drop_path);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  Attention attn{nullptr};
  Mlp mlp{nullptr};

 private:
  double drop_path_;
};
TORCH_MODULE(Block);

// Official `PatchEmbed`: a conv with kernel = stride = patch_size, flattened to [B, N, D].
class PatchEmbedImpl : public torch::nn::Module {
 public:
  PatchEmbedImpl(int64_t patch_size, int64_t in_chans, int64_t embed_dim);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d proj{nullptr};
};
TORCH_MODULE(PatchEmbed);

// Builds `depth` blocks with the official stochastic-depth rule (rates linspace(0, rate, depth)),
// registers them in `list` and returns them typed.
std::vector<Block> MakeBlocks(torch::nn::ModuleList& list, int64_t depth, int64_t dim,
                              int64_t num_heads, double mlp_ratio, bool qkv_bias, double drop,
                              double attn_drop, double drop_path_rate);

// Official get_2d_sincos_pos_embed for a grid_h x grid_w grid, row-major patches, computed in
// double and returned as float [1, grid_h * grid_w, embed_dim]. As in the official code the first
// half of the channels encodes the column index and the second half the row index.
torch::Tensor SinCosPositionEmbedding(int64_t embed_dim, int64_t grid_h, int64_t grid_w);

// Resizes a [1, src_h * src_w, D] position embedding to [1, dst_h * dst_w, D] with bicubic
// interpolation over the 2-D grid. Unlike the official interpolate_pos_encoding (ijepa issue #42)
// no token is treated as a CLS token: I-JEPA's encoder has none.
torch::Tensor InterpolatePositionEmbedding(const torch::Tensor& pos_embed, int64_t src_h,
                                           int64_t src_w, int64_t dst_h, int64_t dst_w);

// Official trunc_normal_(tensor, std=std): normal(0, std) truncated at the absolute bounds
// [-2, 2], drawn by inverse-CDF sampling; in place, without autograd.
void TruncNormal_(torch::Tensor tensor, double std);

// Official _init_weights over every submodule (Linear/Conv2d weights trunc-normal(std), biases 0,
// LayerNorm weight 1 and bias 0), then fix_init_weight: each block's attn.proj and mlp.fc2
// weights divided by sqrt(2 * layer_id), layer_id counted from 1.
void InitWeightsLikeOfficial(torch::nn::Module& module, const std::vector<Block>& blocks,
                             double std);

// Declared for users in vision_transformer.h; defined with the other initialisers.
void ReinitializeLikeOfficialInitModel(torch::nn::Module& module, double std);

}  // namespace ijepa::models
