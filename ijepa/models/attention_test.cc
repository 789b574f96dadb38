#include "ijepa/models/attention.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "ijepa/common/torch_compat.h"

namespace ijepa::models {
namespace {

// On LibTorch 2.x ScaledDotProductAttention is the fused kernel (at::scaled_dot_product_attention);
// in float32 it must agree with the official explicit attention to 1e-5. On 1.13 both are the
// explicit path and agree exactly.
TEST(AttentionTest, AttentionMatchesExplicitAttentionInFloat32) {
  at::manual_seed(0);
  // [B, heads, N, head_dim]: ViT-Tiny's head_dim 64 and a context-sized token count.
  const at::Tensor q = at::randn({2, 3, 49, 64});
  const at::Tensor k = at::randn({2, 3, 49, 64});
  const at::Tensor v = at::randn({2, 3, 49, 64});
  for (bool training : {false, true}) {
    // Dropout 0 in training too: the fused and explicit paths draw different random masks.
    const at::Tensor fused = ScaledDotProductAttention(q, k, v, /*dropout_p=*/0.0, training);
    const at::Tensor explicit_attention =
        ExplicitScaledDotProductAttention(q, k, v, /*dropout_p=*/0.0, training);
    ASSERT_EQ(fused.sizes(), explicit_attention.sizes());
    EXPECT_LE((fused - explicit_attention).abs().max().item<float>(), 1e-5)
        << "training=" << training << " fused kernel: " << compat::kHasFusedAttention;
  }
}

// The attentive probe's cross-attention: one query token over all patch tokens.
TEST(AttentionTest, CrossAttentionOfOneQueryMatchesExplicitAttention) {
  at::manual_seed(1);
  const at::Tensor q = at::randn({4, 2, 1, 32});
  const at::Tensor kv = at::randn({2, 4, 2, 49, 32});
  const at::Tensor fused = ScaledDotProductAttention(q, kv[0], kv[1], 0.0, /*training=*/false);
  ASSERT_EQ(fused.sizes(), at::IntArrayRef({4, 2, 1, 32}));
  EXPECT_LE((fused - ExplicitScaledDotProductAttention(q, kv[0], kv[1], 0.0, false)).abs().max().item<float>(),
            1e-5);
}

TEST(AttentionTest, AttentionDropoutIsOffInEval) {
  at::manual_seed(0);
  const at::Tensor q = at::randn({1, 2, 10, 16});
  const at::Tensor a = ScaledDotProductAttention(q, q, q, /*dropout_p=*/0.5, /*training=*/false);
  const at::Tensor b = ScaledDotProductAttention(q, q, q, /*dropout_p=*/0.5, /*training=*/false);
  EXPECT_TRUE(at::equal(a, b));
  EXPECT_LE((a - ExplicitScaledDotProductAttention(q, q, q, 0.5, false)).abs().max().item<float>(),
            1e-5);
}

}  // namespace
}  // namespace ijepa::models
