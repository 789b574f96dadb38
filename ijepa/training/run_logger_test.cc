#include "ijepa/training/run_logger.h"

#include <ATen/ATen.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ijepa/common/event_file_reader.h"

namespace ijepa::training {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string TempDir(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const fs::path path = fs::path(dir != nullptr ? dir : "/tmp") / name;
  fs::remove_all(path);
  return path.string();
}

std::string Slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A 4-row batch of 4-dim pooled targets: spread over all directions, or all along one.
TrainStepResult Result(double loss, bool collapsed) {
  TrainStepResult r;
  r.loss = loss;
  r.stepped = true;
  r.lr = 1e-3;
  r.wd = 0.04;
  r.grad_stats = {0.5, 0.25, 0.125, 1.0};
  r.pooled_targets = collapsed ? at::ones({4, 1}) * at::arange(1, 5, at::kFloat).reshape({1, 4})
                               : at::eye(4) + 0.1 * at::arange(16, at::kFloat).reshape({4, 4});
  r.prediction_std = 0.05;
  return r;
}

StepContext Step(int64_t itr, double seconds, bool last = false) {
  StepContext c;
  c.epoch = 0;
  c.itr = itr;
  c.global_step = itr + 1;
  c.avg_loss = 0.5;
  c.mask_a = 12;
  c.mask_b = 5;
  c.seconds = seconds;
  c.last = last;
  return c;
}

struct Fixture {
  RunLoggerOptions options;
  std::vector<std::string> lines;

