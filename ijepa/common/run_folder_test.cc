#include "ijepa/common/run_folder.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ijepa::common {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

fs::path FreshDir(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / name;
  fs::remove_all(dir);
  return dir;
}

TEST(RunFolderLockTest, OneOwnerAtATimeAndTheErrorNamesTheOther) {
  const fs::path dir = FreshDir("owner") / "run";  // created by Acquire
  auto first = RunFolderLock::Acquire(dir.string(), ".lock");
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = RunFolderLock::Acquire(dir.string(), ".lock");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr("output folder " + dir.string() + " is in use by another run (pid " +
                        std::to_string(::getpid()) + " on host "));
  first->reset();
  EXPECT_TRUE(RunFolderLock::Acquire(dir.string(), ".lock").ok());
}

TEST(RunFolderLockTest, AKilledOwnerReleasesTheFolder) {
  const fs::path dir = FreshDir("killed");
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto lock = RunFolderLock::Acquire(dir.string(), ".lock");
    const char byte = lock.ok() ? 'y' : 'n';
    (void)::write(ready[1], &byte, 1);
    ::pause();  // holds the lock until killed
    ::_exit(0);
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ASSERT_EQ(byte, 'y');
  auto busy = RunFolderLock::Acquire(dir.string(), ".lock");
  ASSERT_FALSE(busy.ok());
  EXPECT_THAT(std::string(busy.status().message()), HasSubstr("(pid " + std::to_string(child) + " on host "));
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(RunFolderLock::Acquire(dir.string(), ".lock").ok());
}

TEST(RunFolderLockTest, AFileIsNotAFolder) {
  const fs::path dir = FreshDir("file");
  fs::create_directories(dir);
  std::ofstream(dir / "f") << "x";
  EXPECT_FALSE(RunFolderLock::Acquire((dir / "f").string(), ".lock").ok());
}

TEST(RemoveStaleTemporariesTest, RemovesOnlyOwnedTemporaries) {
  const fs::path dir = FreshDir("stale");
  fs::create_directories(dir / "sub");
  for (const char* name : {"jepa-latest.pth.tar", "jepa-latest.pth.tar.tmp.Ab12xZ", "params-ijepa.pbtxt.tmp.4711",
                           "report.json.tmp", "jepa_r1.csv.tmp.q1w2e3", "notes.txt", "sub/x.pth.tar.tmp.Ab12xZ"}) {
    std::ofstream(dir / name) << "x";
  }
  auto removed = RemoveStaleTemporaries(dir.string(), [](std::string_view target) { return target != "jepa_r1.csv"; });
  ASSERT_TRUE(removed.ok()) << removed.status();
  std::sort(removed->begin(), removed->end());
  EXPECT_THAT(*removed, ::testing::ElementsAre("jepa-latest.pth.tar.tmp.Ab12xZ", "params-ijepa.pbtxt.tmp.4711",
                                               "report.json.tmp"));
  EXPECT_TRUE(fs::exists(dir / "jepa-latest.pth.tar"));
  EXPECT_TRUE(fs::exists(dir / "jepa_r1.csv.tmp.q1w2e3"));  // another rank's
  EXPECT_TRUE(fs::exists(dir / "notes.txt"));
  EXPECT_TRUE(fs::exists(dir / "sub/x.pth.tar.tmp.Ab12xZ"));  // only the folder itself
}

TEST(RemoveStaleTemporariesTest, OfOneFile) {
  const fs::path dir = FreshDir("stale_of");
  fs::create_directories(dir);
  for (const char* name : {"eval.json.tmp", "eval.json.tmp.Zz9yY8", "other.json.tmp", "eval.json"}) {
    std::ofstream(dir / name) << "x";
  }
  auto removed = RemoveStaleTemporariesOf((dir / "eval.json").string());
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(removed->size(), 2u);
  EXPECT_FALSE(fs::exists(dir / "eval.json.tmp"));
  EXPECT_FALSE(fs::exists(dir / "eval.json.tmp.Zz9yY8"));
  EXPECT_TRUE(fs::exists(dir / "other.json.tmp"));
  EXPECT_TRUE(fs::exists(dir / "eval.json"));
}

}  // namespace
}  // namespace ijepa::common
