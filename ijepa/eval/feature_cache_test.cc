#include "ijepa/eval/feature_cache.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/utils.h>

#include "ijepa/eval/testing.h"

namespace ijepa::eval {
namespace {

TEST(FeatureCacheTest, SecondRunReadsTheFileAndKeysSeparateRuns) {
  torch::manual_seed(0);
  auto dataset = std::make_shared<testing::InMemoryDataset>(testing::ToyImages(12, 8, 3));
  models::VisionTransformer encoder(testing::TinyVit(8));
  data::DataConfig config;
  config.set_crop_size(8);
  config.set_channels(1);
  auto transform = MakeEvalTransform(config, *dataset);
  ASSERT_TRUE(transform.ok()) << transform.status();
  const std::string dir = ::testing::TempDir() + "/feature_cache";
  std::filesystem::remove_all(dir);
  const std::vector<int64_t> indices = {5, 1, 7, 0};
  FeatureRequest request{{PoolMode::kMean, PoolMode::kLast4}, true, true};
  ExtractOptions options;
  options.batch_size = 3;
  const std::string key = FeatureCacheKey("ckpt:1:2:target_encoder", config, "train", indices, request);
  EXPECT_EQ(key.size(), 32u);
  // Anything that changes the features changes the key.
  EXPECT_NE(key, FeatureCacheKey("ckpt:1:3:target_encoder", config, "train", indices, request));
  EXPECT_NE(key, FeatureCacheKey("ckpt:1:2:target_encoder", config, "test", indices, request));
  EXPECT_NE(key, FeatureCacheKey("ckpt:1:2:target_encoder", config, "train", {5, 1, 7}, request));
  data::DataConfig other = config;
  other.add_normalization_mean(0.1f);
  EXPECT_NE(key, FeatureCacheKey("ckpt:1:2:target_encoder", other, "train", indices, request));

  auto first = CachedExtractFeatures(dir, key, encoder.get(), dataset, indices, *transform, request, options);
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string path = dir + "/features-" + key + ".pt";
  ASSERT_TRUE(std::filesystem::exists(path));
  // Perturb the encoder: a cache hit must return the stored features, not re-encode.
  {
    at::NoGradGuard no_grad;
    encoder->named_parameters()["norm.bias"].add_(1.0);
  }
  auto second = CachedExtractFeatures(dir, key, encoder.get(), dataset, indices, *transform, request, options);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(at::equal(first->pooled.at(PoolMode::kMean), second->pooled.at(PoolMode::kMean)));
  EXPECT_TRUE(at::equal(first->pooled.at(PoolMode::kLast4), second->pooled.at(PoolMode::kLast4)));
  EXPECT_TRUE(at::equal(first->patches, second->patches));
  EXPECT_TRUE(at::equal(first->raw_pixels, second->raw_pixels));
  EXPECT_TRUE(at::equal(first->labels, second->labels));
  EXPECT_EQ(second->indices, indices);

  // A corrupt cache file is recomputed (and rewritten), not trusted.
  { std::ofstream(path, std::ios::trunc) << "garbage"; }
  auto third = CachedExtractFeatures(dir, key, encoder.get(), dataset, indices, *transform, request, options);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_FALSE(at::equal(first->pooled.at(PoolMode::kMean), third->pooled.at(PoolMode::kMean)));  // new encoder
  auto fourth = CachedExtractFeatures(dir, key, encoder.get(), dataset, indices, *transform, request, options);
  ASSERT_TRUE(fourth.ok());
  EXPECT_TRUE(at::equal(third->pooled.at(PoolMode::kMean), fourth->pooled.at(PoolMode::kMean)));
}

}  // namespace
}  // namespace ijepa::eval