  explicit Fixture(const std::string& name) {
    options.folder = TempDir(name);
    options.tag = "jepa";
    options.config_text = "seed: 7\n";
    options.iterations_per_epoch = 10;
    options.epochs = 1;
    options.total_steps = 10;
    options.images_per_step = 8;
    options.log_freq = 2;
    options.rankme_window = 8;
    options.rankme_warn_fraction = 0.25;
    options.embed_dim = 4;
    options.svg_title = "test";
    options.print = [this](const std::string& line) { lines.push_back(line); };
  }
};

TEST(RunLoggerTest, WritesTheRunFilesAndOneCsvRowPerStep) {
  Fixture f("files");
  f.options.subset_indices = std::vector<int64_t>{3, 1, 4};
  auto logger = RunLogger::Open(f.options);
  ASSERT_TRUE(logger.ok()) << logger.status();
  EXPECT_EQ(Slurp(fs::path(f.options.folder) / "params-ijepa.pbtxt"), "seed: 7\n");
  EXPECT_EQ(Slurp(fs::path(f.options.folder) / "train_subset.txt"), "3\n1\n4\n");
  const double seconds[] = {0.25, 0.5, 0.5, 1.0};
  for (int itr = 0; itr < 4; ++itr) {
    ASSERT_TRUE((*logger)->Step(Step(itr, seconds[itr], itr == 3), Result(0.5, false)).ok());
  }
  const std::vector<std::string> csv = Lines(Slurp(fs::path(f.options.folder) / "jepa_r0.csv"));
  ASSERT_EQ(csv.size(), 5u);
  EXPECT_EQ(csv[0], "epoch,itr,loss,mask-A,mask-B,time (ms),rankme,pred-std");
  // RankMe on logged steps (itr 0, 2) and the last step only; pred-std on every step.
  EXPECT_THAT(csv[1], StartsWith("1,0,0.50000,12.00000,5.00000,250,"));
  EXPECT_EQ(csv[2], "1,1,0.50000,12.00000,5.00000,500,,0.05000");
  EXPECT_THAT(csv[3], StartsWith("1,2,0.50000,12.00000,5.00000,500,"));
  EXPECT_THAT(csv[4], StartsWith("1,3,0.50000,12.00000,5.00000,1000,"));
  for (int row : {1, 3, 4}) EXPECT_THAT(csv[row], Not(HasSubstr(",,"))) << csv[row];

  ASSERT_TRUE((*logger)->EpochDone(0, 0.5).ok());
  EXPECT_TRUE(fs::exists(fs::path(f.options.folder) / "jepa-loss.svg"));
  EXPECT_GT((*logger)->relative_rankme(), 0.25);
  // tensorboard off (RunLoggerOptions' default): no tb/ folder.
  EXPECT_FALSE(fs::exists(fs::path(f.options.folder) / "tb"));
}

TEST(RunLoggerTest, ProgressLinesAverageOverTheStepsSinceTheLastLine) {
  Fixture f("progress");
  auto logger = RunLogger::Open(f.options);
  ASSERT_TRUE(logger.ok()) << logger.status();
  const double seconds[] = {0.25, 0.5, 0.5, 1.0};
  for (int itr = 0; itr < 4; ++itr) {
    ASSERT_TRUE((*logger)->Step(Step(itr, seconds[itr], itr == 3), Result(0.5, false)).ok());
  }
  ASSERT_EQ(f.lines.size(), 5u);
  // itr 0: one step of 0.25 s, 8 images; 9 steps left at 0.25 s.
  EXPECT_THAT(f.lines[0], StartsWith("ep 1/1 it 1/10 [ 10.0%] loss 0.5000 (avg 0.5000) lr 1.00e-03 "
                                     "wd 4.00e-02 masks 12/5 | rankme "));
  EXPECT_THAT(f.lines[0], HasSubstr("/4 pred-std 0.0500 | 32.0 img/s 250 ms/step | ETA 2s"));
  EXPECT_EQ(f.lines[1], "  grad_stats: [5.00e-01 2.50e-01] (1.25e-01, 1.00e+00)");
  // itr 2: itr 1 and 2 together, 1 s for 16 images; 7 steps left at 0.5 s.
  EXPECT_THAT(f.lines[2], HasSubstr("16.0 img/s 500 ms/step | ETA 4s"));
  EXPECT_THAT(f.lines[3], StartsWith("  grad_stats: "));
  // itr 3 is not a log_freq step but the last one: a progress line, no gradient line.
  EXPECT_THAT(f.lines[4], StartsWith("ep 1/1 it 4/10 [ 40.0%]"));
  EXPECT_THAT(f.lines[4], HasSubstr("8.0 img/s 1000 ms/step | ETA 6s"));
  ASSERT_TRUE((*logger)->EpochDone(0, 0.123456).ok());
  EXPECT_EQ(f.lines.back(), "epoch 1/1 done: avg. loss 0.12346");
}

TEST(RunLoggerTest, WarnsWhenRankMeFallsBelowTheFractionOnceTheWindowIsFull) {
  Fixture f("collapse");
  f.options.log_freq = 1;
  f.options.rankme_warn_fraction = 0.5;
  auto logger = RunLogger::Open(f.options);
  ASSERT_TRUE(logger.ok()) << logger.status();
  // Window of 8 rows, 4 per step: full from the second step on.
  ASSERT_TRUE((*logger)->Step(Step(0, 0.1), Result(0.5, true)).ok());
  ASSERT_TRUE((*logger)->Step(Step(1, 0.1), Result(0.5, true)).ok());
  std::vector<std::string> warnings;
  for (const std::string& line : f.lines) {
    if (line.rfind("WARNING", 0) == 0) warnings.push_back(line);
  }
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], StartsWith("WARNING: RankMe 1.0 is 25.0% of its maximum 4, below "
                                      "logging.rankme_warn_fraction 0.50"));
  EXPECT_NEAR((*logger)->relative_rankme(), 0.25, 1e-3);

  // Spread features never warn.
  Fixture g("healthy");
  g.options.log_freq = 1;
  g.options.rankme_warn_fraction = 0.5;
  auto healthy = RunLogger::Open(g.options);
  ASSERT_TRUE(healthy.ok()) << healthy.status();
  for (int itr = 0; itr < 3; ++itr) {
    ASSERT_TRUE((*healthy)->Step(Step(itr, 0.1), Result(0.5, false)).ok());
  }
  for (const std::string& line : g.lines) EXPECT_THAT(line, Not(StartsWith("WARNING")));
}

