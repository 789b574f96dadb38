#include "ijepa/data/data_config.h"

#include <google/protobuf/text_format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ijepa/data/subset.h"
#include "ijepa/data/test_util.h"

namespace ijepa::data {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::WriteFile;

DataConfig Parse(const std::string& text) {
  DataConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config)) << text;
  return config;
}

TEST(DataConfigTest, DefaultsFollowTheOfficialConfigAndFashionMnist) {
  const DataConfig config;
  EXPECT_EQ(config.dataset(), DataConfig::IDX);
  EXPECT_EQ(config.root_path(), "/usr/share/datasets/fashion-mnist");
  EXPECT_EQ(config.batch_size(), 128);
  EXPECT_EQ(config.crop_size(), 224);
  EXPECT_EQ(config.num_workers(), 10);
  EXPECT_TRUE(config.pin_mem());
  EXPECT_FALSE(config.use_color_distortion() || config.use_gaussian_blur() || config.use_horizontal_flip());
  EXPECT_EQ(config.color_jitter_strength(), 0.0f);
  EXPECT_TRUE(ValidateDataConfig(config).ok());
  auto train = TrainTransformOptionsFromConfig(config);
  ASSERT_TRUE(train.ok());
  EXPECT_DOUBLE_EQ(train->scale_min, 0.3);
  EXPECT_DOUBLE_EQ(train->scale_max, 1.0);
  EXPECT_THAT(train->mean, ElementsAre(0.2860f, 0.2860f, 0.2860f));  // grey stats, 3 channels
  auto eval = EvalTransformOptionsFromConfig(config);
  ASSERT_TRUE(eval.ok());
  EXPECT_EQ(eval->mode, TransformOptions::Mode::kResizeCenterCrop);
  EXPECT_EQ(eval->resize_size, 256);
}

TEST(DataConfigTest, NormalizationDefaultsPerDataSetAndOverrides) {
  auto imagenet = NormalizationFromConfig(Parse("dataset: IMAGE_FOLDER"));
  ASSERT_TRUE(imagenet.ok());
  EXPECT_THAT(imagenet->std, ElementsAre(0.229f, 0.224f, 0.225f));
  auto grey = NormalizationFromConfig(Parse("dataset: IDX channels: 1"));
  ASSERT_TRUE(grey.ok());
  EXPECT_THAT(grey->mean, ElementsAre(0.2860f));
  auto custom = NormalizationFromConfig(Parse("normalization_mean: 0.5 normalization_std: [0.1, 0.2, 0.3]"));
  ASSERT_TRUE(custom.ok());
  EXPECT_THAT(custom->mean, ElementsAre(0.5f, 0.5f, 0.5f));
  EXPECT_THAT(custom->std, ElementsAre(0.1f, 0.2f, 0.3f));
}

TEST(DataConfigTest, ValidationErrorsNameTheField) {
  const std::pair<std::string, std::string> cases[] = {
      {"crop_scale: 0.3", "data.crop_scale has 1 value(s)"},
      {"crop_scale: [0.5, 0.2]", "data.crop_scale"},
      {"crop_scale: [0.5, 1.5]", "data.crop_scale max is 1.5"},
      {"channels: 2", "data.channels is 2; expected 1 or 3"},
      {"normalization_mean: [0.1, 0.2]", "data.normalization_mean has 2 values"},
      {"normalization_std: 0", "data.normalization_std has 0; expected > 0"},
      {"batch_size: 0", "data.batch_size is 0"},
      {"max_skipped_fraction: 2", "data.max_skipped_fraction"},
      {"eval_resize_size: 100", "data.eval_resize_size is 100"},
      {"subset_file: 'x.txt'", "data.subset_file is set but data.dataset is not IMAGE_FOLDER"},
      {"dataset: DATASET_KIND_UNSPECIFIED", "data.dataset is unspecified"},
      // Upper bounds (issue 14): 100000 workers aborted, a billion images exhausted memory.
      {"num_workers: 100000", "data.num_workers must be <= "},
      {"num_workers: 100000", "hardware threads of this machine, at least 64), got 100000"},
      {"batch_size: 1000000000", "data.batch_size must be <= 65536 images, got 1000000000"},
  };
  for (const auto& [text, message] : cases) {
    const absl::Status status = ValidateDataConfig(Parse(text));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(std::string(status.message()), HasSubstr(message)) << text;
  }
}

TEST(OpenDatasetTest, IdxSplitsAndLowShot) {
  const std::string dir = testing::FreshTempDir("open_idx");
  std::string labels;
  for (int i = 0; i < 40; ++i) labels.push_back(static_cast<char>(i % 4));
  WriteFile(dir + "/train-images-idx3-ubyte.gz", testing::GzipBytes(testing::IdxBytes({40, 3, 3}, std::string(360, 'a'))));
  WriteFile(dir + "/train-labels-idx1-ubyte", testing::IdxBytes({40}, labels));
  DataConfig config = Parse("root_path: '" + dir + "'");
  auto train = OpenDataset(config, "train");
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_EQ((*train)->size(), 40);
  auto test = OpenDataset(config, "test");
  ASSERT_FALSE(test.ok());
  EXPECT_THAT(test.status().message(), HasSubstr("found neither t10k-images-idx3-ubyte.gz nor t10k-images-idx3-ubyte"));
  EXPECT_FALSE(OpenDataset(config, "dev").ok());

  config.set_low_shot_per_class(3);
  auto low_shot = OpenDataset(config, "train");
  ASSERT_TRUE(low_shot.ok()) << low_shot.status();
  EXPECT_EQ((*low_shot)->size(), 12);
  config.set_low_shot_per_class(0);
  config.set_low_shot_percent(50);
  EXPECT_EQ((*OpenDataset(config, "train"))->size(), 20);
}

