#include "ijepa/eval/low_shot_probe.h"

#include <filesystem>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/utils.h>

#include "ijepa/eval/testing.h"

namespace ijepa::eval {
namespace {

TEST(LowShotProbeTest, ProbesAnEncoderOnAnIdxDataSetAndLeavesItUntouched) {
  const std::string dir = ::testing::TempDir() + "/idx";
  std::filesystem::create_directories(dir);
  ASSERT_TRUE(testing::WriteIdx(testing::ToyImages(60, 8, 3, 1), dir, "train"));
  ASSERT_TRUE(testing::WriteIdx(testing::ToyImages(30, 8, 3, 2), dir, "t10k"));
  data::DataConfig data;
  data.set_dataset(data::DataConfig::IDX);
  data.set_root_path(dir);
  data.set_crop_size(8);
  data.set_channels(1);
  data.set_low_shot_per_class(2);  // a pretraining subset setting: must not restrict the probe

  torch::manual_seed(0);
  models::VisionTransformer encoder(testing::TinyVit(8));
  encoder->train();
  std::vector<at::Tensor> before;
  for (const at::Tensor& p : encoder->parameters()) before.push_back(p.detach().clone());

  LowShotProbeOptions options;
  options.images_per_class = 10;
  options.max_eval_images = 20;
  options.epochs = 10;
  options.num_workers = 1;
  absl::StatusOr<ProbeResult> r = RunLowShotProbe(*encoder, data, options, c10::Device(c10::kCPU));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->num_labeled, 30);
  EXPECT_EQ(r->num_test, 20);
  EXPECT_TRUE(r->pool == "mean" || r->pool == "last4") << r->pool;
  EXPECT_GE(r->top1, 0.0);
  EXPECT_LE(r->top1, 100.0);
  EXPECT_DOUBLE_EQ(r->top5, 100.0);  // 3 classes
  EXPECT_GE(r->knn_top1, 0.0);
  EXPECT_GT(r->lr, 0.0);
  const std::string line = ProbeResultLine(*r, options);
  EXPECT_NE(line.find("10/class"), std::string::npos) << line;
  EXPECT_TRUE(encoder->is_training());
  size_t i = 0;
  for (const at::Tensor& p : encoder->parameters()) {
    EXPECT_TRUE(at::equal(p, before[i++]));
    EXPECT_FALSE(p.grad().defined());
  }

  options.images_per_class = 0;
  EXPECT_FALSE(RunLowShotProbe(*encoder, data, options, c10::Device(c10::kCPU)).ok());
  options.images_per_class = 25;  // more than a class has
  EXPECT_FALSE(RunLowShotProbe(*encoder, data, options, c10::Device(c10::kCPU)).ok());
}

}  // namespace
}  // namespace ijepa::eval
