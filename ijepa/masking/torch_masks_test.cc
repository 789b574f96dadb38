#include "ijepa/masking/torch_masks.h"

#include <ATen/ATen.h>

#include "gtest/gtest.h"
#include "ijepa/masking/mask_sampler.h"

namespace ijepa::masking {
namespace {

TEST(TorchMasksTest, StacksEachMaskIntoInt64BatchByK) {
  const std::vector<std::vector<std::vector<int32_t>>> masks = {{{0, 5, 7}, {1, 2, 195}},
                                                               {{3, 4, 6}, {8, 9, 10}}};
  const std::vector<at::Tensor> t = ToIndexTensors(masks, c10::Device(c10::kCPU));
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].scalar_type(), at::kLong);
  EXPECT_EQ(t[0].sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_TRUE(t[0].device().is_cpu());
  EXPECT_EQ(t[0][1][2].item<int64_t>(), 195);
  EXPECT_EQ(t[1][0][0].item<int64_t>(), 3);
  EXPECT_EQ(t[1][1][2].item<int64_t>(), 10);
}

TEST(TorchMasksTest, SampledBatchConverts) {
  auto sampler = CreateMaskSampler(MaskConfig(), 14, 14);
  ASSERT_TRUE(sampler.ok());
  const BatchMasks masks = (*sampler)->Sample(5, 1, 0, 0, 0);
  const MaskTensors t = ToMaskTensors(masks, c10::Device(c10::kCPU));
  ASSERT_EQ(t.context.size(), 1u);
  ASSERT_EQ(t.targets.size(), 4u);
  EXPECT_EQ(t.context[0].size(0), 5);
  EXPECT_EQ(t.context[0].size(1), static_cast<int64_t>(masks.context[0][0].size()));
  EXPECT_EQ(t.targets[3][4][0].item<int64_t>(), masks.targets[3][4][0]);
}

TEST(TorchMasksTest, RaggedMasksFailWithAMessage) {
  const std::vector<std::vector<std::vector<int32_t>>> ragged = {{{0, 1}, {2}}};
  try {
    ToIndexTensors(ragged, c10::Device(c10::kCPU));
    FAIL() << "expected a c10::Error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("mask 0 has 1 indices for image 1"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace ijepa::masking