TEST(RunLoggerTest, OtherRanksPrintNothingAndWriteOnlyTheirCsv) {
  Fixture f("rank1");
  f.options.rank = 1;
  f.options.subset_indices = std::vector<int64_t>{0};
  auto logger = RunLogger::Open(f.options);
  ASSERT_TRUE(logger.ok()) << logger.status();
  ASSERT_TRUE((*logger)->Step(Step(0, 0.1), Result(0.5, false)).ok());
  ASSERT_TRUE((*logger)->EpochDone(0, 0.5).ok());
  EXPECT_TRUE(f.lines.empty());
  EXPECT_TRUE(fs::exists(fs::path(f.options.folder) / "jepa_r1.csv"));
  EXPECT_FALSE(fs::exists(fs::path(f.options.folder) / "params-ijepa.pbtxt"));
  EXPECT_FALSE(fs::exists(fs::path(f.options.folder) / "train_subset.txt"));
  EXPECT_FALSE(fs::exists(fs::path(f.options.folder) / "jepa-loss.svg"));
  EXPECT_FALSE(fs::exists(fs::path(f.options.folder) / "tb"));
}

TEST(RunLoggerTest, ResumingKeepsTheRowsOfTheStepsBefore) {
  Fixture f("resume");
  {
    auto logger = RunLogger::Open(f.options);
    ASSERT_TRUE(logger.ok()) << logger.status();
    for (int itr = 0; itr < 3; ++itr) {
      ASSERT_TRUE((*logger)->Step(Step(itr, 0.1), Result(0.5, false)).ok());
    }
  }
  f.options.resume = true;
  f.options.start_step = 2;  // the checkpoint was after step 2; step 3's row goes
  auto logger = RunLogger::Open(f.options);
  ASSERT_TRUE(logger.ok()) << logger.status();
  ASSERT_TRUE((*logger)->Step(Step(2, 0.2), Result(0.25, false)).ok());
  const std::vector<std::string> csv = Lines(Slurp(fs::path(f.options.folder) / "jepa_r0.csv"));
  ASSERT_EQ(csv.size(), 4u);
  EXPECT_THAT(csv[3], StartsWith("1,2,0.25000,12.00000,5.00000,200,"));
  ASSERT_TRUE((*logger)->WriteLossCurve().ok());
  EXPECT_TRUE(fs::exists(fs::path(f.options.folder) / "jepa-loss.svg"));
}

// The scalar events of every event file in `folder`/tb, in TensorBoard's reading order, after
// checking that each file starts with its version record.
std::vector<ijepa::tensorboard::Event> TensorBoardEvents(const std::string& folder,
                                                         size_t expected_files) {
  std::vector<ijepa::tensorboard::Event> all;
  const std::vector<std::string> files = common::EventFilesIn(folder + "/tb");
  EXPECT_EQ(files.size(), expected_files);
  for (const std::string& file : files) {
    auto events = common::ReadEventFile(file);
    EXPECT_TRUE(events.ok()) << events.status();
    if (!events.ok() || events->empty()) continue;
    EXPECT_EQ((*events)[0].file_version(), "brain.Event:2") << file;
    all.insert(all.end(), events->begin() + 1, events->end());
  }
  return all;
}

std::vector<std::string> Tags(const ijepa::tensorboard::Event& e) {
  std::vector<std::string> tags;
  for (const auto& v : e.summary().value()) tags.push_back(v.tag());
  return tags;
}

TEST(RunLoggerTest, TensorBoardGetsTheScalarsOfLoggedStepsAndTheProbe) {
  Fixture f("tensorboard");
  f.options.tensorboard = true;
  auto logger = RunLogger::Open(f.options);
  ASSERT_TRUE(logger.ok()) << logger.status();
  EXPECT_THAT((*logger)->tensorboard_path(), HasSubstr("/tb/events.out.tfevents."));
  TrainStepResult r = Result(0.5, false);
  r.momentum = 0.996;
  for (int itr = 0; itr < 4; ++itr) {
    ASSERT_TRUE((*logger)->Step(Step(itr, 0.25, itr == 3), r).ok());
  }
  (*logger)->ProbeDone(71.5, 98.0, -1);
  const auto events = TensorBoardEvents(f.options.folder, 1);
  // Logged steps (itr 0, 2 -> global steps 1, 3), the last step (4), then the probe at step 4.
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].step(), 1);
  EXPECT_EQ(events[1].step(), 3);
  EXPECT_EQ(events[2].step(), 4);
  EXPECT_EQ(events[3].step(), 4);
  EXPECT_THAT(Tags(events[0]),
              ::testing::ElementsAre("train/loss", "train/lr", "train/wd", "train/ema_momentum",
                                     "train/images_per_s", "collapse/rankme",
                                     "collapse/rankme_relative", "collapse/pred_std"));
  const auto& v = events[0].summary().value();
  EXPECT_FLOAT_EQ(v[0].simple_value(), 0.5f);
  EXPECT_FLOAT_EQ(v[1].simple_value(), 1e-3f);
  EXPECT_FLOAT_EQ(v[2].simple_value(), 0.04f);
  EXPECT_FLOAT_EQ(v[3].simple_value(), 0.996f);
  EXPECT_FLOAT_EQ(v[4].simple_value(), 32.0f);  // 8 images in 0.25 s
  EXPECT_GT(v[5].simple_value(), 1.0f);
  EXPECT_FLOAT_EQ(v[7].simple_value(), 0.05f);
  // k-NN was off: no probe/knn_top1.
  EXPECT_THAT(Tags(events[3]), ::testing::ElementsAre("probe/linear_top1", "probe/linear_top5"));
  EXPECT_FLOAT_EQ(events[3].summary().value(0).simple_value(), 71.5f);
}

