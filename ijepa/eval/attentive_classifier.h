#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "ijepa/eval/probe_head.h"

namespace ijepa::eval {

struct AttentiveClassifierOptions {
  int64_t embed_dim = 0;    // width D of the per-patch features
  int64_t num_classes = 0;
  int64_t num_heads = 12;   // must divide embed_dim
  double mlp_ratio = 4.0;
  bool qkv_bias = true;
  double init_std = 0.02;
  uint64_t seed = 0;        // parameter initialisation, independent of the global generator
};

// V-JEPA's AttentiveClassifier (src/models/attentive_pooler.py, depth 1, one query): a learned
// query token cross-attends to the frozen per-patch features in one pre-norm block
// (q += xattn(q, norm1(x)); q += mlp(norm2(q))), then a linear layer classifies the query.
// Features [B, T, D] -> logits [B, num_classes]. Parameter names follow V-JEPA:
// pooler.query_tokens, pooler.cross_attention_block.{norm1,xattn.q,xattn.kv,xattn.proj,norm2,
// mlp.fc1,mlp.fc2}, linear.
class AttentiveClassifierImpl : public ProbeHeadImpl {
 public:
  explicit AttentiveClassifierImpl(const AttentiveClassifierOptions& options);
  at::Tensor forward(const at::Tensor& features) override;

  const AttentiveClassifierOptions& options() const { return options_; }

 private:
  AttentiveClassifierOptions options_;
  at::Tensor query_tokens_;
  torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr};
  torch::nn::Linear q_{nullptr}, kv_{nullptr}, proj_{nullptr}, fc1_{nullptr}, fc2_{nullptr};
  torch::nn::Linear linear_{nullptr};
};

}  // namespace ijepa::eval
