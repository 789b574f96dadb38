#include "ijepa/training/collapse_signals.h"

#include <torch/torch.h>

#include <cmath>

#include "gtest/gtest.h"

namespace ijepa::training {
namespace {

TEST(EffectiveRankTest, MatchesTheEntropyOfKnownSingularValues) {
  // Singular values 3 and 1: p = (3/4, 1/4), exp(-(3/4 ln 3/4 + 1/4 ln 1/4)) = 1.754765...
  const torch::Tensor x = torch::tensor({{3.0, 0.0}, {0.0, 1.0}});
  EXPECT_NEAR(EffectiveRank(x), 1.7547654, 1e-5);
}

TEST(EffectiveRankTest, OrthogonalRowsOfEqualNormHaveFullRank) {
  torch::manual_seed(0);
  const torch::Tensor q = std::get<0>(at::linalg_qr(torch::randn({8, 8}, torch::kDouble)));
  EXPECT_NEAR(EffectiveRank(5.0 * q), 8.0, 1e-4);
  // 16 rows spanning 8 dimensions equally: the rank is bounded by D.
  EXPECT_NEAR(EffectiveRank(torch::cat({q, -q}, 0)), 8.0, 1e-4);
}

TEST(EffectiveRankTest, CollapsedFeaturesHaveRankOne) {
  torch::manual_seed(1);
  const torch::Tensor same_direction = torch::randn({16, 1}) * torch::randn({1, 8});
  EXPECT_NEAR(EffectiveRank(same_direction), 1.0, 1e-3);
}

TEST(EffectiveRankTest, IgnoresScaleAndRowOrder) {
  torch::manual_seed(2);
  const torch::Tensor x = torch::randn({12, 6});
  const double r = EffectiveRank(x);
  EXPECT_GT(r, 1.0);
  EXPECT_LT(r, 6.0);
  EXPECT_NEAR(EffectiveRank(x * 1000), r, 1e-6);
  EXPECT_NEAR(EffectiveRank(x.flip({0})), r, 1e-6);
}

TEST(EffectiveRankTest, RejectsNonMatrices) {
  EXPECT_THROW(EffectiveRank(torch::zeros({4})), c10::Error);
  EXPECT_THROW(EffectiveRank(torch::zeros({0, 4})), c10::Error);
}

TEST(NormalizedFeatureStdTest, RowsOnTheAxesGiveTheIsotropicValue) {
  // Rows +e_i and -e_i: each dimension holds one +1 and one -1 among 2D values, mean 0, so the
  // unbiased std is sqrt(2 / (2D - 1)).
  const int64_t d = 6;
  const torch::Tensor eye = torch::eye(d);
  const torch::Tensor rows = torch::cat({eye * 3, -eye * 0.5}, 0);  // row norms do not matter
  EXPECT_NEAR(NormalizedFeatureStd(rows).item<double>(), std::sqrt(2.0 / (2 * d - 1)), 1e-6);
}

TEST(NormalizedFeatureStdTest, IsZeroWhenEveryRowPointsTheSameWay) {
  const torch::Tensor v = torch::randn({1, 1, 5});
  const torch::Tensor rows = v * torch::rand({3, 4, 1}).add(0.1);  // [3, 4, 5], one direction
  EXPECT_NEAR(NormalizedFeatureStd(rows).item<double>(), 0.0, 1e-6);
}

TEST(NormalizedFeatureStdTest, IsNaNForASingleRow) {
  EXPECT_TRUE(std::isnan(NormalizedFeatureStd(torch::ones({1, 1, 4})).item<double>()));
}

TEST(NormalizedFeatureStdTest, DoesNotTouchAutograd) {
  const torch::Tensor x = torch::randn({4, 3}, torch::requires_grad());
  const torch::Tensor s = NormalizedFeatureStd(x * 2);
  EXPECT_FALSE(s.requires_grad());
  EXPECT_EQ(s.dim(), 0);
}

TEST(FeatureWindowTest, KeepsTheNewestRowsInOrder) {
  FeatureWindow window(5);
  EXPECT_FALSE(window.Rows().defined());
  const torch::Tensor all = torch::arange(24, torch::kFloat).reshape({12, 2});
  window.Add(all.slice(0, 0, 3));
  EXPECT_EQ(window.size(), 3);
  EXPECT_TRUE(torch::equal(window.Rows(), all.slice(0, 0, 3)));
  window.Add(all.slice(0, 3, 7));
  EXPECT_EQ(window.size(), 5);
  EXPECT_TRUE(torch::equal(window.Rows(), all.slice(0, 2, 7)));
  window.Add(all.slice(0, 7, 12));  // one batch as large as the window replaces it
  EXPECT_TRUE(torch::equal(window.Rows(), all.slice(0, 7, 12)));
}

TEST(FeatureWindowTest, CopiesRowsSoLaterInPlaceUpdatesDoNotLeakIn) {
  FeatureWindow window(4);
  torch::Tensor rows = torch::ones({2, 3});
  window.Add(rows);
  rows.fill_(7);
  EXPECT_TRUE(torch::equal(window.Rows(), torch::ones({2, 3})));
}

TEST(FeatureWindowTest, RefusesRowsOfAnotherWidth) {
  FeatureWindow window(4);
  window.Add(torch::zeros({2, 3}));
  EXPECT_THROW(window.Add(torch::zeros({2, 4})), c10::Error);
}

TEST(RelativeEffectiveRankTest, DividesByTheLargestPossibleRank) {
  torch::manual_seed(3);
  const torch::Tensor q = std::get<0>(at::linalg_qr(torch::randn({4, 4})));
  FeatureWindow window(8);
  window.Add(q.slice(0, 0, 2));  // 2 orthonormal rows of 4: rank 2 of at most 2
  EXPECT_NEAR(RelativeEffectiveRank(window), 1.0, 1e-4);
  window.Add(q.slice(0, 0, 2));  // the same two rows again: still rank 2, now of at most 4
  EXPECT_NEAR(RelativeEffectiveRank(window), 0.5, 1e-4);
}

}  // namespace
}  // namespace ijepa::training
