// The `pretrain` binary's answers to bad invocations (issue 14): a folder as --config, empty
// --config= / --out=, a second run on a folder in use, non-finite config values, stale temporaries
// of a killed run, and the "resumed from" line naming the checkpoint actually read. Every wait is
// on the child's exit, never on time.
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ijepa/common/run_folder.h"
#include "ijepa/training/synthetic_dataset.h"

namespace ijepa::training {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Slurp(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct Result {
  int exit_code = -1;
  std::string output;
};

class PretrainCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* srcdir = std::getenv("TEST_SRCDIR");
    const char* workspace = std::getenv("TEST_WORKSPACE");
    ASSERT_NE(srcdir, nullptr);
    binary_ = std::string(srcdir) + "/" + (workspace ? workspace : "ijepa_cc") + "/ijepa/training/pretrain";
    tmp_ = fs::path(std::getenv("TEST_TMPDIR")) / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(tmp_);
    fs::create_directories(tmp_);
    ASSERT_TRUE(WriteSyntheticIdx((tmp_ / "idx").string(), 32, 16).ok());
    config_ = tmp_ / "tiny.pbtxt";
    std::ofstream(config_) << "data { dataset: IDX root_path: \"" << (tmp_ / "idx").string()
                           << "\" batch_size: 8 crop_size: 16 channels: 1 num_workers: 1 }\n"
                           << "mask { patch_size: 4 min_keep: 1 pred_mask_scale: [0.25, 0.35] }\n"
                           << "meta { model_name: \"vit_tiny\" pred_depth: 1 pred_emb_dim: 48 }\n"
                           << "optimization { epochs: 1 warmup: 0 max_steps: 2 }\n"
                           << "logging { checkpoint_every_steps: 1 log_freq: 1 }\n"
                           << "threads: 1\n";
  }

  // Runs the binary to its exit (stdout and stderr together).
  Result Run(const std::vector<std::string>& args) {
    const fs::path log = tmp_ / "log.txt";
    fs::remove(log);
    const pid_t pid = fork();
    if (pid == 0) {
      std::FILE* f = std::freopen(log.c_str(), "w", stdout);
      if (f != nullptr) dup2(fileno(stdout), STDERR_FILENO);
      std::vector<char*> argv{const_cast<char*>(binary_.c_str())};
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(binary_.c_str(), argv.data());
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    Result r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.output = Slurp(log);
    return r;
  }

  std::string binary_;
  fs::path tmp_, config_;
};

TEST_F(PretrainCliTest, AFolderAsConfigIsAnErrorNotTheDefaults) {
  const fs::path out = tmp_ / "out";
  Result r = Run({"--config=" + tmp_.string(), "--out=" + out.string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("config file " + tmp_.string() + ": a directory, not a regular file"));
  EXPECT_THAT(r.output, Not(HasSubstr("training vit_base")));
  EXPECT_FALSE(fs::exists(out));

  r = Run({"--config=", "--out=" + out.string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--config needs a file name"));
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(PretrainCliTest, AnEmptyOutIsAnError) {
  Result r = Run({"--config=" + config_.string(), "--out="});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--out needs a folder"));
}

TEST_F(PretrainCliTest, AFolderInUseByAnotherRunIsRefused) {
  const fs::path out = tmp_ / "busy";
  // This process plays the other run: it holds rank 0's lock as a live pretrain would.
  auto other = common::RunFolderLock::Acquire(out.string(), ".ijepa-run-r0.lock");
  ASSERT_TRUE(other.ok()) << other.status();
  Result r = Run({"--config=" + config_.string(), "--out=" + out.string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("output folder " + out.string() + " is in use by another run (pid " +
                                  std::to_string(getpid()) + " on host "));
  EXPECT_FALSE(fs::exists(out / "jepa_r0.csv"));
  EXPECT_FALSE(fs::exists(out / "params-ijepa.pbtxt"));
}

TEST_F(PretrainCliTest, NonFiniteConfigValuesAreRefusedByName) {
  for (const std::string set : {"optimization.lr=inf", "optimization.lr=nan", "optimization.weight_decay=-inf",
                                "optimization.ema=0.996,inf"}) {
    Result r = Run({"--config=" + config_.string(), "--out=" + (tmp_ / "nf").string(), "--set", set});
    EXPECT_EQ(r.exit_code, 1) << set << ": " << r.output;
    const std::string field = set.substr(0, set.find('='));
    EXPECT_THAT(r.output, HasSubstr(field)) << set;
    EXPECT_THAT(r.output, HasSubstr("finite")) << set;
  }
}

TEST_F(PretrainCliTest, StartRemovesStaleTemporariesAndResumeNamesTheCheckpointRead) {
  const fs::path out = tmp_ / "run";
  fs::create_directories(out);
  // What a kill -9 during a checkpoint write and during a config write left behind.
  std::ofstream(out / "jepa-latest.pth.tar.tmp.Ab12xZ") << "partial";
  std::ofstream(out / "params-ijepa.pbtxt.tmp.4711") << "partial";
  Result r = Run({"--config=" + config_.string(), "--out=" + out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("removed " + out.string() + "/jepa-latest.pth.tar.tmp.Ab12xZ"));
  EXPECT_FALSE(fs::exists(out / "jepa-latest.pth.tar.tmp.Ab12xZ"));
  EXPECT_FALSE(fs::exists(out / "params-ijepa.pbtxt.tmp.4711"));
  ASSERT_TRUE(fs::exists(out / "jepa-latest.pth.tar"));
  for (const auto& e : fs::directory_iterator(out)) {
    EXPECT_THAT(e.path().filename().string(), Not(HasSubstr(".tmp"))) << "left behind by the run itself";
  }

  // Resuming from a checkpoint elsewhere (meta.read_checkpoint) names that file, not
  // {out}/jepa-latest.pth.tar, which does not exist in the new folder.
  const fs::path saved = tmp_ / "saved.pth.tar";
  fs::copy_file(out / "jepa-latest.pth.tar", saved);
  const fs::path out2 = tmp_ / "run2";
  r = Run({"--config=" + config_.string(), "--out=" + out2.string(), "--resume", "--set",
           "meta.read_checkpoint=" + saved.string(), "--set", "optimization.max_steps=3"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("resumed from " + saved.string() + " at epoch"));
  EXPECT_THAT(r.output, Not(HasSubstr("resumed from " + (out2 / "jepa-latest.pth.tar").string())));
}

}  // namespace
}  // namespace ijepa::training
