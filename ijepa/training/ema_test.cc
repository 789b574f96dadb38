#include "ijepa/training/ema.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

namespace ijepa::training {
namespace {

TEST(EmaUpdateTest, AppliesMomentumAverageInPlace) {
  at::Tensor t0 = at::tensor({1.0f, 2.0f, -4.0f});
  at::Tensor t1 = at::full({2, 2}, 10.0f);
  const at::Tensor c0 = at::tensor({3.0f, 0.0f, 4.0f});
  const at::Tensor c1 = at::zeros({2, 2});
  const void* storage0 = t0.data_ptr();
  EmaUpdate({t0, t1}, {c0, c1}, 0.75);
  // 0.75 * t + 0.25 * c.
  EXPECT_TRUE(at::allclose(t0, at::tensor({1.5f, 1.5f, -2.0f})));
  EXPECT_TRUE(at::allclose(t1, at::full({2, 2}, 7.5f)));
  EXPECT_EQ(t0.data_ptr(), storage0);  // Updated in place: the module's parameters see it.
  // The online tensors are untouched.
  EXPECT_TRUE(at::equal(c0, at::tensor({3.0f, 0.0f, 4.0f})));
}

TEST(EmaUpdateTest, MomentumOneKeepsTargetAndZeroCopiesOnline) {
  at::Tensor t = at::tensor({1.0f, 2.0f});
  const at::Tensor c = at::tensor({5.0f, -5.0f});
  EmaUpdate({t}, {c}, 1.0);
  EXPECT_TRUE(at::equal(t, at::tensor({1.0f, 2.0f})));
  EmaUpdate({t}, {c}, 0.0);
  EXPECT_TRUE(at::equal(t, c));
}

TEST(EmaUpdateTest, WorksOnParametersThatRequireGrad) {
  at::Tensor t = at::ones({3}).set_requires_grad(true);
  const at::Tensor c = at::zeros({3}).set_requires_grad(true);
  EmaUpdate({t}, {c}, 0.5);
  EXPECT_TRUE(at::allclose(t, at::full({3}, 0.5f)));
  EXPECT_FALSE(t.grad_fn());  // No autograd history recorded.
}

TEST(EmaUpdateTest, RejectsMismatchedLists) {
  at::Tensor t = at::ones({3});
  EXPECT_THROW(EmaUpdate({t}, {}, 0.5), c10::Error);
  EXPECT_THROW(EmaUpdate({t}, {at::ones({4})}, 0.5), c10::Error);
  EXPECT_THROW(EmaUpdate({t}, {at::ones({3})}, 1.5), c10::Error);
}

}  // namespace
}  // namespace ijepa::training
