#include "ijepa/eval/feature_extractor.h"

#include <memory>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/utils.h>

#include "ijepa/data/data_config.h"
#include "ijepa/eval/linear_classifier.h"
#include "ijepa/eval/probe_trainer.h"
#include "ijepa/eval/testing.h"

namespace ijepa::eval {
namespace {

using testing::InMemoryDataset;

data::DataConfig GreyConfig(int side) {
  data::DataConfig config;
  config.set_crop_size(side);
  config.set_channels(1);
  config.add_normalization_mean(0.5f);
  config.add_normalization_std(0.25f);
  return config;
}

class FeatureExtractorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(0);
    dataset_ = std::make_shared<InMemoryDataset>(testing::ToyImages(10, 8, 2));
    encoder_ = models::VisionTransformer(testing::TinyVit(8));
    auto transform = MakeEvalTransform(GreyConfig(8), *dataset_);
    ASSERT_TRUE(transform.ok()) << transform.status();
    transform_ = *transform;
    options_.batch_size = 3;  // uneven batches
    options_.num_workers = 2;
  }
  std::shared_ptr<InMemoryDataset> dataset_;
  models::VisionTransformer encoder_{nullptr};
  std::shared_ptr<const data::Transform> transform_;
  ExtractOptions options_;
};

TEST_F(FeatureExtractorTest, ShapesOfEveryFeatureKindAndRequestedOrder) {
  const std::vector<int64_t> indices = {9, 0, 4, 5, 7, 2, 1};
  FeatureRequest request{{PoolMode::kMean, PoolMode::kLast4}, /*patches=*/true, /*raw_pixels=*/true};
  auto f = ExtractFeatures(encoder_.get(), dataset_, indices, transform_, request, options_);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->pooled.at(PoolMode::kMean).sizes(), (std::vector<int64_t>{7, 16}));
  EXPECT_EQ(f->pooled.at(PoolMode::kLast4).sizes(), (std::vector<int64_t>{7, 64}));
  EXPECT_EQ(f->patches.sizes(), (std::vector<int64_t>{7, 4, 16}));
  EXPECT_EQ(f->raw_pixels.sizes(), (std::vector<int64_t>{7, 64}));
  EXPECT_EQ(f->indices, indices);
  for (size_t i = 0; i < indices.size(); ++i) EXPECT_EQ(f->labels[i].item<int64_t>(), indices[i] % 2);
  // Rows follow `indices`: compare with a direct forward of image 9 and image 2.
  torch::NoGradGuard no_grad;
  encoder_->eval();
  at::Tensor images = at::stack({f->raw_pixels[0].view({1, 8, 8}), f->raw_pixels[5].view({1, 8, 8})});
  std::vector<at::Tensor> blocks = encoder_->ForwardLastBlocks(images, 4);
  EXPECT_TRUE(at::allclose(f->pooled.at(PoolMode::kMean)[0], blocks.back()[0].mean(0), 1e-5, 1e-6));
  EXPECT_TRUE(at::allclose(f->pooled.at(PoolMode::kLast4)[5].slice(0, 0, 16), blocks[0][1].mean(0), 1e-5, 1e-6));
  EXPECT_TRUE(at::allclose(f->patches[5], blocks.back()[1], 1e-5, 1e-6));
}

TEST_F(FeatureExtractorTest, ImagesAtInputSizeAreUsedAsTheyAre) {
  auto f = ExtractFeatures(nullptr, dataset_, {3}, transform_, FeatureRequest{{}, false, true}, options_);
  ASSERT_TRUE(f.ok()) << f.status();
  absl::StatusOr<data::Example> example = dataset_->Load(3);
  ASSERT_TRUE(example.ok());
  const data::Image& image = example->image;
  std::vector<float> expected;
  for (uint8_t p : image.pixels) expected.push_back((p / 255.0f - 0.5f) / 0.25f);
  at::Tensor want = at::tensor(expected).view({1, 64});
  EXPECT_TRUE(at::allclose(f->raw_pixels, want, 1e-5, 1e-5)) << (f->raw_pixels - want).abs().max();
}

TEST_F(FeatureExtractorTest, BackboneGetsNoGradientsAndDoesNotChange) {
  std::vector<at::Tensor> before;
  for (const at::Tensor& p : encoder_->parameters()) before.push_back(p.detach().clone());
  encoder_->train();
  FeatureRequest request{{PoolMode::kMean}, true, false};
  auto f = ExtractFeatures(encoder_.get(), dataset_, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, transform_, request, options_);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(encoder_->is_training());  // mode restored
  EXPECT_FALSE(f->pooled.at(PoolMode::kMean).requires_grad());
  EXPECT_FALSE(f->patches.requires_grad());
  // Train a probe on the features: its gradients must not reach the encoder.
  auto head = std::make_shared<LinearClassifierImpl>(LinearClassifierOptions{16, 2, true, 0.01, 0});
  TrainOptions o;
  o.epochs = 5;
  o.batch_size = 4;
  TrainHead(*head, {f->pooled.at(PoolMode::kMean), f->labels}, o, c10::Device(c10::kCPU));
  size_t i = 0;
  for (const at::Tensor& p : encoder_->parameters()) {
    EXPECT_FALSE(p.grad().defined()) << "parameter " << i << " got a gradient";
    EXPECT_TRUE(at::equal(p, before[i])) << "parameter " << i << " changed";
    ++i;
  }
  EXPECT_EQ(i, before.size());
}

TEST_F(FeatureExtractorTest, ErrorsOnMismatchedInputAndBadIndices) {
  models::VisionTransformer rgb(testing::TinyVit(8));
  auto options = testing::TinyVit(8);
  options.in_chans = 3;
  models::VisionTransformer three(options);
  auto bad = ExtractFeatures(three.get(), dataset_, {0}, transform_, FeatureRequest{{PoolMode::kMean}}, options_);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("encoder expects 3x8x8"), std::string::npos) << bad.status();
  EXPECT_FALSE(ExtractFeatures(rgb.get(), dataset_, {10}, transform_, FeatureRequest{{PoolMode::kMean}}, options_).ok());
  EXPECT_FALSE(ExtractFeatures(nullptr, dataset_, {0}, transform_, FeatureRequest{{PoolMode::kMean}}, options_).ok());
}

}  // namespace
}  // namespace ijepa::eval
