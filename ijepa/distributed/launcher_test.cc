#include "ijepa/distributed/launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ijepa/distributed/test_util.h"

namespace ijepa::distributed {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Runs Launch() with this process's stdout and stderr sent to files; returns {code, out, err}.
struct Result {
  absl::StatusOr<int> code;
  std::string out, err;
};
Result RunCapturing(const LaunchOptions& options, const std::string& name) {
  const std::string out_path = testing::TempPath(name + ".out"), err_path = testing::TempPath(name + ".err");
  fflush(stdout);
  fflush(stderr);
  const int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
  const int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(out_fd, STDOUT_FILENO);
  dup2(err_fd, STDERR_FILENO);
  Result result{Launch(options), "", ""};
  dup2(saved_out, STDOUT_FILENO);
  dup2(saved_err, STDERR_FILENO);
  for (int fd : {saved_out, saved_err, out_fd, err_fd}) close(fd);
  result.out = testing::ReadFile(out_path);
  result.err = testing::ReadFile(err_path);
  return result;
}

LaunchOptions Shell(int nproc, const std::string& script) {
  LaunchOptions options;
  options.nproc_per_node = nproc;
  options.master_port = 0;
  options.command = {"/bin/sh", "-c", script};
  return options;
}

TEST(LauncherTest, SetsTorchrunVariablesAndPrefixesOutput) {
  Result r = RunCapturing(
      Shell(3, "echo \"env $RANK $WORLD_SIZE $LOCAL_RANK $LOCAL_WORLD_SIZE $GROUP_RANK $MASTER_ADDR\"; "
               "echo oops >&2; printf 'no newline'"),
      "env");
  ASSERT_TRUE(r.code.ok()) << r.code.status();
  EXPECT_EQ(*r.code, 0);
  for (int rank = 0; rank < 3; ++rank) {
    const std::string p = "[rank " + std::to_string(rank) + "] ";
    EXPECT_THAT(r.out, HasSubstr(p + "env " + std::to_string(rank) + " 3 " + std::to_string(rank) +
                                 " 3 0 127.0.0.1\n"));
    EXPECT_THAT(r.out, HasSubstr(p + "no newline\n"));
    EXPECT_THAT(r.err, HasSubstr(p + "oops\n"));
  }
}

TEST(LauncherTest, MultiNodeRanks) {
  LaunchOptions options;
  options.nproc_per_node = 2;
  options.nnodes = 3;
  options.node_rank = 2;
  options.master_addr = "node0";
  options.master_port = 1234;
  const auto env = RankEnvironment(options, 1);
  EXPECT_EQ(env.at("RANK"), "5");
  EXPECT_EQ(env.at("WORLD_SIZE"), "6");
  EXPECT_EQ(env.at("LOCAL_RANK"), "1");
  EXPECT_EQ(env.at("GROUP_RANK"), "2");
  EXPECT_EQ(env.at("MASTER_ADDR"), "node0");
  EXPECT_EQ(env.at("MASTER_PORT"), "1234");
}

// A shell fragment that returns once every file in `paths` exists: how a rank waits for the
// others to reach a point (each touches its file there).
std::string AwaitFiles(const std::vector<std::string>& paths) {
  std::string test;
  for (const std::string& path : paths) {
    std::remove(path.c_str());
    test += (test.empty() ? "" : " && ") + std::string("[ -e '") + path + "' ]";
  }
  return "until " + test + "; do sleep 0.01; done";
}

TEST(LauncherTest, AFailingRankStopsTheOthersAndGivesItsStatus) {
  // Ranks 0 and 2 never end by themselves: Launch returns only because it stopped them (without
  // that, this test hangs until the runner's timeout). Rank 1 fails once both are running.
  const std::string ready = testing::TempPath("fail.ready.");
  LaunchOptions options = Shell(
      3, "if [ \"$RANK\" = 1 ]; then " + AwaitFiles({ready + "0", ready + "2"}) + "; exit 7; fi; " +
             "touch '" + ready + "'$RANK; exec tail -f /dev/null");
  options.kill_grace = std::chrono::milliseconds(2000);
  Result r = RunCapturing(options, "fail");
  ASSERT_TRUE(r.code.ok()) << r.code.status();
  EXPECT_EQ(*r.code, 7);
  EXPECT_THAT(r.err, HasSubstr("[launch] rank 1 exited with status 7; stopping the other ranks"));
}

TEST(LauncherTest, RanksIgnoringSigtermAreKilledAfterTheGrace) {
  // Rank 1 ignores SIGTERM (the disposition survives its exec) and never ends by itself: Launch
  // returns only because it sent SIGKILL after the grace. Rank 0 fails once rank 1 ignores TERM.
  const std::string ignoring = testing::TempPath("grace.ignoring");
  LaunchOptions options = Shell(
      2, "trap '' TERM; if [ \"$RANK\" = 0 ]; then " + AwaitFiles({ignoring}) + "; exit 3; fi; " +
             "touch '" + ignoring + "'; exec tail -f /dev/null");
  options.kill_grace = std::chrono::milliseconds(500);
  Result r = RunCapturing(options, "grace");
  ASSERT_TRUE(r.code.ok()) << r.code.status();
  EXPECT_EQ(*r.code, 3);
}

TEST(LauncherTest, RankKilledBySignalReports128PlusSignal) {
  Result r = RunCapturing(Shell(1, "kill -9 $$"), "signal");
  ASSERT_TRUE(r.code.ok()) << r.code.status();
  EXPECT_EQ(*r.code, 128 + 9);
  EXPECT_THAT(r.err, HasSubstr("rank 0 was killed by signal 9"));
}

TEST(LauncherTest, MissingProgramFailsWith127) {
  LaunchOptions options;
  options.nproc_per_node = 2;
  options.master_port = 0;
  options.command = {"/nonexistent/program"};
  Result r = RunCapturing(options, "missing");
  ASSERT_TRUE(r.code.ok()) << r.code.status();
  EXPECT_EQ(*r.code, 127);
  EXPECT_THAT(r.err, HasSubstr("cannot execute '/nonexistent/program'"));
}

TEST(LauncherTest, SuccessfulRunsPrintNoLauncherMessages) {
  Result r = RunCapturing(Shell(2, "true"), "quiet");
  ASSERT_TRUE(r.code.ok());
  EXPECT_EQ(*r.code, 0);
  EXPECT_THAT(r.err, Not(HasSubstr("[launch]")));
}

TEST(LauncherTest, RanksDieWhenTheLauncherIsKilled) {
  // This test process adopts orphans, so it can wait for the ranks once their launcher is gone.
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  const pid_t launcher = fork();
  ASSERT_GE(launcher, 0);
  if (launcher == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    (void)Launch(Shell(2, "echo pid=$$; exec tail -f /dev/null"));  // ranks that never end by themselves
    _exit(0);
  }
  close(out[1]);
  std::vector<pid_t> ranks;
  std::string text;
  char buffer[256];
  while (ranks.size() < 2) {
    const ssize_t n = read(out[0], buffer, sizeof(buffer));
    ASSERT_GT(n, 0) << "the launcher ended before both ranks reported: " << text;
    text.append(buffer, static_cast<size_t>(n));
    ranks.clear();
    for (size_t at = text.find("pid="); at != std::string::npos; at = text.find("pid=", at + 4)) {
      const size_t end = text.find('\n', at);
      if (end == std::string::npos) break;
      ranks.push_back(static_cast<pid_t>(std::stol(text.substr(at + 4, end - at - 4))));
    }
  }
  ASSERT_EQ(kill(launcher, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(launcher, &status, 0), launcher);
  // Before: the ranks ran on. Now each dies of SIGKILL as its launcher does (waitpid returns
  // when it does; without the fix this test hangs until its timeout).
  for (pid_t rank : ranks) {
    ASSERT_EQ(waitpid(rank, &status, 0), rank) << "rank " << rank << " is not a child of this subreaper";
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "rank " << rank << " status " << status;
  }
  close(out[0]);
  prctl(PR_SET_CHILD_SUBREAPER, 0);
}

TEST(LauncherTest, BadOptionsNameTheFlag) {
  LaunchOptions options = Shell(0, "true");
  EXPECT_THAT(std::string(ValidateLaunchOptions(options).message()), HasSubstr("--nproc_per_node=0"));
  options = Shell(1, "true");
  options.nnodes = 2;
  options.node_rank = 2;
  EXPECT_THAT(std::string(ValidateLaunchOptions(options).message()), HasSubstr("--node_rank=2"));
  options.node_rank = 0;
  EXPECT_THAT(std::string(ValidateLaunchOptions(options).message()),
              HasSubstr("--master_port=0"));  // a free port cannot be agreed across machines
  options = Shell(1, "true");
  options.command.clear();
  EXPECT_THAT(std::string(Launch(options).status().message()), HasSubstr("no program to launch"));
}

}  // namespace
}  // namespace ijepa::distributed
