#include "ijepa/training/loss.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

namespace ijepa::training {
namespace {

TEST(MakeTargetsTest, NormalizesGathersAndRepeatsPerContextMask) {
  // B = 2 images, N = 3 patches, D = 2 features. Each token [a, b] normalizes to [-1, 1] or
  // [1, -1] (layer norm over 2 values, eps negligible), so the gathered rows are easy to predict.
  const at::Tensor features = at::tensor({0.f, 2.f, 5.f, 1.f, 3.f, 3.5f,    // image 0
                                          9.f, 1.f, 2.f, 4.f, -1.f, 0.f})  // image 1
                                  .reshape({2, 3, 2});
  const at::Tensor mask_a = at::tensor({int64_t{2}, int64_t{0}}).reshape({2, 1});  // img0: p2, img1: p0
  const at::Tensor mask_b = at::tensor({int64_t{0}, int64_t{1}}).reshape({2, 1});  // img0: p0, img1: p1
  const at::Tensor h = MakeTargets(features, {mask_a, mask_b}, /*num_context_masks=*/2);
  ASSERT_EQ(h.sizes(), (at::IntArrayRef{8, 1, 2}));
  const at::Tensor up = at::tensor({-1.f, 1.f}), down = at::tensor({1.f, -1.f});
  // Mask-major, each chunk of B rows repeated per context mask: [a0, a1, a0, a1, b0, b1, b0, b1].
  const at::Tensor expected_rows[] = {up, down, up, down, up, up, up, up};
  for (int i = 0; i < 8; ++i) {
    EXPECT_TRUE(at::allclose(h[i][0], expected_rows[i], 1e-4, 1e-4)) << i << ": " << h[i][0];
  }
  EXPECT_FALSE(h.requires_grad());
}

TEST(MakeTargetsTest, PerPositionTakesOutWhatEveryImageHasAtAPosition) {
  // 2 images: patch 2 is the same in both (position only: its per-position target is 0); after
  // the layer norm patch 0 is [-1, 1] and [1, -1] (mean 0, std 1 over the batch: kept).
  const at::Tensor features = at::tensor({0.f, 2.f, 5.f, 1.f, 3.f, 3.5f,
                                          9.f, 1.f, 2.f, 4.f, 3.f, 3.5f})
                                  .reshape({2, 3, 2});
  const at::Tensor p2 = at::full({2, 1}, int64_t{2});
  const at::Tensor p0 = at::zeros({2, 1}, at::kLong);
  const at::Tensor h = MakeTargets(features, {p2, p0}, /*num_context_masks=*/1, /*per_position=*/true);
  ASSERT_EQ(h.sizes(), (at::IntArrayRef{4, 1, 2}));
  EXPECT_TRUE(at::allclose(h[0][0], at::zeros({2}), 0, 1e-6)) << h[0][0];
  EXPECT_TRUE(at::allclose(h[1][0], at::zeros({2}), 0, 1e-6)) << h[1][0];
  // 1 / sqrt(1 + 1e-4): the variance floor.
  EXPECT_TRUE(at::allclose(h[2][0], at::tensor({-1.f, 1.f}), 1e-3, 1e-4)) << h[2][0];
  EXPECT_TRUE(at::allclose(h[3][0], at::tensor({1.f, -1.f}), 1e-3, 1e-4)) << h[3][0];
  // The official targets of the same patches are not zero.
  EXPECT_GT(MakeTargets(features, {p2}, 1).abs().min().item<float>(), 0.99f);
  // One image has no batch statistics.
  EXPECT_THROW(MakeTargets(features.slice(0, 0, 1), {p2.slice(0, 0, 1)}, 1, true), c10::Error);
}

TEST(PredictionLossTest, SmoothL1AndL2OnHandMadeValues) {
  const at::Tensor targets = at::zeros({1, 2, 2});
  // Differences 0.5, -2, 0, 1: smooth-L1 terms 0.125, 1.5, 0, 0.5 -> mean 0.53125;
  // squared terms 0.25, 4, 0, 1 -> mean 1.3125.
  const at::Tensor z = at::tensor({0.5f, -2.f, 0.f, 1.f}).reshape({1, 2, 2}).set_requires_grad(true);
  const at::Tensor smooth = PredictionLoss(z, targets, LossKind::kSmoothL1);
  EXPECT_FLOAT_EQ(smooth.item<float>(), 0.53125f);
  EXPECT_FLOAT_EQ(PredictionLoss(z, targets, LossKind::kL2).item<float>(), 1.3125f);
  smooth.backward();
  // d/dz of mean smooth-L1: z / 4 inside |z| < 1, sign(z) / 4 outside.
  EXPECT_TRUE(at::allclose(z.grad().flatten(), at::tensor({0.125f, -0.25f, 0.f, 0.25f})));
}

TEST(PredictionLossTest, TargetsGetNoGradientAndShapesMustMatch) {
  const at::Tensor z = at::ones({2, 3}).set_requires_grad(true);
  const at::Tensor h = at::zeros({2, 3}).set_requires_grad(true);
  PredictionLoss(z, h, LossKind::kL2).backward();
  EXPECT_FALSE(h.grad().defined());
  EXPECT_THROW(PredictionLoss(z, at::zeros({3, 2}), LossKind::kL2), c10::Error);
  EXPECT_THROW(MakeTargets(at::zeros({2, 3}), {at::zeros({2, 1}, at::kLong)}, 1), c10::Error);
}

}  // namespace
}  // namespace ijepa::training
