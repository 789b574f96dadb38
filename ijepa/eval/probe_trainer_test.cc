#include "ijepa/eval/probe_trainer.h"

#include <limits>
#include <memory>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/utils.h>

#include "ijepa/eval/attentive_classifier.h"
#include "ijepa/eval/linear_classifier.h"

namespace ijepa::eval {
namespace {

const c10::Device kCpu(c10::kCPU);

// Gaussian features labelled by the argmax of a random linear map, keeping only points with a
// margin between the best and second-best score: linearly separable with a margin, so a probe
// must get (nearly) all of them. Features are off-centre and scaled, as raw encoder features are.
LabeledFeatures Separable(int64_t n, int64_t dim, int64_t classes, uint64_t seed,
                          const at::Tensor& map) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  at::Tensor z = at::empty({4 * n, dim}).normal_(0.0, 1.0, gen);
  at::Tensor scores = at::matmul(z, map);
  at::Tensor top2 = std::get<0>(scores.topk(2, 1));
  at::Tensor keep = top2.select(1, 0).sub(top2.select(1, 1)).gt(1.0).nonzero().view(-1).slice(0, 0, n);
  EXPECT_EQ(keep.size(0), n);
  at::Tensor x = z.index_select(0, keep);
  return {x.mul(3.0).add(1.5), scores.index_select(0, keep).argmax(1)};
}

TEST(ScheduledLrTest, CosineStepAndWarmup) {
  TrainOptions o;
  o.lr = 1.0;
  o.epochs = 10;
  o.schedule = ScheduleKind::kCosine;
  EXPECT_DOUBLE_EQ(ScheduledLr(o, 0, 100), 1.0);
  EXPECT_NEAR(ScheduledLr(o, 50, 100), 0.5, 1e-12);
  EXPECT_NEAR(ScheduledLr(o, 100, 100), 0.0, 1e-12);
  o.schedule = ScheduleKind::kStep;
  o.step_milestones = {0.5, 0.8};
  o.step_gamma = 0.1;
  EXPECT_DOUBLE_EQ(ScheduledLr(o, 49, 100), 1.0);
  EXPECT_NEAR(ScheduledLr(o, 50, 100), 0.1, 1e-12);
  EXPECT_NEAR(ScheduledLr(o, 85, 100), 0.01, 1e-12);
  o.warmup_epochs = 2;  // 20 steps
  EXPECT_NEAR(ScheduledLr(o, 0, 100), 0.05, 1e-12);
  EXPECT_NEAR(ScheduledLr(o, 19, 100), 1.0, 1e-12);
}

TEST(TopKAccuracyTest, CountsTop1AndTop5) {
  // Three examples, six classes; label ranks: 1st, 3rd, 6th.
  at::Tensor logits = at::tensor({6.f, 5.f, 4.f, 3.f, 2.f, 1.f,   //
                                  1.f, 6.f, 5.f, 4.f, 3.f, 2.f,   //
                                  6.f, 5.f, 4.f, 3.f, 2.f, 1.f}).view({3, 6});
  at::Tensor labels = at::tensor({0, 3, 5}, at::kLong);
  Accuracy acc = TopKAccuracy(logits, labels);
  EXPECT_EQ(acc.count, 3);
  EXPECT_NEAR(acc.top1, 100.0 / 3, 1e-9);
  EXPECT_NEAR(acc.top5, 200.0 / 3, 1e-9);
}

TEST(LinearProbeTest, SeparableFeaturesReachNearlyFullAccuracy) {
  torch::manual_seed(0);
  const int64_t dim = 16, classes = 4;
  at::Generator gen = at::detail::createCPUGenerator(7);
  at::Tensor map = at::empty({dim, classes}).normal_(0.0, 1.0, gen);
  LabeledFeatures train = Separable(800, dim, classes, 1, map);
  LabeledFeatures test = Separable(400, dim, classes, 2, map);
  auto head = std::make_shared<LinearClassifierImpl>(
      LinearClassifierOptions{dim, classes, /*batch_norm=*/true, 0.01, /*seed=*/3});
  TrainOptions o;
  o.epochs = 60;
  o.batch_size = 64;
  o.lr = 0.5;
  TrainHead(*head, train, o, kCpu);
  Accuracy acc = TopKAccuracy(PredictLogits(*head, test.features, 128, kCpu), test.labels);
  EXPECT_GE(acc.top1, 99.0);
  EXPECT_DOUBLE_EQ(acc.top5, 100.0);  // 4 classes: top-5 is trivially everything
}

TEST(LinearProbeTest, AdamWWithoutBatchNormAlsoSeparates) {
  const int64_t dim = 8, classes = 3;
  at::Generator gen = at::detail::createCPUGenerator(11);
  at::Tensor map = at::empty({dim, classes}).normal_(0.0, 1.0, gen);
  LabeledFeatures train = Separable(600, dim, classes, 4, map);
  LabeledFeatures test = Separable(300, dim, classes, 5, map);
  auto head = std::make_shared<LinearClassifierImpl>(
      LinearClassifierOptions{dim, classes, /*batch_norm=*/false, 0.01, 0});
  EXPECT_EQ(head->named_parameters().size(), 2u);  // linear.weight, linear.bias only
  TrainOptions o;
  o.optimizer = OptimizerKind::kAdamW;
  o.schedule = ScheduleKind::kStep;
  o.epochs = 60;
  o.batch_size = 64;
  o.lr = 0.05;
  TrainHead(*head, train, o, kCpu);
  EXPECT_GE(TopKAccuracy(PredictLogits(*head, test.features, 128, kCpu), test.labels).top1, 95.0);
}

TEST(LinearClassifierTest, SeededInitIsReproducible) {
  LinearClassifierOptions o{12, 5, true, 0.01, 42};
  LinearClassifierImpl a(o), b(o);
  o.seed = 43;
  LinearClassifierImpl c(o);
  auto pa = a.named_parameters(), pb = b.named_parameters(), pc = c.named_parameters();
  EXPECT_TRUE(at::equal(pa["linear.weight"], pb["linear.weight"]));
  EXPECT_FALSE(at::equal(pa["linear.weight"], pc["linear.weight"]));
  EXPECT_EQ(a.named_buffers().size(), 3u);  // bn.running_mean, running_var, num_batches_tracked
  EXPECT_THROW(a.forward(at::zeros({2, 11})), c10::Error);
}

TEST(SweepAndFitTest, ChoosesOnValidationAndRefitsOnTrainPlusVal) {
  const int64_t dim = 8, classes = 3;
  at::Generator gen = at::detail::createCPUGenerator(21);
  at::Tensor map = at::empty({dim, classes}).normal_(0.0, 1.0, gen);
  LabeledFeatures train = Separable(300, dim, classes, 6, map);
  LabeledFeatures val = Separable(90, dim, classes, 7, map);
  LabeledFeatures test = Separable(300, dim, classes, 8, map);
  HeadFactory make = [&] {
    return std::make_shared<LinearClassifierImpl>(LinearClassifierOptions{dim, classes, true, 0.01, 1});
  };
  SweepOptions s;
  s.train.epochs = 20;
  s.train.batch_size = 50;
  s.lrs = {1e-7, 0.5};  // the first cannot move the random init in 20 epochs
  s.weight_decays = {0.0, 1e-4};
  ProbeFit fit = SweepAndFit(make, train, val, test, s, kCpu);
  ASSERT_EQ(fit.sweep.size(), 4u);
  EXPECT_DOUBLE_EQ(fit.lr, 0.5);
  EXPECT_EQ(fit.num_val, 90);
  EXPECT_EQ(fit.num_train, 390);
  EXPECT_GE(fit.test.top1, 90.0);
  EXPECT_EQ(fit.test.count, 300);
  for (const SweepPoint& p : fit.sweep) {
    if (p.lr == 0.5) {
      EXPECT_GT(p.val_top1, 80.0);
    }
  }

  s.final_fit_includes_val = false;
  s.lrs = {0.5};
  s.weight_decays = {0.0};
  EXPECT_EQ(SweepAndFit(make, train, val, test, s, kCpu).num_train, 300);
  // A grid without a validation split would have to choose on the test set: refused.
  s.lrs = {0.1, 0.5};
  EXPECT_THROW(SweepAndFit(make, train, LabeledFeatures{}, test, s, kCpu), c10::Error);
}

// Tokens are noise; one token at a random position carries the class prototype. The attentive
// probe must find it.
LabeledFeatures MarkedTokens(int64_t n, int64_t tokens, int64_t dim, const at::Tensor& prototypes,
                             uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  const int64_t classes = prototypes.size(0);
  at::Tensor x = at::empty({n, tokens, dim}).normal_(0.0, 1.0, gen);
  at::Tensor labels = at::randint(classes, {n}, gen, at::kLong);
  at::Tensor where = at::randint(tokens, {n}, gen, at::kLong);
  for (int64_t i = 0; i < n; ++i) {
    x[i][where[i].item<int64_t>()].add_(prototypes[labels[i].item<int64_t>()]);
  }
  return {x, labels};
}

TEST(AttentiveProbeTest, LearnsMarkedTokenTask) {
  const int64_t tokens = 8, dim = 16, classes = 4;
  at::Generator gen = at::detail::createCPUGenerator(5);
  at::Tensor prototypes = at::empty({classes, dim}).normal_(0.0, 3.0, gen);
  LabeledFeatures train = MarkedTokens(512, tokens, dim, prototypes, 1);
  LabeledFeatures test = MarkedTokens(256, tokens, dim, prototypes, 2);
  AttentiveClassifierOptions ao;
  ao.embed_dim = dim;
  ao.num_classes = classes;
  ao.num_heads = 2;
  ao.seed = 9;
  auto head = std::make_shared<AttentiveClassifierImpl>(ao);
  EXPECT_NE(head->named_parameters().find("pooler.cross_attention_block.xattn.kv.weight"), nullptr);
  EXPECT_NE(head->named_parameters().find("pooler.query_tokens"), nullptr);
  TrainOptions o;
  o.optimizer = OptimizerKind::kAdamW;
  o.epochs = 40;
  o.batch_size = 64;
  o.lr = 3e-3;
  o.weight_decay = 0.01;
  const double before = TopKAccuracy(PredictLogits(*head, test.features, 128, kCpu), test.labels).top1;
  TrainHead(*head, train, o, kCpu);
  const double after = TopKAccuracy(PredictLogits(*head, test.features, 128, kCpu), test.labels).top1;
  EXPECT_LT(before, 50.0);
  EXPECT_GE(after, 95.0);
  EXPECT_THROW(head->forward(at::zeros({2, dim})), c10::Error);
}

TEST(LinearProbeTest, DivergenceIsReportedAndSkippedInASweep) {
  // Large, unseparable features: a learning rate of 1e38 overflows the weights to inf / nan.
  at::Generator gen = at::detail::createCPUGenerator(3);
  LabeledFeatures train{at::empty({64, 4}).normal_(0.0, 1e3, gen), at::randint(3, {64}, gen, at::kLong)};
  LabeledFeatures val{at::empty({30, 4}).normal_(0.0, 1e3, gen), at::randint(3, {30}, gen, at::kLong)};
  HeadFactory make = [] {
    return std::make_shared<LinearClassifierImpl>(LinearClassifierOptions{4, 3, false, 0.01, 0});
  };
  TrainOptions o;
  o.epochs = 20;
  o.batch_size = 8;
  o.lr = 1e38;
  EXPECT_FALSE(TrainHead(*make(), train, o, kCpu));
  o.lr = 1e-6;
  EXPECT_TRUE(TrainHead(*make(), train, o, kCpu));
  SweepOptions s;
  s.train = o;
  s.lrs = {1e38, 1e-6};
  ProbeFit fit = SweepAndFit(make, train, val, val, s, kCpu);
  ASSERT_EQ(fit.sweep.size(), 2u);
  EXPECT_EQ(fit.sweep[0].val_top1, 0.0);
  EXPECT_GT(fit.sweep[1].val_top1, 0.0);
  EXPECT_DOUBLE_EQ(fit.lr, 1e-6);
  s.lrs = {1e38};
  EXPECT_THROW(SweepAndFit(make, train, val, val, s, kCpu), c10::Error);
}

TEST(SweepAndFitTest, NonFiniteFeaturesAreNamedNotBlamedOnTheLearningRate) {
  // NaN features (an encoder with NaN weights) used to end in "lower the learning rates".
  at::Generator gen = at::detail::createCPUGenerator(4);
  LabeledFeatures train{at::empty({20, 4}).normal_(0.0, 1.0, gen), at::randint(3, {20}, gen, at::kLong)};
  LabeledFeatures test = train;
  test.features = test.features.clone();
  test.features[3][1] = std::numeric_limits<float>::quiet_NaN();
  test.features[5][0] = std::numeric_limits<float>::infinity();
  HeadFactory make = [] {
    return std::make_shared<LinearClassifierImpl>(LinearClassifierOptions{4, 3, false, 0.01, 0});
  };
  SweepOptions s;
  s.train.epochs = 1;
  s.lrs = {0.1};
  LabeledFeatures no_val{at::empty({0, 4}), at::empty({0}, at::kLong)};
  try {
    SweepAndFit(make, train, no_val, test, s, kCpu);
    ADD_FAILURE() << "non-finite test features were accepted";
  } catch (const c10::Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("the test features hold 2 non-finite values (NaN or inf)"), std::string::npos) << message;
    EXPECT_EQ(message.find("lower the learning rates"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace ijepa::eval
