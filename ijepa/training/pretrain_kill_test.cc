// Starts the real `pretrain` binary, SIGKILLs it while it trains (and possibly while it writes a
// checkpoint), checks that the last checkpoint is readable, and that `--resume` finishes the run.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "ijepa/checkpoint/torch_file.h"
#include "ijepa/training/synthetic_dataset.h"

namespace ijepa::training {
namespace {

namespace fs = std::filesystem;

pid_t Spawn(const std::string& binary, const std::vector<std::string>& args, const fs::path& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::FILE* f = std::freopen(log.c_str(), "a", stdout);
    if (f != nullptr) dup2(fileno(stdout), STDERR_FILENO);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

int CsvRows(const fs::path& csv) {
  std::ifstream in(csv);
  int rows = -1;
  for (std::string line; std::getline(in, line);) ++rows;
  return rows;
}

std::string Slurp(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(PretrainKillTest, KilledRunLeavesReadableCheckpointAndResumes) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  ASSERT_NE(srcdir, nullptr);
  const std::string binary = std::string(srcdir) + "/" + (workspace ? workspace : "ijepa_cc") +
                             "/ijepa/training/pretrain";
  ASSERT_TRUE(fs::exists(binary)) << binary;
  const fs::path tmp = std::getenv("TEST_TMPDIR");
  const fs::path data = tmp / "idx", out = tmp / "run", log = tmp / "pretrain.log";
  ASSERT_TRUE(WriteSyntheticIdx(data.string(), 64, 16).ok());
  const fs::path config = tmp / "tiny.pbtxt";
  std::ofstream(config) << "data { dataset: IDX root_path: \"" << data.string()
                        << "\" batch_size: 8 crop_size: 16 channels: 1 num_workers: 1 }\n"
                        << "mask { patch_size: 4 min_keep: 1 pred_mask_scale: [0.25, 0.35] }\n"
                        << "meta { model_name: \"vit_tiny\" pred_depth: 2 pred_emb_dim: 48 }\n"
                        << "optimization { epochs: 50 warmup: 1 }\n"
                        << "logging { checkpoint_every_steps: 2 log_freq: 4 }\n"
                        << "threads: 1\n";
  const std::vector<std::string> base = {"--config=" + config.string(), "--out=" + out.string()};

  const pid_t first = Spawn(binary, base, log);
  ASSERT_GT(first, 0);
  const fs::path csv = out / "jepa_r0.csv";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  while (CsvRows(csv) < 7 && std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    ASSERT_EQ(waitpid(first, &status, WNOHANG), 0) << "pretrain exited early:\n" << Slurp(log);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(CsvRows(csv), 7) << Slurp(log);
  ASSERT_EQ(kill(first, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(first, &status, 0), first);
  ASSERT_TRUE(WIFSIGNALED(status));

  // The checkpoint that was complete before the kill is readable.
  auto ckpt = checkpoint::ReadTorchFile((out / "jepa-latest.pth.tar").string());
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  const int64_t saved_step = ckpt->toGenericDict().at("global_step").toInt();
  EXPECT_GE(saved_step, 6);
  EXPECT_EQ(saved_step % 2, 0);

  // Resume and run four steps more.
  std::vector<std::string> resume = base;
  resume.push_back("--resume");
  resume.push_back("--set");
  resume.push_back("optimization.max_steps=" + std::to_string(saved_step + 4));
  const pid_t second = Spawn(binary, resume, log);
  ASSERT_EQ(waitpid(second, &status, 0), second);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << Slurp(log);
  EXPECT_THAT(Slurp(log), ::testing::HasSubstr("resumed from"));
  auto final_ckpt = checkpoint::ReadTorchFile((out / "jepa-latest.pth.tar").string());
  ASSERT_TRUE(final_ckpt.ok()) << final_ckpt.status();
  EXPECT_EQ(final_ckpt->toGenericDict().at("global_step").toInt(), saved_step + 4);
  // Rows the killed run logged after its checkpoint were dropped: one row per step.
  EXPECT_EQ(CsvRows(csv), saved_step + 4);

  // --resume with no checkpoint in the folder fails loudly.
  std::vector<std::string> missing = {"--config=" + config.string(),
                                      "--out=" + (tmp / "empty").string(), "--resume"};
  const pid_t third = Spawn(binary, missing, log);
  ASSERT_EQ(waitpid(third, &status, 0), third);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
  EXPECT_THAT(Slurp(log), ::testing::HasSubstr("cannot resume"));
}

}  // namespace
}  // namespace ijepa::training