TEST(RunLoggerTest, ResumingOpensANewEventFileThatContinuesTheSteps) {
  Fixture f("tensorboard_resume");
  f.options.tensorboard = true;
  f.options.log_freq = 1;
  {
    auto logger = RunLogger::Open(f.options);
    ASSERT_TRUE(logger.ok()) << logger.status();
    for (int itr = 0; itr < 3; ++itr) {
      ASSERT_TRUE((*logger)->Step(Step(itr, 0.1), Result(0.5, false)).ok());
    }
  }
  f.options.resume = true;
  f.options.start_step = 2;  // checkpoint after step 2; the killed run also logged step 3
  auto logger = RunLogger::Open(f.options);
  ASSERT_TRUE(logger.ok()) << logger.status();
  for (int itr = 2; itr < 4; ++itr) {
    ASSERT_TRUE((*logger)->Step(Step(itr, 0.1, itr == 3), Result(0.25, false)).ok());
  }
  (*logger)->ProbeDone(70, 97, 65);
  const auto events = TensorBoardEvents(f.options.folder, 2);
  std::vector<int64_t> steps;
  for (const auto& e : events) steps.push_back(e.step());
  // The second file starts with a restart at step 3: TensorBoard drops the first file's step 3.
  EXPECT_THAT(steps, ::testing::ElementsAre(1, 2, 3, 3, 3, 4, 4));
  EXPECT_EQ(events[3].session_log().status(), ijepa::tensorboard::SessionLog::START);
  EXPECT_FLOAT_EQ(events[4].summary().value(0).simple_value(), 0.25f);
  EXPECT_THAT(Tags(events[6]),
              ::testing::ElementsAre("probe/linear_top1", "probe/linear_top5", "probe/knn_top1"));
}

TEST(RunLoggerTest, TensorBoardFailureWarnsOnceAndTrainingGoesOn) {
  Fixture f("tensorboard_blocked");
  f.options.tensorboard = true;
  fs::create_directories(f.options.folder);
  std::ofstream(fs::path(f.options.folder) / "tb") << "a file where the folder goes";
  auto logger = RunLogger::Open(f.options);
  ASSERT_TRUE(logger.ok()) << logger.status();
  EXPECT_EQ((*logger)->tensorboard_path(), "");
  for (int itr = 0; itr < 3; ++itr) {
    ASSERT_TRUE((*logger)->Step(Step(itr, 0.1), Result(0.5, false)).ok());
  }
  (*logger)->ProbeDone(70, 97, -1);
  int warnings = 0;
  for (const std::string& line : f.lines) {
    if (line.rfind("WARNING", 0) == 0) {
      ++warnings;
      EXPECT_THAT(line, HasSubstr("cannot create the TensorBoard folder " + f.options.folder));
      EXPECT_THAT(line, HasSubstr("training goes on without TensorBoard logging"));
    }
  }
  EXPECT_EQ(warnings, 1);
  EXPECT_EQ(Lines(Slurp(fs::path(f.options.folder) / "jepa_r0.csv")).size(), 4u);
}

}  // namespace
}  // namespace ijepa::training
