// The step-exact replay against the official trainer (fixture made by
// tools/make_training_fixture.py from facebookresearch/ijepa src/train.py itself).
#include "ijepa/training/replay.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <string>

namespace ijepa::training {
namespace {

constexpr char kFixture[] = "ijepa/training/testdata/official_steps.pt";

c10::IValue Fixture() {
  at::set_num_threads(1);
  auto fixture = ReadReplayFixture(kFixture);
  EXPECT_TRUE(fixture.ok()) << fixture.status();
  return fixture.ok() ? *fixture : c10::IValue();
}

TEST(ReplayTest, OfficialStepsReplayExactly) {
  auto report = ReplayOfficialSteps(Fixture());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok()) << FormatReplayReport(*report);
  ASSERT_EQ(report->steps.size(), 5u);
  // encoder, predictor, target_encoder, both AdamW moments; every one compared.
  ASSERT_EQ(report->finals.size(), 5u);
  for (const ReplayTensorGroup& group : report->finals) EXPECT_GT(group.tensors, 0) << group.name;
}

TEST(ReplayTest, ALossOffByOneThousandthFailsNamingTheStep) {
  c10::IValue fixture = Fixture();
  auto dict = fixture.toGenericDict();
  auto losses = dict.at("expected_loss").toList();
  losses.set(2, losses.get(2).toDouble() * 1.001);
  auto report = ReplayOfficialSteps(fixture);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->ok());
  EXPECT_EQ(report->first_mismatch.rfind("step 3: loss", 0), 0u) << report->first_mismatch;
}

TEST(ReplayTest, AChangedFinalWeightFailsNamingTheTensor) {
  c10::IValue fixture = Fixture();
  auto final_state = fixture.toGenericDict().at("expected_final").toGenericDict();
  auto predictor = final_state.at("predictor").toGenericDict();
  at::Tensor w = predictor.at("predictor_embed.weight").toTensor().clone();
  w.view(-1)[0] += 1e-3;
  predictor.insert_or_assign("predictor_embed.weight", w);
  auto report = ReplayOfficialSteps(fixture);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->ok());
  EXPECT_NE(report->first_mismatch.find("predictor.predictor_embed.weight"), std::string::npos)
      << report->first_mismatch;
}

TEST(ReplayTest, AMalformedFixtureNamesTheEntry) {
  c10::IValue fixture = Fixture();
  ASSERT_EQ(fixture.toGenericDict().erase("masks_pred"), 1u);
  auto report = ReplayOfficialSteps(fixture);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("masks_pred"), absl::string_view::npos)
      << report.status();
}

}  // namespace
}  // namespace ijepa::training
