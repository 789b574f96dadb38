#include "ijepa/eval/knn.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

namespace ijepa::eval {
namespace {

TEST(KnnTest, ToySetByCosineSimilarity) {
  // Class 0 points along +x, class 1 along +y; magnitudes differ (cosine ignores them).
  at::Tensor train_x = at::tensor({1.f, 0.1f, 5.f, -0.2f, 0.3f, 1.f, -0.1f, 7.f}).view({4, 2});
  LabeledFeatures train{train_x, at::tensor({0, 0, 1, 1}, at::kLong)};
  LabeledFeatures test{at::tensor({2.f, 0.f, 0.f, 3.f, 1.f, 0.9f}).view({3, 2}),
                       at::tensor({0, 1, 1}, at::kLong)};
  KnnOptions o;
  o.k = 1;
  Accuracy acc = KnnClassify(train, test, 2, o);
  EXPECT_EQ(acc.count, 3);
  // (1, 0.9) is closer to class 0's (1, 0.1) direction? cos to (1,0.1)=0.80, to (0.3,1)=0.95: class 1.
  EXPECT_DOUBLE_EQ(acc.top1, 100.0);
  EXPECT_DOUBLE_EQ(acc.top5, 100.0);  // two classes: every label is in the top 2
}

TEST(KnnTest, TemperatureWeightedVotesBeatMajority) {
  // One very similar class-1 neighbour against two weakly similar class-0 neighbours: with k=3
  // a plain majority says 0, DINO's exp(sim/T) weighting says 1.
  at::Tensor train_x = at::tensor({1.f, 0.f, 0.f, 1.f, 0.f, -1.f}).view({3, 2});
  at::Tensor query = at::tensor({1.f, 0.05f}).view({1, 2});
  // sims: 0.9988 (class 1), 0.05 (class 0), -0.05 (class 0).
  LabeledFeatures train{train_x, at::tensor({1, 0, 0}, at::kLong)};
  LabeledFeatures test{query, at::tensor({1}, at::kLong)};
  KnnOptions o;
  o.k = 3;
  o.temperature = 0.07;
  EXPECT_DOUBLE_EQ(KnnClassify(train, test, 2, o).top1, 100.0);
  o.temperature = 1000.0;  // nearly uniform weights: majority (class 0) wins
  EXPECT_DOUBLE_EQ(KnnClassify(train, test, 2, o).top1, 0.0);
}

TEST(KnnTest, ClustersWithChunkingAndKLargerThanTrainSet) {
  at::Tensor centres = at::eye(6).mul(4.0);
  at::Tensor labels = at::arange(6, at::kLong).repeat({20});
  at::Tensor x = centres.index_select(0, labels) + at::randn({120, 6}).mul(0.3);
  at::Tensor qlabels = at::arange(6, at::kLong).repeat({7});
  at::Tensor q = centres.index_select(0, qlabels) + at::randn({42, 6}).mul(0.3);
  KnnOptions o;
  o.chunk_size = 5;  // uneven chunks
  Accuracy acc = KnnClassify({x, labels}, {q, qlabels}, 6, o);
  EXPECT_DOUBLE_EQ(acc.top1, 100.0);
  EXPECT_EQ(acc.count, 42);
  o.k = 1000;  // clamped to 120
  EXPECT_DOUBLE_EQ(KnnClassify({x, labels}, {q, qlabels}, 6, o).top5, 100.0);
}

TEST(KnnTest, RejectsPerPatchFeaturesAndBadLabels) {
  LabeledFeatures three_d{at::zeros({2, 3, 4}), at::zeros({2}, at::kLong)};
  EXPECT_THROW(KnnClassify(three_d, three_d, 2, KnnOptions{}), c10::Error);
  LabeledFeatures bad{at::ones({2, 4}), at::tensor({0, 5}, at::kLong)};
  EXPECT_THROW(KnnClassify(bad, bad, 2, KnnOptions{}), c10::Error);
}

}  // namespace
}  // namespace ijepa::eval
