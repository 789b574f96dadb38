#include "ijepa/common/atomic_file.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ijepa::common {
namespace {

namespace fs = std::filesystem;

fs::path FreshDir(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string Slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> Names(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  return names;
}

TEST(AtomicFileTest, ReplacesTheFileAndLeavesNoTemporary) {
  const fs::path dir = FreshDir("replace");
  const std::string path = (dir / "params.pbtxt").string();
  ASSERT_TRUE(WriteFileAtomically(path, "old").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "new contents").ok());
  EXPECT_EQ(Slurp(path), "new contents");
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  EXPECT_THAT(Names(dir), ::testing::ElementsAre("params.pbtxt"));
  const absl::Status missing = WriteFileAtomically((dir / "no" / "x").string(), "x");
  EXPECT_THAT(std::string(missing.message()), ::testing::HasSubstr("create a temporary file next to"));
}

void RaiseSigterm() { ::raise(SIGTERM); }

TEST(AtomicFileTest, SigtermDuringAWriteRemovesTheTemporaryAndKeepsTheOldFile) {
  const fs::path dir = FreshDir("sigterm");
  const std::string path = (dir / "jepa-latest.pth.tar").string();
  ASSERT_TRUE(WriteFileAtomically(path, "epoch 1").ok());
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    RemoveTemporariesOnTerminationSignals();
    // The signal arrives while the complete temporary exists, just before the rename.
    internal::SetBeforeRenameHookForTesting(RaiseSigterm);
    (void)WriteFileAtomically(path, "epoch 2");
    ::_exit(0);  // not reached: SIGTERM kills the child
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "status " << status;
  EXPECT_EQ(WTERMSIG(status), SIGTERM);  // it still dies of the signal, as its parent expects
  EXPECT_EQ(Slurp(path), "epoch 1");
  EXPECT_THAT(Names(dir), ::testing::ElementsAre("jepa-latest.pth.tar"));  // no *.tmp.* left
}

TEST(AtomicFileTest, RecognisesTheTemporariesOfEveryWriter) {
  std::string target;
  EXPECT_TRUE(IsTemporaryName("jepa-latest.pth.tar.tmp.Ab12xZ", &target));
  EXPECT_EQ(target, "jepa-latest.pth.tar");
  EXPECT_TRUE(IsTemporaryName("params-ijepa.pbtxt.tmp.4711", &target));
  EXPECT_EQ(target, "params-ijepa.pbtxt");
  EXPECT_TRUE(IsTemporaryName("report.json.tmp", &target));
  EXPECT_EQ(target, "report.json");
  EXPECT_FALSE(IsTemporaryName("notes.tmpl"));
  EXPECT_FALSE(IsTemporaryName(".tmp"));
  EXPECT_FALSE(IsTemporaryName("a.tmp.with-dash"));
  EXPECT_FALSE(IsTemporaryName("jepa-latest.pth.tar"));
}

}  // namespace
}  // namespace ijepa::common
