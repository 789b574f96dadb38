// Integration tests of the trainer on generated images: the loss falls, the outputs are written,
// resuming is bitwise exact on CPU, resume and NaN failures are loud.
#include "ijepa/training/trainer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

#include "ijepa/checkpoint/torch_file.h"
#include "ijepa/common/event_file_reader.h"
#include "ijepa/training/config.h"
#include "ijepa/training/synthetic_dataset.h"

namespace ijepa::training {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// vit_tiny on 16x16 grey images, patch 4 (a 4x4 grid), batch 8: about 0.1 s per step.
constexpr char kTiny[] = R"pb(
  data { batch_size: 8 crop_size: 16 channels: 1 num_workers: 1 crop_scale: [0.6, 1.0] }
  mask {
    patch_size: 4
    min_keep: 1
    pred_mask_scale: [0.25, 0.35]
    enc_mask_scale: [0.85, 1.0]
  }
  meta { model_name: "vit_tiny" pred_depth: 2 pred_emb_dim: 48 }
  optimization {
    epochs: 10
    warmup: 1
    start_lr: 0.0002
    lr: 0.002
    final_lr: 1e-6
    ema: [0.99, 1.0]
  }
  logging { log_freq: 1000 }
  threads: 1
  seed: 5
)pb";

std::string TestDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const fs::path dir = fs::path(tmp != nullptr ? tmp : "/tmp") / name;
  fs::remove_all(dir);
  return dir.string();
}

PretrainConfig TinyConfig(const std::string& folder) {
  auto config = ParseConfigText(kTiny, "tiny");
  EXPECT_TRUE(config.ok()) << config.status();
  config->mutable_logging()->set_folder(folder);
  return *config;
}

TrainerDeps Deps(int64_t images) {
  TrainerDeps deps;
  deps.dataset = std::make_shared<SyntheticDataset>(images, 16);
  deps.print = [](const std::string&) {};
  return deps;
}

std::vector<torch::Tensor> AllState(Trainer& t) {
  std::vector<torch::Tensor> all;
  for (auto* m : std::vector<torch::nn::Module*>{t.encoder().get(), t.predictor().get(),
                                                 t.target_encoder().get()}) {
    for (const auto& p : m->parameters()) all.push_back(p.detach().clone());
  }
  return all;
}

double Mean(const std::vector<double>& v, size_t begin, size_t end) {
  return std::accumulate(v.begin() + begin, v.begin() + end, 0.0) / static_cast<double>(end - begin);
}

