#include "ijepa/training/run_checkpoints.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "ijepa/checkpoint/encoder_config.h"
#include "ijepa/checkpoint/torch_file.h"
#include "ijepa/training/config.h"
#include "ijepa/training/optimizer.h"

namespace ijepa::training {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string TestDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const fs::path dir = fs::path(tmp != nullptr ? tmp : "/tmp") / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

// Small stand-ins for the models: the checkpoint code only sees modules and the optimizer.
struct Modules {
  torch::nn::Linear encoder{3, 2}, predictor{2, 3}, target_encoder{3, 2};
  PretrainOptimizer optimizer{*encoder, *predictor};
  TrainingModules View() {
    return {encoder.get(), predictor.get(), target_encoder.get(), &optimizer};
  }
};

PretrainConfig Config(const std::string& folder) {
  PretrainConfig config;
  config.mutable_logging()->set_folder(folder);
  config.mutable_logging()->set_write_tag("run");
  config.mutable_logging()->set_checkpoint_every_steps(2);
  config.mutable_logging()->set_checkpoint_freq(2);
  return config;
}

ResumeState State(int64_t epoch, int64_t itr, int64_t global_step) {
  ResumeState s;
  s.epoch = epoch;
  s.itr = itr;
  s.global_step = global_step;
  s.epoch_loss_sum = 0.5 * static_cast<double>(itr);
  s.epoch_loss_count = itr;
  return s;
}

TEST(RunCheckpointsTest, WritesOnTheConfiguredCadence) {
  const std::string dir = TestDir("cadence");
  Modules m;
  RunCheckpoints checkpoints(Config(dir), m.View(), /*rank=*/0, /*world_size=*/1,
                             /*iterations_per_epoch=*/5);
  const std::string latest = (fs::path(dir) / "run-latest.pth.tar").string();
  EXPECT_EQ(checkpoints.LatestPath(), latest);

  ASSERT_TRUE(checkpoints.AfterStep(State(0, 1, 1), /*stop=*/false).ok());
  EXPECT_FALSE(fs::exists(latest));
  EXPECT_EQ(checkpoints.latest_written(), "");
  ASSERT_TRUE(checkpoints.AfterStep(State(0, 2, 2), /*stop=*/false).ok());  // every 2 steps
  EXPECT_TRUE(fs::exists(latest));
  EXPECT_EQ(checkpoints.latest_written(), latest);
  fs::remove(latest);
  ASSERT_TRUE(checkpoints.AfterStep(State(0, 3, 3), /*stop=*/true).ok());  // where the run stops
  EXPECT_TRUE(fs::exists(latest));

  fs::remove(latest);
  ASSERT_TRUE(checkpoints.AfterEpoch(State(1, 0, 5), 0.25).ok());
  EXPECT_TRUE(fs::exists(latest));
  EXPECT_FALSE(fs::exists(fs::path(dir) / "run-ep1.pth.tar"));
  ASSERT_TRUE(checkpoints.AfterEpoch(State(2, 0, 10), 0.25).ok());  // every 2 epochs
  EXPECT_TRUE(fs::exists(fs::path(dir) / "run-ep2.pth.tar"));
  EXPECT_EQ(checkpoints.latest_written(), latest);
}

// Evaluation reads the encoder's config from `encoder_config`, and from the run's `config` text in
// files written before that entry existed (checkpoint::ReadEncoderConfig's mirror of
// PretrainConfig): both must give what ModelConfigFor and the data section say.
TEST(RunCheckpointsTest, WritesTheEncoderConfigEvaluationReads) {
  const std::string dir = TestDir("encoder_config");
  PretrainConfig config = Config(dir);
  ASSERT_TRUE(ApplyOverride("meta.model_name=vit_small", &config).ok());
  ASSERT_TRUE(ApplyOverride("meta.pred_depth=3", &config).ok());
  ASSERT_TRUE(ApplyOverride("meta.pred_drop_path_rate=0.2", &config).ok());
  ASSERT_TRUE(ApplyOverride("mask.patch_size=8", &config).ok());
  ASSERT_TRUE(ApplyOverride("data.crop_size=64", &config).ok());
  ASSERT_TRUE(ApplyOverride("data.normalization_mean=0.1,0.2,0.3", &config).ok());
  ASSERT_TRUE(ApplyOverride("optimization.ema=0.99,1.0", &config).ok());
  Modules m;
  RunCheckpoints checkpoints(config, m.View(), /*rank=*/0, /*world_size=*/1, /*iterations_per_epoch=*/5);
  ASSERT_TRUE(checkpoints.AfterStep(State(0, 2, 2), /*stop=*/false).ok());
  auto file = checkpoint::ReadTorchFile(checkpoints.LatestPath());
  ASSERT_TRUE(file.ok()) << file.status();
  auto dict = file->toGenericDict();

  checkpoint::EncoderConfig expected;
  *expected.mutable_model() = ModelConfigFor(config);
  *expected.mutable_data() = config.data();
  auto written = checkpoint::ReadEncoderConfig(dict, "latest");
  ASSERT_TRUE(written.ok()) << written.status();
  ASSERT_TRUE(written->has_value());
  EXPECT_EQ((*written)->DebugString(), expected.DebugString());

  ASSERT_EQ(dict.erase(std::string(checkpoint::kEncoderConfigEntry)), 1u);  // as an older file has it
  auto older = checkpoint::ReadEncoderConfig(dict, "latest");
  ASSERT_TRUE(older.ok()) << older.status();
  ASSERT_TRUE(older->has_value());
  EXPECT_EQ((*older)->DebugString(), expected.DebugString());
}

TEST(RunCheckpointsTest, OnlyRankZeroWrites) {
  const std::string dir = TestDir("rank1");
  Modules m;
  RunCheckpoints checkpoints(Config(dir), m.View(), /*rank=*/1, /*world_size=*/2, 5);
  ASSERT_TRUE(checkpoints.AfterStep(State(0, 2, 2), /*stop=*/true).ok());
  ASSERT_TRUE(checkpoints.AfterEpoch(State(2, 0, 10), 0.25).ok());
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST(RunCheckpointsTest, ResumesModulesStateAndGenerator) {
  const std::string dir = TestDir("resume");
  Modules saved;
  RunCheckpoints writer(Config(dir), saved.View(), 0, 1, 5);
  ASSERT_TRUE(writer.AfterStep(State(1, 2, 7), /*stop=*/true).ok());
  const torch::Tensor next_draw = torch::rand({4});  // the generator as saved

  Modules restored;
  PretrainConfig config = Config(dir);
  config.mutable_meta()->set_load_checkpoint(true);
  RunCheckpoints reader(config, restored.View(), 0, 1, 5);
  auto state = reader.Resume();
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->epoch, 1);
  EXPECT_EQ(state->itr, 2);
  EXPECT_EQ(state->global_step, 7);
  EXPECT_EQ(reader.resumed_from(), reader.LatestPath());
  EXPECT_TRUE(torch::equal(restored.encoder->weight, saved.encoder->weight));
  EXPECT_TRUE(torch::equal(restored.target_encoder->weight, saved.target_encoder->weight));
  EXPECT_TRUE(torch::equal(torch::rand({4}), next_draw));

  // meta.read_checkpoint: relative to logging.folder.
  config.mutable_meta()->set_read_checkpoint("run-latest.pth.tar");
  RunCheckpoints named(config, restored.View(), 0, 1, 5);
  ASSERT_TRUE(named.Resume().ok());
  EXPECT_EQ(named.resumed_from(), reader.LatestPath());
}

TEST(RunCheckpointsTest, AMissingCheckpointIsAnErrorNamingIt) {
  const std::string dir = TestDir("missing");
  Modules m;
  PretrainConfig config = Config(dir);
  config.mutable_meta()->set_load_checkpoint(true);
  RunCheckpoints checkpoints(config, m.View(), 0, 1, 5);
  auto state = checkpoints.Resume();
  ASSERT_FALSE(state.ok());
  const std::string message(state.status().message());
  EXPECT_THAT(message, HasSubstr("cannot resume (meta.load_checkpoint)"));
  EXPECT_THAT(message, HasSubstr("run-latest.pth.tar"));
  EXPECT_EQ(checkpoints.resumed_from(), "");
}

}  // namespace
}  // namespace ijepa::training
