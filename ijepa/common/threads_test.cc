#include "ijepa/common/threads.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <thread>

namespace ijepa {
namespace {

TEST(ConfigureIntraOpThreadsTest, ExplicitCountIsApplied) {
  EXPECT_EQ(ConfigureIntraOpThreads(1), 1);
  EXPECT_EQ(at::get_num_threads(), 1);
}

TEST(ConfigureIntraOpThreadsTest, ZeroMeansAllHardwareThreads) {
  const int expected = std::max(1u, std::thread::hardware_concurrency());
  EXPECT_EQ(ConfigureIntraOpThreads(0), expected);
  EXPECT_EQ(at::get_num_threads(), expected);
}

}  // namespace
}  // namespace ijepa
