// Resuming from a checkpoint the official train.py wrote (issue 14): the fixtures are made by
// tools/make_training_fixture.py from facebookresearch/ijepa's own main(): a 2-epoch run of 2
// steps each, its jepa-latest.pth.tar after epoch 1 (DDP `module.` keys, AdamW state over the
// official groups with the frozen position embeddings), and every step it took.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <string>

#include "ijepa/checkpoint/torch_file.h"
#include "ijepa/models/model_options.h"
#include "ijepa/models/predictor.h"
#include "ijepa/models/vision_transformer.h"
#include "ijepa/training/optimizer.h"
#include "ijepa/training/replay.h"
#include "ijepa/training/training_checkpoint.h"

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

// A list of ints, however it was built (the reader gives generic lists, the writer int lists).
std::vector<int64_t> Ids(const c10::IValue& list) {
  std::vector<int64_t> ids;
  for (const c10::IValue& v : list.toListRef()) ids.push_back(v.toInt());
  return ids;
}

// Python writes 0 for an int and 0.04 for a float; both are numbers to the official loader.
double Number(const c10::IValue& v) { return v.isDouble() ? v.toDouble() : static_cast<double>(v.toInt()); }

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

// The other direction, inside `bazel test`: what this project writes for the same state is what
// the official train.py wrote, entry for entry (state-dict keys with `module.` in the official
// order, AdamW groups with the same members, ids, hyper-parameters and state), so the official
// load_checkpoint reads it as it reads its own file (tools/check_official_resume.py runs that on
// a real pretrain checkpoint).
TEST(OfficialResumeTest, OurCheckpointOfTheSameStateIsTheOfficialFileEntryForEntry) {
  const Fixtures f = Read();
  const auto official = f.checkpoint.toGenericDict();
  // The fixture's architecture (tools/make_training_fixture.py --embed-dim 16 --depth 2
  // --num-heads 2 --crop 24 --patch 4 --pred-depth 2 --pred-dim 8).
  models::VisionTransformerOptions e;
  e.img_size = 24;
  e.patch_size = 4;
  e.embed_dim = 16;
  e.depth = 2;
  e.num_heads = 2;
  models::VisionTransformer encoder(e), target_encoder(e);
  models::VisionTransformerPredictor predictor(models::PredictorForEncoder(e, 8, 2));
  for (auto& p : target_encoder->parameters()) p.set_requires_grad(false);
  PretrainOptimizer optimizer(*encoder, *predictor);
  const TrainingModules modules{encoder.get(), predictor.get(), target_encoder.get(), &optimizer};
  auto state = RestoreTrainingCheckpoint(f.checkpoint, kCheckpoint, modules, 2);
  ASSERT_TRUE(state.ok()) << state.status();
  CheckpointInfo info;
  info.batch_size = official.at("batch_size").toInt();
  info.world_size = official.at("world_size").toInt();
  info.lr = Number(official.at("lr"));
  info.loss = Number(official.at("loss"));
  info.iterations_per_epoch = 2;
  const auto ours = TrainingCheckpointDict(modules, *state, info);

  for (const char* key : {"encoder", "predictor", "target_encoder"}) {
    const auto a = ours.at(key).toGenericDict(), b = official.at(key).toGenericDict();
    ASSERT_EQ(a.size(), b.size()) << key;
    for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
      ASSERT_EQ(ia->key().toStringRef(), ib->key().toStringRef()) << key;  // names and order
      EXPECT_TRUE(at::equal(ia->value().toTensor(), ib->value().toTensor())) << ia->key().toStringRef();
    }
  }
  for (const char* key : {"epoch", "batch_size", "world_size"}) {
    EXPECT_EQ(ours.at(key).toInt(), official.at(key).toInt()) << key;
  }
  EXPECT_TRUE(ours.at("scaler").isNone());

  const auto opt_a = ours.at("opt").toGenericDict(), opt_b = official.at("opt").toGenericDict();
  const auto groups_a = opt_a.at("param_groups").toList(), groups_b = opt_b.at("param_groups").toList();
  ASSERT_EQ(groups_a.size(), groups_b.size());
  for (size_t g = 0; g < groups_a.size(); ++g) {
    const auto ga = groups_a.get(g).toGenericDict(), gb = groups_b.get(g).toGenericDict();
    EXPECT_EQ(Ids(ga.at("params")), Ids(gb.at("params"))) << "group " << g;
    EXPECT_EQ(ga.contains("WD_exclude"), gb.contains("WD_exclude")) << "group " << g;
    for (const char* h : {"weight_decay", "eps"}) {
      EXPECT_DOUBLE_EQ(Number(ga.at(h)), Number(gb.at(h))) << "group " << g << " " << h;
    }
    // Every official hyper-parameter key is present (opt.load_state_dict copies them).
    for (const auto& item : gb) {
      EXPECT_TRUE(ga.contains(item.key())) << "group " << g << " lacks " << item.key().toStringRef();
    }
  }
  const auto state_a = opt_a.at("state").toGenericDict(), state_b = opt_b.at("state").toGenericDict();
  ASSERT_EQ(state_a.size(), state_b.size());
  for (const auto& item : state_b) {
    ASSERT_TRUE(state_a.contains(item.key())) << "no AdamW state for id " << item.key().toInt();
    const auto sa = state_a.at(item.key()).toGenericDict(), sb = item.value().toGenericDict();
    for (const char* m : {"exp_avg", "exp_avg_sq", "step"}) {
      EXPECT_TRUE(at::equal(sa.at(m).toTensor(), sb.at(m).toTensor()))
          << "id " << item.key().toInt() << " " << m;
    }
  }
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
