// A rank that dies, hangs or never starts ends the job with an error instead of a hang: real
// processes of the toy trainer on 127.0.0.1, Gloo over TCP, started one by one so that a test can
// kill or stop a single rank.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ijepa/distributed/test_util.h"

namespace ijepa::distributed {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string Trainer() { return testing::RunfilesPath("ijepa/distributed/toy_trainer"); }

// The communicator's timeout where a test needs it to fire.
constexpr int kTimeoutMs = 4000;
// One no test waits out: a rank that ends under it noticed the failure without the timeout.
constexpr int kNeverMs = 600000;
// Upper bound on waiting for a rank that should end: a hang guard, not a measurement (the run
// ends within seconds; a loaded machine may take longer, never this long).
constexpr milliseconds kHangGuard(120000);

// The processes of one test; whatever still runs when the test ends is killed and reaped.
class Ranks {
 public:
  // Starts ranks `ranks` of a world of `world_size` as separate processes that train until killed,
  // with a rendezvous and collective timeout of `timeout_ms`.
  Ranks(const std::string& name, int port, int world_size, const std::vector<int>& ranks,
        int timeout_ms = kTimeoutMs)
      : name_(name) {
    for (int rank : ranks) {
      const std::string log = testing::TempPath(name + ".log.r" + std::to_string(rank));
      std::remove(log.c_str());
      std::remove(testing::TempPath(name + ".progress.r" + std::to_string(rank)).c_str());
      pid_t pid = testing::Spawn(
          {Trainer(), "--out=" + testing::TempPath(name), "--steps=-1", "--global_batch=8",
           "--timeout_ms=" + std::to_string(timeout_ms)},
          {{"RANK", std::to_string(rank)},
           {"WORLD_SIZE", std::to_string(world_size)},
           {"LOCAL_RANK", std::to_string(rank)},
           {"MASTER_ADDR", "127.0.0.1"},
           {"MASTER_PORT", std::to_string(port)}},
          log);
      pids_.push_back(pid);
      logs_.push_back(log);
    }
  }
  ~Ranks() {
    for (pid_t pid : pids_) {
      if (pid > 0) {
        kill(pid, SIGKILL);
        testing::WaitFor(pid, kHangGuard);
      }
    }
  }

  pid_t pid(int i) const { return pids_[i]; }
  std::string log(int i) const { return testing::ReadFile(logs_[i]); }

  // Wait status of process i, or nullopt if it still runs after the hang guard.
  std::optional<int> Wait(int i) {
    std::optional<int> status = testing::WaitFor(pids_[i], kHangGuard);
    if (status.has_value()) pids_[i] = -1;
    return status;
  }

  // Whether rank `rank` reported a few finished steps (training is under way) before the hang
  // guard: the event the tests act on, read from the progress file the rank writes.
  bool WaitUntilTraining(int rank) const {
    const auto deadline = Clock::now() + kHangGuard;
    const std::string progress = testing::TempPath(name_ + ".progress.r" + std::to_string(rank));
    while (Clock::now() < deadline) {
      const std::string step = testing::ReadFile(progress);
      if (!step.empty() && std::atoi(step.c_str()) >= 3) return true;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return false;
  }

 private:
  std::string name_;
  std::vector<pid_t> pids_;
  std::vector<std::string> logs_;
};

bool ExitedNonZero(int status) { return WIFEXITED(status) && WEXITSTATUS(status) != 0; }

TEST(FailureTest, KilledRankMakesTheOtherExitNonZeroWithoutWaitingForTheTimeout) {
  const PortReservation reserved = testing::ReservePort();
  const int port = reserved.port();
  // A timeout no run reaches: rank 0 can end only by noticing that its peer died.
  Ranks ranks("killed", port, 2, {0, 1}, kNeverMs);
  ASSERT_TRUE(ranks.WaitUntilTraining(1)) << ranks.log(1);
  ASSERT_EQ(kill(ranks.pid(1), SIGKILL), 0);
  std::optional<int> status = ranks.Wait(0);
  ASSERT_TRUE(status.has_value()) << "rank 0 still runs after its peer was killed:\n"
                                  << ranks.log(0);
  EXPECT_TRUE(ExitedNonZero(*status)) << "wait status " << *status;
  EXPECT_THAT(ranks.log(0),
              HasSubstr("rank 0 of 2 (rendezvous 127.0.0.1:" + std::to_string(port) + ")"));
}

TEST(FailureTest, StoppedRankMakesTheOtherExitNonZeroAtTheTimeout) {
  const PortReservation reserved = testing::ReservePort();
  const int port = reserved.port();
  Ranks ranks("stopped", port, 2, {0, 1});
  ASSERT_TRUE(ranks.WaitUntilTraining(1)) << ranks.log(1);
  ASSERT_EQ(kill(ranks.pid(1), SIGSTOP), 0);  // alive, connections open, never answers
  std::optional<int> status = ranks.Wait(0);
  ASSERT_TRUE(status.has_value()) << "rank 0 hangs on a stopped peer:\n" << ranks.log(0);
  EXPECT_TRUE(ExitedNonZero(*status)) << "wait status " << *status;
  EXPECT_THAT(ranks.log(0), HasSubstr("rank 0 of 2 (rendezvous 127.0.0.1:" +
                                      std::to_string(port) + "): "));
  EXPECT_THAT(ranks.log(0),
              HasSubstr("did not answer within " + std::to_string(kTimeoutMs) + " ms"));
}

TEST(FailureTest, PeerThatNeverJoinsEndsTheRunNamingRankAndAddress) {
  const PortReservation reserved = testing::ReservePort();
  const int port = reserved.port();
  Ranks ranks("alone", port, 2, {0});
  std::optional<int> status = ranks.Wait(0);
  ASSERT_TRUE(status.has_value()) << "rank 0 waits forever for rank 1";
  EXPECT_TRUE(ExitedNonZero(*status)) << "wait status " << *status;
  EXPECT_THAT(ranks.log(0),
              HasSubstr("rank 1 never joined the rendezvous at 127.0.0.1:" + std::to_string(port) +
                        " within " + std::to_string(kTimeoutMs) + " ms"));
}

}  // namespace
}  // namespace ijepa::distributed