// The validation split carved from the training split: balanced, disjoint from "train" and from
// the low-shot labels drawn from "train", the same for the same seed, another for another seed.
TEST(OpenDatasetTest, HoldoutIsABalancedPartOfTheTrainingSplitThatTrainNeverSees) {
  const std::string dir = testing::FreshTempDir("open_holdout");
  std::string labels;
  for (int i = 0; i < 40; ++i) labels.push_back(static_cast<char>(i % 4));
  WriteFile(dir + "/train-images-idx3-ubyte", testing::IdxBytes({40, 3, 3}, std::string(360, 'a')));
  WriteFile(dir + "/train-labels-idx1-ubyte", testing::IdxBytes({40}, labels));
  DataConfig config = Parse("root_path: '" + dir + "' holdout_per_class: 3");
  auto indices = [&](const DataConfig& c, const char* split) {
    auto opened = OpenDataset(c, split);
    EXPECT_TRUE(opened.ok()) << opened.status();
    auto* subset = dynamic_cast<const SubsetDataset*>(opened->get());
    EXPECT_NE(subset, nullptr) << split;
    return subset != nullptr ? subset->indices() : std::vector<int64_t>{};
  };
  const std::vector<int64_t> held = indices(config, "holdout");
  const std::vector<int64_t> train = indices(config, "train");
  ASSERT_EQ(held.size(), 12u);
  ASSERT_EQ(train.size(), 28u);
  std::vector<int> per_class(4, 0);
  std::vector<bool> seen(40, false);
  for (int64_t i : held) ++per_class[i % 4], seen[i] = true;
  EXPECT_THAT(per_class, ElementsAre(3, 3, 3, 3));
  for (int64_t i : train) {
    EXPECT_FALSE(seen[i]) << "image " << i << " is in both holdout and train";
    seen[i] = true;
  }
  EXPECT_EQ(std::count(seen.begin(), seen.end(), true), 40);
  EXPECT_EQ(indices(config, "holdout"), held);  // fixed by the seed
  config.set_holdout_seed(1);
  EXPECT_NE(indices(config, "holdout"), held);
  config.set_holdout_seed(0);

  // Low-shot labels come from what is left: 2 per class, none held out.
  config.set_low_shot_per_class(2);
  const std::vector<int64_t> low_shot = indices(config, "train");
  ASSERT_EQ(low_shot.size(), 8u);
  for (int64_t i : low_shot) {
    EXPECT_EQ(std::count(held.begin(), held.end(), i), 0) << i;
  }
  EXPECT_EQ(indices(config, "holdout"), held);  // the holdout ignores low_shot_*
  // Every image held out: nothing is left to draw labels from (never a held-out image).
  config.set_holdout_per_class(10);
  EXPECT_TRUE(indices(config, "train").empty());
  config.set_holdout_per_class(3);

  config.set_holdout_per_class(0);
  auto refused = OpenDataset(config, "holdout");
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("needs data.holdout_per_class > 0"));
  config.set_holdout_per_class(11);  // a class has 10 images
  refused = OpenDataset(config, "train");
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("data.holdout_per_class: class 0 has 10 images"));
}

TEST(OpenDatasetTest, CifarAndImageFolderLayouts) {
  const std::string dir = testing::FreshTempDir("open_cifar");
  std::string record(1 + 3072, '\0');
  for (int i = 1; i <= 5; ++i) {
    record[0] = static_cast<char>(i);
    WriteFile(dir + "/cifar-10-batches-bin/data_batch_" + std::to_string(i) + ".bin", record + record);
  }
  auto cifar = OpenDataset(Parse("dataset: CIFAR10 root_path: '" + dir + "' image_folder: 'cifar-10-batches-bin'"), "train");
  ASSERT_TRUE(cifar.ok()) << cifar.status();
  EXPECT_EQ((*cifar)->size(), 10);
  EXPECT_EQ((*cifar)->labels()[9], 5);
  auto missing = OpenDataset(Parse("dataset: CIFAR10 root_path: '" + dir + "' image_folder: 'cifar-10-batches-bin'"), "val");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("test_batch.bin"));

  const std::string jpeg = testing::EncodeJpeg(testing::PatternImage(8, 8, 3, 1));
  WriteFile(dir + "/imagenet/train/n02/n02_1.JPEG", jpeg);
  WriteFile(dir + "/imagenet/train/n01/n01_1.JPEG", jpeg);
  WriteFile(dir + "/imagenet/train/n01/n01_2.JPEG", jpeg);
  WriteFile(dir + "/subset.txt", "n01_2.JPEG\nn02_1.JPEG\n");
  const std::string folder = "dataset: IMAGE_FOLDER root_path: '" + dir + "' image_folder: 'imagenet'";
  auto train = OpenDataset(Parse(folder + " subset_file: '" + dir + "/subset.txt'"), "train");
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_THAT((*train)->labels(), ElementsAre(0, 1));
  auto val = OpenDataset(Parse(folder), "val");
  ASSERT_FALSE(val.ok());
  EXPECT_THAT(val.status().message(), HasSubstr(dir + "/imagenet/val does not exist"));

  auto no_root = OpenDataset(Parse("root_path: '" + dir + "/nowhere'"), "train");
  ASSERT_FALSE(no_root.ok());
  EXPECT_THAT(no_root.status().message(), HasSubstr(dir + "/nowhere"));
}

}  // namespace
}  // namespace ijepa::data
