#include "ijepa/common/user_path.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace ijepa {
namespace {

TEST(UserPathTest, RelativePathsAreTakenFromBuildWorkingDirectory) {
  ASSERT_EQ(setenv("BUILD_WORKING_DIRECTORY", "/home/me/repo", 1), 0);
  EXPECT_EQ(UserPath("runs/a"), "/home/me/repo/runs/a");
  EXPECT_EQ(UserPath("/abs/b"), "/abs/b");
  EXPECT_EQ(UserPath(""), "");
}

TEST(UserPathTest, UnchangedOutsideBazelRun) {
  ASSERT_EQ(unsetenv("BUILD_WORKING_DIRECTORY"), 0);
  EXPECT_EQ(UserPath("runs/a"), "runs/a");
  ASSERT_EQ(setenv("BUILD_WORKING_DIRECTORY", "", 1), 0);
  EXPECT_EQ(UserPath("runs/a"), "runs/a");
}

}  // namespace
}  // namespace ijepa
