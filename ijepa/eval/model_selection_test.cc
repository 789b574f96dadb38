#include "ijepa/eval/model_selection.h"

#include <string>

#include <gtest/gtest.h>

namespace ijepa::eval {
namespace {

// A linear probe that chose `lr` (wd 0) with validation top-1 `val` and scored `test` on test.
MethodScore Linear(const std::string& protocol, const std::string& features, double val, double test,
                   double lr = 0.1) {
  MethodScore s;
  s.protocol = protocol;
  s.method = "linear";
  s.features = features;
  s.test.top1 = test;
  s.lr = lr;
  // The other sweep point scored higher on validation than any chosen one: only the chosen point
  // may count.
  s.sweep = {{0.01, 0.0, 99.0}, {lr, 0.0, val}};
  return s;
}

MethodScore Knn(const std::string& protocol, const std::string& features, double test) {
  MethodScore s;
  s.protocol = protocol;
  s.method = "knn";
  s.features = features;
  s.test.top1 = test;
  return s;
}

EvalResults WithProtocols(std::initializer_list<const char*> names) {
  EvalResults r;
  for (const char* name : names) r.protocols.push_back({ProtocolOptions{name, 60, 0.0, "", 0}, 600});
  return r;
}

TEST(BestLinearTest, ThePoolingThatWonOnValidationNotOnTest) {
  EvalResults r = WithProtocols({"p"});
  r.scores = {Linear("p", "last4", 70.0, 76.6), Linear("p", "mean", 72.5, 74.0)};
  const MethodScore* best = BestLinear(r, "p");
  ASSERT_NE(best, nullptr);
  EXPECT_EQ(best->features, "mean");
  EXPECT_EQ(best->test.top1, 74.0);
}

TEST(BestLinearTest, TiesGoToTheFirstListed) {
  EvalResults r = WithProtocols({"p"});
  r.scores = {Linear("p", "mean", 72.5, 70.0), Linear("p", "last4", 72.5, 71.0)};
  EXPECT_EQ(BestLinear(r, "p")->features, "mean");
}

TEST(BestLinearTest, RawPixelsOnlyWhenThereIsNoEncoder) {
  EvalResults r = WithProtocols({"p"});
  r.scores = {Linear("p", "raw_pixels", 90.0, 77.0), Linear("p", "last4", 60.0, 65.0)};
  EXPECT_EQ(BestLinear(r, "p")->features, "last4");
  r.scores = {Linear("p", "raw_pixels", 90.0, 77.0), Knn("p", "raw_pixels", 75.0)};
  EXPECT_EQ(BestLinear(r, "p")->features, "raw_pixels");
  EXPECT_EQ(BestLinear(r, "other"), nullptr);
}

TEST(ChooseScoresTest, MeanAndSampleStdOfEachProtocolsChoice) {
  EvalResults r = WithProtocols({"seed0", "seed1", "seed2"});
  r.scores = {Linear("seed0", "last4", 71.0, 70.0), Linear("seed0", "mean", 70.0, 99.0),
              Knn("seed0", "last4", 50.0),          Knn("seed0", "mean", 99.0),
              Linear("seed1", "last4", 71.0, 72.0), Knn("seed1", "last4", 52.0),
              Linear("seed2", "mean", 71.0, 74.0)};
  const ChosenScores c = ChooseScores(r);
  ASSERT_EQ(c.per_protocol.size(), 3u);
  EXPECT_EQ(c.per_protocol[0].features, "last4");
  EXPECT_EQ(c.per_protocol[0].knn_top1, 50.0);  // k-NN on the chosen pooling
  EXPECT_FALSE(c.per_protocol[2].has_knn);
  EXPECT_DOUBLE_EQ(c.linear_mean, 72.0);
  EXPECT_DOUBLE_EQ(c.linear_std, 2.0);  // sample std of 70, 72, 74
  EXPECT_EQ(c.knn_count, 2);
  EXPECT_DOUBLE_EQ(c.knn_mean, 51.0);
  EXPECT_NEAR(c.knn_std, 1.41421356, 1e-6);
}

TEST(ChooseScoresTest, OneProtocolHasNoSpread) {
  EvalResults r = WithProtocols({"p"});
  r.scores = {Linear("p", "mean", 70.0, 68.5)};
  const ChosenScores c = ChooseScores(r);
  EXPECT_DOUBLE_EQ(c.linear_mean, 68.5);
  EXPECT_EQ(c.linear_std, 0.0);
  EXPECT_EQ(c.knn_count, 0);
}

}  // namespace
}  // namespace ijepa::eval