TEST(TrainerTest, LossDecreasesAndOutputsAreWritten) {
  const std::string dir = TestDir("decrease");
  PretrainConfig config = TinyConfig(dir);
  config.mutable_optimization()->set_epochs(6);  // 6 x 8 = 48 steps
  config.mutable_logging()->set_checkpoint_freq(3);
  auto trainer_run = ValidatePretrainConfig(config);
  ASSERT_TRUE(trainer_run.ok()) << trainer_run.status();
  auto trainer = Trainer::Create(*trainer_run, Deps(64));
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  EXPECT_EQ((*trainer)->iterations_per_epoch(), 8);
  auto summary = (*trainer)->Run();
  ASSERT_TRUE(summary.ok()) << summary.status();
  ASSERT_EQ(summary->losses.size(), 48u);
  EXPECT_EQ(summary->steps, 48);
  EXPECT_EQ(summary->epochs_completed, 6);
  const double first = Mean(summary->losses, 0, 8), last = Mean(summary->losses, 40, 48);
  EXPECT_LT(last, 0.7 * first) << "first epoch " << first << ", last epoch " << last;

  // Output folder: resolved config, official CSV, checkpoints, loss curve.
  EXPECT_TRUE(fs::exists(fs::path(dir) / "params-ijepa.pbtxt"));
  EXPECT_TRUE(fs::exists(fs::path(dir) / "jepa-loss.svg"));
  EXPECT_TRUE(fs::exists(fs::path(dir) / "jepa-ep3.pth.tar"));
  EXPECT_TRUE(fs::exists(fs::path(dir) / "jepa-ep6.pth.tar"));
  std::ifstream csv(fs::path(dir) / "jepa_r0.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header, "epoch,itr,loss,mask-A,mask-B,time (ms),rankme,pred-std");
  int rows = 0, rows_with_rankme = 0;
  for (std::string line; std::getline(csv, line);) {
    ++rows;
    // RankMe on logged steps only: itr 0 of each epoch (log_freq 1000) and the last step.
    if (line.find(",,") == std::string::npos) ++rows_with_rankme;
  }
  EXPECT_EQ(rows, 48);
  EXPECT_EQ(rows_with_rankme, 7);
  EXPECT_GT(summary->relative_rankme, 0.0);
  EXPECT_LE(summary->relative_rankme, 1.0);
  EXPECT_GT(summary->prediction_std, 0.0);

  auto ckpt = checkpoint::ReadTorchFile((*trainer)->LatestCheckpointPath());
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  const auto dict = ckpt->toGenericDict();
  for (const char* key : {"encoder", "predictor", "target_encoder", "opt", "scaler", "epoch",
                          "loss", "batch_size", "world_size", "lr", "itr", "config", "rng"}) {
    EXPECT_TRUE(dict.contains(key)) << key;
  }
  EXPECT_EQ(dict.at("epoch").toInt(), 6);
  EXPECT_EQ(dict.at("batch_size").toInt(), 8);
  // DistributedDataParallel's prefix, as in every official file, whatever the world size.
  EXPECT_TRUE(dict.at("encoder").toGenericDict().contains("module.blocks.0.attn.qkv.weight"));
  EXPECT_TRUE(dict.at("target_encoder").toGenericDict().contains("module.pos_embed"));
  EXPECT_THAT(dict.at("config").toStringRef(), HasSubstr("vit_tiny"));
}

TEST(TrainerTest, WarnsWhenRankMeIsBelowTheConfiguredFractionOnceTheWindowIsFull) {
  for (const double fraction : {0.0, 1.0}) {
    const std::string dir = TestDir("rankme_warning");
    PretrainConfig config = TinyConfig(dir);
    config.mutable_optimization()->set_max_steps(4);
    config.mutable_logging()->set_log_freq(1);
    config.mutable_logging()->set_rankme_window(16);  // full after 2 steps of 8 images
    // A rank can never exceed its maximum, so 1.0 warns on every step with a full window.
    config.mutable_logging()->set_rankme_warn_fraction(fraction);
    TrainerDeps deps = Deps(64);
    std::vector<std::string> lines;
    deps.print = [&lines](const std::string& line) { lines.push_back(line); };
    auto trainer_run = ValidatePretrainConfig(config);
    ASSERT_TRUE(trainer_run.ok()) << trainer_run.status();
    auto trainer = Trainer::Create(*trainer_run, deps);
    ASSERT_TRUE(trainer.ok()) << trainer.status();
    ASSERT_TRUE((*trainer)->Run().ok());
    int progress = 0, warnings = 0;
    for (const std::string& line : lines) {
      if (line.rfind("ep ", 0) == 0) {
        ++progress;
        EXPECT_THAT(line, HasSubstr(" | rankme "));
        EXPECT_THAT(line, HasSubstr(" pred-std "));
      }
      if (line.rfind("WARNING: RankMe", 0) == 0) {
        ++warnings;
        EXPECT_THAT(line, HasSubstr("logging.rankme_warn_fraction 1.00"));
      }
    }
    EXPECT_EQ(progress, 4);
    EXPECT_EQ(warnings, fraction > 0 ? 3 : 0) << "fraction " << fraction;
  }
}

TEST(TrainerTest, InterruptedAndResumedEqualsUninterruptedBitwise) {
  // 8 steps per epoch; stop after 11 steps (inside epoch 2), resume to 20 steps.
  const std::string dir_a = TestDir("uninterrupted"), dir_b = TestDir("interrupted");
  PretrainConfig a = TinyConfig(dir_a);
  a.mutable_optimization()->set_max_steps(20);
  auto ta_run = ValidatePretrainConfig(a);
  ASSERT_TRUE(ta_run.ok()) << ta_run.status();
  auto ta = Trainer::Create(*ta_run, Deps(64));
  ASSERT_TRUE(ta.ok()) << ta.status();
  auto sa = (*ta)->Run();
  ASSERT_TRUE(sa.ok()) << sa.status();
  ASSERT_EQ(sa->steps, 20);

  PretrainConfig b = TinyConfig(dir_b);
  b.mutable_optimization()->set_max_steps(11);
  {
    auto tb_run = ValidatePretrainConfig(b);
    ASSERT_TRUE(tb_run.ok()) << tb_run.status();
    auto tb = Trainer::Create(*tb_run, Deps(64));
    ASSERT_TRUE(tb.ok()) << tb.status();
    auto sb = (*tb)->Run();
    ASSERT_TRUE(sb.ok()) << sb.status();
    ASSERT_EQ(sb->steps, 11);
  }
  // A different seed for LibTorch's global generator in between must not matter.
  torch::manual_seed(999);
  b.mutable_optimization()->set_max_steps(20);
  b.mutable_meta()->set_load_checkpoint(true);
  auto tc_run = ValidatePretrainConfig(b);
  ASSERT_TRUE(tc_run.ok()) << tc_run.status();
  auto tc = Trainer::Create(*tc_run, Deps(64));
  ASSERT_TRUE(tc.ok()) << tc.status();
  EXPECT_EQ((*tc)->global_step(), 11);
  auto sc = (*tc)->Run();
  ASSERT_TRUE(sc.ok()) << sc.status();
  EXPECT_EQ(sc->start_step, 11);
  EXPECT_EQ(sc->steps, 20);
  EXPECT_EQ(sc->losses.size(), 9u);
  for (size_t i = 0; i < 9; ++i) EXPECT_EQ(sc->losses[i], sa->losses[11 + i]) << "step " << 12 + i;

  const auto state_a = AllState(**ta), state_c = AllState(**tc);
  ASSERT_EQ(state_a.size(), state_c.size());
  for (size_t i = 0; i < state_a.size(); ++i) {
    EXPECT_TRUE(torch::equal(state_a[i], state_c[i])) << "tensor " << i;
  }
  // The resumed CSV holds exactly one row per step.
  std::ifstream csv(fs::path(dir_b) / "jepa_r0.csv");
  int rows = -1;
  for (std::string line; std::getline(csv, line);) ++rows;
  EXPECT_EQ(rows, 20);

  // TensorBoard (on by default): one event file per run, steps continuing across them. Logged
  // steps with log_freq 1000: itr 0 of each epoch and each run's last step.
  const std::vector<std::string> files = common::EventFilesIn(dir_b + "/tb");
  ASSERT_EQ(files.size(), 2u);
  std::vector<int64_t> steps;
  for (const std::string& file : files) {
    auto events = common::ReadEventFile(file);
    ASSERT_TRUE(events.ok()) << events.status();
    ASSERT_FALSE(events->empty());
    EXPECT_EQ((*events)[0].file_version(), "brain.Event:2");
    for (size_t i = 1; i < events->size(); ++i) {
      const auto& e = (*events)[i];
      if (e.has_session_log()) {
        EXPECT_EQ(e.step(), 12) << "the restart marker follows the restored step 11";
        continue;
      }
      ASSERT_GE(e.summary().value_size(), 1);
      EXPECT_EQ(e.summary().value(0).tag(), "train/loss");
      steps.push_back(e.step());
    }
  }
  EXPECT_THAT(steps, ::testing::ElementsAre(1, 9, 11, 17, 20));
}

TEST(TrainerTest, ResumeWithoutReadableCheckpointFailsLoudly) {
  const std::string dir = TestDir("bad_resume");
  PretrainConfig config = TinyConfig(dir);
  config.mutable_meta()->set_load_checkpoint(true);
  auto missing_run = ValidatePretrainConfig(config);
  ASSERT_TRUE(missing_run.ok()) << missing_run.status();
  auto missing = Trainer::Create(*missing_run, Deps(64));
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("cannot resume"));
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("jepa-latest.pth.tar"));

  fs::create_directories(dir);
  std::ofstream(fs::path(dir) / "garbage.pth.tar") << "not a checkpoint";
  config.mutable_meta()->set_read_checkpoint("garbage.pth.tar");
  auto corrupt_run = ValidatePretrainConfig(config);
  ASSERT_TRUE(corrupt_run.ok()) << corrupt_run.status();
  auto corrupt = Trainer::Create(*corrupt_run, Deps(64));
  ASSERT_FALSE(corrupt.ok());
  EXPECT_THAT(std::string(corrupt.status().message()), HasSubstr("garbage.pth.tar"));
}

