#include "ijepa/common/torch_compat.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

namespace ijepa::compat {
namespace {

TEST(TorchCompatTest, VersionMacroMatchesLinkedLibrary) {
  EXPECT_TRUE(IJEPA_TORCH_VERSION_AT_LEAST(1, 13));
  EXPECT_TRUE(IJEPA_TORCH_VERSION_AT_LEAST(kTorchVersionMajor, kTorchVersionMinor));
  EXPECT_FALSE(IJEPA_TORCH_VERSION_AT_LEAST(kTorchVersionMajor, kTorchVersionMinor + 1));
  EXPECT_FALSE(IJEPA_TORCH_VERSION_AT_LEAST(kTorchVersionMajor + 1, 0));
  EXPECT_EQ(kHasFusedAttention, kTorchVersionMajor >= 2);
}

TEST(TorchCompatTest, AutocastGuardCastsMatmulAndRestoresState) {
  const at::Tensor a = at::ones({4, 4});
  ASSERT_FALSE(IsAutocastEnabled(c10::DeviceType::CPU));
  const c10::ScalarType before = GetAutocastDtype(c10::DeviceType::CPU);
  {
    AutocastGuard guard(c10::Device(c10::DeviceType::CPU), c10::ScalarType::BFloat16);
    EXPECT_TRUE(IsAutocastEnabled(c10::DeviceType::CPU));
    EXPECT_EQ(at::mm(a, a).scalar_type(), c10::ScalarType::BFloat16);
  }
  EXPECT_FALSE(IsAutocastEnabled(c10::DeviceType::CPU));
  EXPECT_EQ(GetAutocastDtype(c10::DeviceType::CPU), before);
  EXPECT_EQ(at::mm(a, a).scalar_type(), c10::ScalarType::Float);
}

TEST(TorchCompatTest, DisabledAutocastGuardChangesNothing) {
  const at::Tensor a = at::ones({4, 4});
  AutocastGuard guard(c10::Device(c10::DeviceType::CPU), c10::ScalarType::BFloat16,
                      /*enabled=*/false);
  EXPECT_FALSE(IsAutocastEnabled(c10::DeviceType::CPU));
  EXPECT_EQ(at::mm(a, a).scalar_type(), c10::ScalarType::Float);
}

}  // namespace
}  // namespace ijepa::compat
