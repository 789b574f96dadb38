// The scaled dot-product attention every attention layer of the project computes: the encoder,
// the predictor (//ijepa/models:layers) and the attentive probe (//ijepa/eval).
#pragma once

#include <ATen/core/Tensor.h>

namespace ijepa::models {

// softmax(q k^T / sqrt(head_dim)) v with dropout `dropout_p` on the attention weights when
// `training`. q: [B, heads, Nq, head_dim], k, v: [B, heads, Nk, head_dim]; returns
// [B, heads, Nq, head_dim]. On LibTorch >= 2 (ijepa/common/torch_compat.h) it runs the fused
// kernel (flash / memory-efficient / oneDNN), otherwise the official matmul-softmax-matmul.
at::Tensor ScaledDotProductAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                     double dropout_p, bool training);

// The official matmul-softmax-matmul, on every LibTorch: the reference the fused kernel is tested
// against (attention_test).
at::Tensor ExplicitScaledDotProductAttention(const at::Tensor& q, const at::Tensor& k,
                                             const at::Tensor& v, double dropout_p, bool training);

}  // namespace ijepa::models
