#include "ijepa/models/mask_ops.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <gtest/gtest.h>

namespace ijepa::models {
namespace {

at::Tensor Indices(std::vector<std::vector<int64_t>> rows) {
  std::vector<at::Tensor> t;
  for (const auto& r : rows) t.push_back(at::tensor(r, at::kLong));
  return at::stack(t);
}

TEST(ApplyMasksTest, GathersKeptTokensMaskMajor) {
  // x[b, n, d] = 100 * b + 10 * n + d.
  const at::Tensor x = (at::arange(2).view({2, 1, 1}) * 100 + at::arange(5).view({1, 5, 1}) * 10 +
                        at::arange(3).view({1, 1, 3}))
                           .to(at::kFloat);
  const at::Tensor m0 = Indices({{0, 4}, {1, 2}});
  const at::Tensor m1 = Indices({{3, 3}, {0, 1}});
  const at::Tensor out = ApplyMasks(x, {m0, m1});
  ASSERT_EQ(out.sizes(), (at::IntArrayRef{4, 2, 3}));
  const std::vector<std::vector<int64_t>> expected_patch = {{0, 4}, {1, 2}, {3, 3}, {0, 1}};
  const std::vector<int64_t> expected_image = {0, 1, 0, 1};
  for (int r = 0; r < 4; ++r) {
    for (int k = 0; k < 2; ++k) {
      for (int d = 0; d < 3; ++d) {
        EXPECT_EQ(out[r][k][d].item<float>(),
                  100 * expected_image[r] + 10 * expected_patch[r][k] + d);
      }
    }
  }
}

TEST(ApplyMasksTest, PropagatesGradientsToKeptTokens) {
  const at::Tensor x = at::zeros({1, 4, 2}).set_requires_grad(true);
  ApplyMasks(x, {Indices({{1, 3}})}).sum().backward();
  EXPECT_TRUE(at::equal(x.grad().select(2, 0), at::tensor({0.f, 1.f, 0.f, 1.f}).view({1, 4})));
}

TEST(ApplyMasksTest, RejectsBadMasks) {
  const at::Tensor x = at::zeros({2, 5, 3});
  EXPECT_THROW(ApplyMasks(x, {}), c10::Error);
  EXPECT_THROW(ApplyMasks(x, {Indices({{0, 1}})}), c10::Error);                   // batch 1 != 2
  EXPECT_THROW(ApplyMasks(x, {Indices({{0}, {1}}).to(at::kInt)}), c10::Error);     // int32
  EXPECT_THROW(ApplyMasks(x, {at::zeros({2}, at::kLong)}), c10::Error);             // 1-D
  EXPECT_THROW(ApplyMasks(x, {Indices({{0}, {5}})}), c10::Error);                   // out of range
  try {
    ApplyMasks(x, {Indices({{0, 1}})});
    FAIL();
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("batch"), std::string::npos) << e.what();
  }
}

TEST(RepeatInterleaveBatchTest, RepeatsEachChunkInPlace) {
  // Two chunks of batch 2: [a0 a1 | b0 b1] -> [a0 a1 a0 a1 a0 a1 | b0 b1 b0 b1 b0 b1] for repeat 3.
  const at::Tensor x = at::arange(4).view({4, 1}).to(at::kFloat);
  const at::Tensor out = RepeatInterleaveBatch(x, 2, 3);
  const at::Tensor expected =
      at::tensor({0.f, 1.f, 0.f, 1.f, 0.f, 1.f, 2.f, 3.f, 2.f, 3.f, 2.f, 3.f}).view({12, 1});
  EXPECT_TRUE(at::equal(out, expected)) << out;
  EXPECT_TRUE(at::equal(RepeatInterleaveBatch(x, 4, 1), x));
  EXPECT_THROW(RepeatInterleaveBatch(x, 3, 2), c10::Error);
  EXPECT_THROW(RepeatInterleaveBatch(x, 2, 0), c10::Error);
}

}  // namespace
}  // namespace ijepa::models
