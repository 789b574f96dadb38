#include "ijepa/common/device_name.h"

#include <gtest/gtest.h>

#include <string>

namespace ijepa::common {
namespace {

TEST(ParseDeviceNameTest, AcceptsCpuCudaAndCudaN) {
  ASSERT_TRUE(ParseDeviceName("cpu").has_value());
  EXPECT_FALSE(ParseDeviceName("cpu")->cuda);
  ASSERT_TRUE(ParseDeviceName("cuda").has_value());
  EXPECT_TRUE(ParseDeviceName("cuda")->cuda);
  EXPECT_EQ(ParseDeviceName("cuda")->index, -1);
  ASSERT_TRUE(ParseDeviceName("cuda:0").has_value());
  EXPECT_EQ(ParseDeviceName("cuda:0")->index, 0);
  EXPECT_EQ(ParseDeviceName("cuda:7")->index, 7);
  EXPECT_EQ(ParseDeviceName("cuda:12")->index, 12);
}

TEST(ParseDeviceNameTest, RefusesEverythingElse) {
  for (const std::string bad : {"", "CPU", "gpu", "cuda:", "cuda:-1", "cuda:+1", "cuda: 1", "cuda:1 ", "cuda:x",
                                "cuda1", "cudax", "cuda:1:2", "cuda:99999999999", " cpu", "mps"}) {
    EXPECT_FALSE(ParseDeviceName(bad).has_value()) << "'" << bad << "'";
  }
}

}  // namespace
}  // namespace ijepa::common
