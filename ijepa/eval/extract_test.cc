#include "ijepa/eval/extract.h"

#include <ATen/ATen.h>
#include <ATen/core/Dict.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "ijepa/checkpoint/torch_file.h"
#include "ijepa/data/test_util.h"
#include "ijepa/eval/eval_config.h"

namespace ijepa::eval {
namespace {

using ::testing::HasSubstr;

// Six 8x8 grey training images (IDX), labels 0..2.
std::string WriteIdx(const std::string& name) {
  const std::string dir = data::testing::FreshTempDir(name);
  std::string pixels(6 * 8 * 8, '\0');
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<char>((i * 37) % 251);
  data::testing::WriteFile(dir + "/train-images-idx3-ubyte", data::testing::IdxBytes({6, 8, 8}, pixels));
  data::testing::WriteFile(dir + "/train-labels-idx1-ubyte",
                           data::testing::IdxBytes({6}, std::string("\x00\x01\x02\x00\x01\x02", 6)));
  return dir;
}

EvalConfig Config(const std::vector<std::string>& sets) {
  absl::StatusOr<EvalConfig> config = ResolveEvalConfig(std::nullopt, sets);
  EXPECT_TRUE(config.ok()) << config.status();
  return config.value_or(EvalConfig());
}

TEST(DataConfigOfFolderTest, DetectsTheKindFromTheFiles) {
  const std::string idx = WriteIdx("detect_idx");
  absl::StatusOr<data::DataConfig> c = DataConfigOfFolder(idx);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->dataset(), data::DataConfig::IDX);
  EXPECT_EQ(c->root_path(), idx);
  EXPECT_TRUE(c->has_image_folder());
  EXPECT_EQ(c->image_folder(), "");

  const std::string cifar10 = data::testing::FreshTempDir("detect_cifar10");
  data::testing::WriteFile(cifar10 + "/test_batch.bin", "");
  EXPECT_EQ(DataConfigOfFolder(cifar10)->dataset(), data::DataConfig::CIFAR10);
  const std::string cifar100 = data::testing::FreshTempDir("detect_cifar100");
  data::testing::WriteFile(cifar100 + "/train.bin", "");
  EXPECT_EQ(DataConfigOfFolder(cifar100)->dataset(), data::DataConfig::CIFAR100);
  const std::string folder = data::testing::FreshTempDir("detect_folder");
  EXPECT_EQ(DataConfigOfFolder(folder)->dataset(), data::DataConfig::IMAGE_FOLDER);

  c = DataConfigOfFolder(idx + "/train-images-idx3-ubyte");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("extract.data_folder"));
}

TEST(ExtractFeaturesToFileTest, WritesTheConfiguredFeatures) {
  const std::string idx = WriteIdx("extract_idx");
  ExtractRequest request;
  request.random_init = true;
  request.out = ::testing::TempDir() + "/features.pt";
  const EvalConfig config =
      Config({"extract.data_folder=" + idx, "extract.pool=LAST4", "extract.max_images=4", "model.crop_size=8",
              "extract_batch_size=3", "num_workers=0", "threads=1"});
  absl::StatusOr<std::string> done = ExtractFeaturesToFile(config, request);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_THAT(*done, HasSubstr("wrote " + request.out + ": features [4, 768] of 4 train images"));

  absl::StatusOr<c10::IValue> file = checkpoint::ReadTorchFile(request.out);
  ASSERT_TRUE(file.ok()) << file.status();
  const auto dict = file->toGenericDict();
  EXPECT_EQ(dict.at("features").toTensor().sizes(), (std::vector<int64_t>{4, 4 * 192}));
  EXPECT_TRUE(at::equal(dict.at("labels").toTensor(), at::tensor({0, 1, 2, 0}, at::kLong)));
  EXPECT_TRUE(at::equal(dict.at("indices").toTensor(), at::tensor({0, 1, 2, 3}, at::kLong)));
  EXPECT_EQ(dict.at("pool").toStringRef(), "last4");
  EXPECT_EQ(dict.at("which").toStringRef(), "random_init");
  EXPECT_EQ(dict.at("split").toStringRef(), "train");
  EXPECT_THAT(dict.at("model").toStringRef(), HasSubstr("crop_size: 8"));
  EXPECT_THAT(dict.at("data").toStringRef(), HasSubstr(idx));

  // No pooling: per-patch features of the last block, (8 / 4)^2 = 4 patches.
  done = ExtractFeaturesToFile(Config({"extract.data_folder=" + idx, "extract.pool=NONE", "model.crop_size=8",
                                       "num_workers=0", "threads=1"}),
                               request);
  ASSERT_TRUE(done.ok()) << done.status();
  file = checkpoint::ReadTorchFile(request.out);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->toGenericDict().at("features").toTensor().sizes(), (std::vector<int64_t>{6, 4, 192}));
  EXPECT_EQ(file->toGenericDict().at("pool").toStringRef(), "none");
}

TEST(ExtractFeaturesToFileTest, ErrorsNameTheField) {
  ExtractRequest request;
  request.random_init = true;
  request.out = ::testing::TempDir() + "/never.pt";
  auto error = [&](const std::vector<std::string>& sets) {
    absl::StatusOr<std::string> done = ExtractFeaturesToFile(Config(sets), request);
    EXPECT_FALSE(done.ok());
    return done.ok() ? std::string() : std::string(done.status().message());
  };
  EXPECT_THAT(error({"extract.pool=POOL_UNSPECIFIED"}), HasSubstr("extract.pool must be MEAN, LAST4 or NONE"));
  EXPECT_THAT(error({"extract.max_images=-1"}), HasSubstr("extract.max_images must be >= 0, got -1"));
  EXPECT_THAT(error({"num_workers=-1"}), HasSubstr("num_workers must be >= 0, got -1"));
  EXPECT_THAT(error({"device=cuda:x"}), HasSubstr("eval config field device must be"));
  EXPECT_THAT(error({"extract_batch_size=0"}), HasSubstr("extract_batch_size must be > 0"));
  request.random_init = false;
  EXPECT_THAT(error({}), HasSubstr("--checkpoint is required"));
}

}  // namespace
}  // namespace ijepa::eval
