#include "ijepa/eval/attentive_classifier.h"

#include <cmath>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/util/Exception.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "ijepa/models/attention.h"
#include "ijepa/models/layers.h"

namespace ijepa::eval {
namespace {

// timm's trunc_normal_(std) as V-JEPA calls it: bounds are absolute (+-2), so for small std this
// is a plain normal; the clamp keeps the exact semantics. Not models::TruncNormal_: that one draws
// by inverse CDF from the global generator (the official pretraining init), this one normal
// samples from the probe's own seeded generator, and trained probes depend on these draws.
void TruncNormal(at::Tensor& t, double std, at::Generator& gen) {
  at::Tensor v = at::empty(t.sizes(), t.options().device(at::kCPU));
  v.normal_(0.0, std, gen).clamp_(-2.0, 2.0);
  t.copy_(v);
}

}  // namespace

AttentiveClassifierImpl::AttentiveClassifierImpl(const AttentiveClassifierOptions& options)
    : options_(options) {
  const int64_t d = options.embed_dim;
  TORCH_CHECK(d > 0, "AttentiveClassifier: embed_dim must be > 0, got ", d);
  TORCH_CHECK(options.num_classes > 1, "AttentiveClassifier: num_classes must be > 1, got ",
              options.num_classes);
  TORCH_CHECK(options.num_heads > 0 && d % options.num_heads == 0,
              "AttentiveClassifier: num_heads (", options.num_heads, ") must divide embed_dim (", d,
              ")");
  TORCH_CHECK(options.mlp_ratio > 0, "AttentiveClassifier: mlp_ratio must be > 0");
  const int64_t hidden = static_cast<int64_t>(d * options.mlp_ratio);

  auto pooler = register_module("pooler", std::make_shared<torch::nn::Module>("AttentivePooler"));
  query_tokens_ = pooler->register_parameter("query_tokens", at::zeros({1, 1, d}));
  auto block = pooler->register_module("cross_attention_block",
                                       std::make_shared<torch::nn::Module>("CrossAttentionBlock"));
  norm1_ = block->register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  auto xattn = block->register_module("xattn", std::make_shared<torch::nn::Module>("CrossAttention"));
  q_ = xattn->register_module("q", torch::nn::Linear(torch::nn::LinearOptions(d, d).bias(options.qkv_bias)));
  kv_ = xattn->register_module("kv",
                               torch::nn::Linear(torch::nn::LinearOptions(d, 2 * d).bias(options.qkv_bias)));
  proj_ = xattn->register_module("proj", torch::nn::Linear(d, d));
  norm2_ = block->register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  auto mlp = block->register_module("mlp", std::make_shared<torch::nn::Module>("MLP"));
  fc1_ = mlp->register_module("fc1", torch::nn::Linear(d, hidden));
  fc2_ = mlp->register_module("fc2", torch::nn::Linear(hidden, d));
  linear_ = register_module("linear", torch::nn::Linear(d, options.num_classes));

  // V-JEPA's init: trunc-normal query and Linear weights, zero biases, unit LayerNorms, then the
  // residual output projections rescaled by 1/sqrt(2 * layer_id) with layer_id = 1.
  at::NoGradGuard no_grad;
  at::Generator gen = at::detail::createCPUGenerator(options.seed);
  TruncNormal(query_tokens_, options.init_std, gen);
  for (torch::nn::Linear* layer : {&q_, &kv_, &proj_, &fc1_, &fc2_, &linear_}) {
    TruncNormal((*layer)->weight, options.init_std, gen);
    if ((*layer)->bias.defined()) (*layer)->bias.zero_();
  }
  proj_->weight.div_(std::sqrt(2.0));
  fc2_->weight.div_(std::sqrt(2.0));
}

at::Tensor AttentiveClassifierImpl::forward(const at::Tensor& features) {
  TORCH_CHECK(features.dim() == 3 && features.size(2) == options_.embed_dim,
              "AttentiveClassifier expects per-patch features [B, T, ", options_.embed_dim,
              "], got ", features.sizes());
  const int64_t b = features.size(0), t = features.size(1), d = options_.embed_dim;
  const int64_t h = options_.num_heads, hd = d / h;
  at::Tensor q = query_tokens_.expand({b, 1, d});
  // Cross-attention: one query attends over the T patch tokens.
  at::Tensor x = norm1_->forward(features);
  // The linears and the k / v split as the encoder's attention runs them (models::ApplyLinear;
  // unbind in kv's own layout, whose backward is one stack): same values, fewer passes.
  at::Tensor qh = models::ApplyLinear(q_, q).reshape({b, 1, h, hd}).transpose(1, 2);
  const std::vector<at::Tensor> k_v =
      models::ApplyLinear(kv_, x).view({b, t, 2, h, hd}).unbind(2);
  const at::Tensor k = k_v[0].transpose(1, 2), v = k_v[1].transpose(1, 2);  // [B, h, T, hd]
  at::Tensor y = models::ScaledDotProductAttention(qh, k, v, /*dropout_p=*/0.0, /*training=*/false)
                     .transpose(1, 2)
                     .reshape({b, 1, d});
  q = q + models::ApplyLinear(proj_, y);
  q = q + models::ApplyLinear(fc2_, at::gelu(models::ApplyLinear(fc1_, norm2_->forward(q))));
  return models::ApplyLinear(linear_, q.squeeze(1));
}

}  // namespace ijepa::eval
