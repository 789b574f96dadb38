// Resuming from a checkpoint the official train.py wrote (issue 14): the fixtures are made by
// tools/make_training_fixture.py from facebookresearch/ijepa's own main(): a 2-epoch run of 2
// steps each, its jepa-latest.pth.tar after epoch 1 (DDP `module.` keys, AdamW state over the
// official groups with the frozen position embeddings), and every step it took.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <string>

#include "ijepa/checkpoint/torch_file.h"
#include "ijepa/training/replay.h"

namespace ijepa::training {
namespace {

constexpr char kSteps[] = "ijepa/training/testdata/official_resume_steps.pt";
constexpr char kCheckpoint[] = "ijepa/training/testdata/official_resume_ep1.pth.tar";

struct Fixtures {
  c10::IValue steps, checkpoint;
};

Fixtures Read() {
  at::set_num_threads(1);
  Fixtures f;
  auto steps = ReadReplayFixture(kSteps);
  EXPECT_TRUE(steps.ok()) << steps.status();
  auto checkpoint = checkpoint::ReadTorchFile(kCheckpoint);
  EXPECT_TRUE(checkpoint.ok()) << checkpoint.status();
  if (steps.ok()) f.steps = *steps;
  if (checkpoint.ok()) f.checkpoint = *checkpoint;
  return f;
}

TEST(OfficialResumeTest, TheOfficialCheckpointHasTheOfficialLayout) {
  const Fixtures f = Read();
  const auto dict = f.checkpoint.toGenericDict();
  EXPECT_EQ(dict.at("epoch").toInt(), 1);
  EXPECT_FALSE(dict.contains("global_step"));  // no extras: train.py resumes at an epoch start
  EXPECT_TRUE(dict.at("encoder").toGenericDict().contains("module.pos_embed"));
  // The groups count the frozen pos_embed / predictor_pos_embed (official init_opt).
  std::vector<int64_t> sizes;
  for (const c10::IValue& g : dict.at("opt").toGenericDict().at("param_groups").toList()) {
    sizes.push_back(static_cast<int64_t>(g.toGenericDict().at("params").toList().size()));
  }
  EXPECT_EQ(sizes, (std::vector<int64_t>{10, 12, 19, 20}));
}

TEST(OfficialResumeTest, ResumesTheOfficialCheckpointAndContinuesItsSteps) {
  const Fixtures f = Read();
  auto report = ReplayOfficialStepsFromCheckpoint(f.steps, f.checkpoint, kCheckpoint);
  ASSERT_TRUE(report.ok()) << report.status();
  std::cout << FormatReplayReport(*report);
  EXPECT_TRUE(report->ok()) << FormatReplayReport(*report);
  // Epoch 1 of 2 steps done: train.py's start_epoch * ipe, where the schedules continue.
  EXPECT_EQ(report->start_step, 2);
  ASSERT_EQ(report->steps.size(), 2u);
  EXPECT_EQ(report->steps[0].step, 3);
  // Weights, target encoder and both AdamW moments restored exactly as the file holds them.
  ASSERT_EQ(report->restored.size(), 5u);
  for (const ReplayTensorGroup& g : report->restored) {
    EXPECT_GT(g.tensors, 0) << g.name;
    EXPECT_EQ(g.max_abs_diff, 0.0) << g.name << " " << g.worst;
  }
  // The scheduled values are the official loop's at steps 3 and 4 (cosine part; warmup was 1 step).
  for (const ReplayStep& s : report->steps) {
    EXPECT_DOUBLE_EQ(s.lr, s.expected_lr) << "step " << s.step;
    EXPECT_DOUBLE_EQ(s.wd, s.expected_wd) << "step " << s.step;
    EXPECT_DOUBLE_EQ(s.momentum, s.expected_momentum) << "step " << s.step;
  }
  // Then the whole run (final weights and moments after epoch 2) matches the official one.
  ASSERT_EQ(report->finals.size(), 5u);
}

TEST(OfficialResumeTest, AResumeAtTheWrongStepIsCaught) {
  // Claiming epoch 0 restarts the schedules at step 0: the replay of steps 1..4 from the epoch-1
  // state must disagree with the official run.
  Fixtures f = Read();
  f.checkpoint.toGenericDict().insert_or_assign("epoch", 0);
  auto report = ReplayOfficialStepsFromCheckpoint(f.steps, f.checkpoint, kCheckpoint);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->start_step, 0);
  EXPECT_FALSE(report->ok());
}

TEST(OfficialResumeTest, AGroupOfAnotherSizeIsRefusedNamingIt) {
  Fixtures f = Read();
  auto group = f.checkpoint.toGenericDict().at("opt").toGenericDict().at("param_groups").toList()
                   .get(1).toGenericDict();
  auto ids = group.at("params").toList();
  ids.erase(ids.begin() + 3);
  auto report = ReplayOfficialStepsFromCheckpoint(f.steps, f.checkpoint, kCheckpoint);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("param_groups[1]: 11 parameters, expected 12 (predictor"),
            absl::string_view::npos)
      << report.status();
}

}  // namespace
}  // namespace ijepa::training
