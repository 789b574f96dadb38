#include "ijepa/common/torch_compat.h"

#include <ATen/ATen.h>
#include <c10/util/Logging.h>
#include <gtest/gtest.h>
#include <torch/optim/adamw.h>

namespace ijepa::compat {
namespace {

TEST(TorchCompatTest, VersionMacroMatchesLinkedLibrary) {
  EXPECT_TRUE(IJEPA_TORCH_VERSION_AT_LEAST(1, 13));
  EXPECT_TRUE(IJEPA_TORCH_VERSION_AT_LEAST(kTorchVersionMajor, kTorchVersionMinor));
  EXPECT_FALSE(IJEPA_TORCH_VERSION_AT_LEAST(kTorchVersionMajor, kTorchVersionMinor + 1));
  EXPECT_FALSE(IJEPA_TORCH_VERSION_AT_LEAST(kTorchVersionMajor + 1, 0));
  EXPECT_EQ(kHasFusedAttention, kTorchVersionMajor >= 2);
}

// c10's LOG/CHECK must be glog's with every LibTorch (@libtorch defines C10_USE_GLOG for one
// built without glog), or files that include both would get whichever header came last.
static_assert(c10::IsUsingGoogleLogging(), "c10 logging is not glog: see @libtorch's BUILD");

TEST(TorchCompatTest, OptimizerStateKeyFindsTheParameterState) {
  at::Tensor w = at::ones({3}).requires_grad_(true);
  at::Tensor other = at::ones({3}).requires_grad_(true);
  torch::optim::AdamW adamw({w}, torch::optim::AdamWOptions(0.1));
  w.sum().backward();
  adamw.step();
  auto it = adamw.state().find(OptimizerStateKey<torch::optim::Optimizer>(w));
  ASSERT_NE(it, adamw.state().end());
  EXPECT_EQ(static_cast<const torch::optim::AdamWParamState&>(*it->second).step(), 1);
  EXPECT_EQ(adamw.state().find(OptimizerStateKey<torch::optim::Optimizer>(other)),
            adamw.state().end());
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
