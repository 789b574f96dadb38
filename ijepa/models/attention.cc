#include "ijepa/models/attention.h"

#include <ATen/ATen.h>

#include <cmath>

#include "ijepa/common/torch_compat.h"

namespace ijepa::models {

at::Tensor ExplicitScaledDotProductAttention(const at::Tensor& q, const at::Tensor& k,
                                             const at::Tensor& v, double dropout_p, bool training) {
  const double p = training ? dropout_p : 0.0;
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  at::Tensor attn = at::matmul(q, k.transpose(-2, -1)) * scale;
  attn = attn.softmax(-1);
  if (p > 0.0) attn = at::dropout(attn, p, /*train=*/true);
  return at::matmul(attn, v);
}

at::Tensor ScaledDotProductAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                     double dropout_p, bool training) {
#if IJEPA_HAS_FUSED_ATTENTION
  return compat::FusedScaledDotProductAttention(q, k, v, training ? dropout_p : 0.0);
#else
  return ExplicitScaledDotProductAttention(q, k, v, dropout_p, training);
#endif
}

}  // namespace ijepa::models