TEST(TrainerTest, NonFiniteLossStopsWithStepLrAndLastFiniteLoss) {
  const std::string dir = TestDir("nan");
  PretrainConfig config = TinyConfig(dir);
  // An absurd learning rate blows the weights up within a few steps.
  config.mutable_optimization()->set_start_lr(1e30);
  config.mutable_optimization()->set_lr(1e30);
  config.mutable_optimization()->set_final_lr(1e30);
  config.mutable_optimization()->set_warmup(0);
  config.mutable_logging()->set_checkpoint_every_steps(1);
  auto trainer_run = ValidatePretrainConfig(config);
  ASSERT_TRUE(trainer_run.ok()) << trainer_run.status();
  auto trainer = Trainer::Create(*trainer_run, Deps(64));
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  auto summary = (*trainer)->Run();
  ASSERT_FALSE(summary.ok());
  const std::string message(summary.status().message());
  EXPECT_THAT(message, HasSubstr("global step"));
  EXPECT_THAT(message, HasSubstr("lr 1.000e+30"));
  EXPECT_THAT(message, HasSubstr("last finite loss"));
  EXPECT_THAT(message, HasSubstr("jepa-latest.pth.tar"));
  // The checkpoint of the last finite step is intact.
  EXPECT_TRUE(checkpoint::ReadTorchFile((*trainer)->LatestCheckpointPath()).ok());
}

TEST(TrainerTest, InvalidConfigFailsBeforeAnyWork) {
  const std::string dir = TestDir("invalid");
  PretrainConfig config = TinyConfig(dir);
  config.mutable_optimization()->set_epochs(0);
  // A trainer is built only from a validated config (Trainer::Create takes one), so the config's
  // one door is where an invalid one stops.
  auto run = ValidatePretrainConfig(config);
  ASSERT_FALSE(run.ok());
  EXPECT_THAT(std::string(run.status().message()), HasSubstr("optimization.epochs"));
  EXPECT_FALSE(fs::exists(dir));
}

}  // namespace
}  // namespace ijepa::training
