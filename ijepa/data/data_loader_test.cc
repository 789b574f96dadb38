#include "ijepa/data/data_loader.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ijepa/data/data_config.h"
#include "ijepa/data/image_folder.h"
#include "ijepa/data/test_util.h"

namespace ijepa::data {
namespace {

using ::testing::HasSubstr;

// Pattern images that differ per index; indices in `broken` fail to load.
class FakeDataset : public Dataset {
 public:
  FakeDataset(int64_t size, std::set<int64_t> broken = {}) : broken_(std::move(broken)) {
    for (int64_t i = 0; i < size; ++i) labels_.push_back(i % 4);
  }
  int64_t size() const override { return static_cast<int64_t>(labels_.size()); }
  absl::StatusOr<Example> Load(int64_t index) const override {
    if (broken_.count(index)) return absl::DataLossError("fake:" + std::to_string(index) + " is corrupt");
    Example example;
    example.image = testing::PatternImage(12 + index % 5, 16, 3, static_cast<uint32_t>(index));
    example.label = labels_[index];
    example.source = "fake:" + std::to_string(index);
    return example;
  }
  int64_t num_classes() const override { return 4; }
  const std::vector<int64_t>& labels() const override { return labels_; }

 private:
  std::set<int64_t> broken_;
  std::vector<int64_t> labels_;
};

std::shared_ptr<const Transform> AugmentingTransform(int size = 8) {
  TransformOptions options;
  options.crop_size = size;
  options.horizontal_flip = options.color_distortion = options.gaussian_blur = true;
  options.color_jitter_strength = 0.5;
  return std::make_shared<Transform>(options);
}

std::vector<Batch> Epoch(DataLoader& loader, int64_t epoch, int64_t start = 0) {
  loader.StartEpoch(epoch, start);
  std::vector<Batch> batches;
  while (true) {
    auto next = loader.Next();
    EXPECT_TRUE(next.ok()) << next.status();
    if (!next.ok() || !next->has_value()) break;
    batches.push_back(std::move(**next));
  }
  return batches;
}

TEST(DataLoaderTest, BatchShapesLabelsAndDropLast) {
  auto dataset = std::make_shared<FakeDataset>(10);
  DataLoader::Options options;
  options.batch_size = 4;
  DataLoader loader(dataset, AugmentingTransform(), options);
  EXPECT_EQ(loader.batches_per_epoch(), 2);
  const auto batches = Epoch(loader, 0);
  ASSERT_EQ(batches.size(), 2u);
  for (const Batch& batch : batches) {
    EXPECT_EQ(batch.images.sizes(), (std::vector<int64_t>{4, 3, 8, 8}));
    EXPECT_EQ(batch.images.scalar_type(), at::kFloat);
    EXPECT_EQ(batch.labels.scalar_type(), at::kLong);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(batch.labels[i].item<int64_t>(), batch.indices[i] % 4);
  }
  EXPECT_EQ(batches[1].batch_index, 1);
  options.drop_last = false;
  DataLoader keep(dataset, AugmentingTransform(), options);
  const auto all = Epoch(keep, 0);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2].images.size(0), 2);
}

TEST(DataLoaderTest, BatchesIdenticalForAnyThreadCountAndResumable) {
  auto dataset = std::make_shared<FakeDataset>(37);
  DataLoader::Options options;
  options.batch_size = 5;
  options.seed = 9;
  std::vector<std::vector<Batch>> runs;
  for (int workers : {0, 1, 3}) {
    options.num_workers = workers;
    options.prefetch_batches = workers == 3 ? 2 : 4;
    DataLoader loader(dataset, AugmentingTransform(), options);
    runs.push_back(Epoch(loader, 0));
    auto epoch1 = Epoch(loader, 1);
    runs.back().insert(runs.back().end(), epoch1.begin(), epoch1.end());
  }
  ASSERT_EQ(runs[0].size(), 14u);
  for (size_t r = 1; r < runs.size(); ++r) {
    ASSERT_EQ(runs[r].size(), runs[0].size());
    for (size_t b = 0; b < runs[0].size(); ++b) {
      EXPECT_EQ(runs[r][b].indices, runs[0][b].indices);
      EXPECT_TRUE(at::equal(runs[r][b].images, runs[0][b].images)) << "run " << r << " batch " << b;
    }
  }
  // Resume at batch 4 of epoch 1 (batches 7.. of the run) in a fresh loader.
  options.num_workers = 2;
  DataLoader resumed(dataset, AugmentingTransform(), options);
  const auto tail = Epoch(resumed, 1, 4);
  ASSERT_EQ(tail.size(), 3u);
  for (size_t b = 0; b < tail.size(); ++b) {
    EXPECT_EQ(tail[b].batch_index, static_cast<int64_t>(4 + b));
    EXPECT_TRUE(at::equal(tail[b].images, runs[0][7 + 4 + b].images));
  }
  // Different epochs: different order.
  EXPECT_NE(runs[0][0].indices, runs[0][7].indices);
}

TEST(DataLoaderTest, ShardsCoverTheDataSetOncePerEpoch) {
  auto dataset = std::make_shared<FakeDataset>(20);
  for (int64_t epoch : {0, 1}) {
    std::vector<int64_t> seen;
    std::vector<int64_t> first_rank_order;
    for (int rank = 0; rank < 3; ++rank) {
      DataLoader::Options options;
      options.batch_size = 3;
      options.drop_last = false;
      options.rank = rank;
      options.world_size = 3;
      DataLoader loader(dataset, AugmentingTransform(4), options);
      EXPECT_EQ(loader.samples_per_epoch(), 7);  // 20 padded to 21
      for (const Batch& batch : Epoch(loader, epoch)) {
        seen.insert(seen.end(), batch.indices.begin(), batch.indices.end());
        if (rank == 0) first_rank_order.insert(first_rank_order.end(), batch.indices.begin(), batch.indices.end());
      }
    }
    ASSERT_EQ(seen.size(), 21u);
    std::set<int64_t> unique(seen.begin(), seen.end());
    EXPECT_EQ(unique.size(), 20u) << "epoch " << epoch;
    static std::vector<int64_t> epoch0_order;
    if (epoch == 0) epoch0_order = first_rank_order;
    else EXPECT_NE(first_rank_order, epoch0_order);
  }
}

TEST(DataLoaderTest, UnreadableSamplesAreSkippedCountedAndLimited) {
  auto dataset = std::make_shared<FakeDataset>(40, std::set<int64_t>{3, 7});
  DataLoader::Options options;
  options.batch_size = 8;
  options.max_skipped_fraction = 0.1;
  DataLoader loader(dataset, AugmentingTransform(), options);
  int64_t rows = 0;
  std::set<int64_t> seen;
  for (const Batch& batch : Epoch(loader, 0)) {
    rows += batch.images.size(0);
    EXPECT_EQ(batch.labels.size(0), batch.images.size(0));
    EXPECT_EQ(static_cast<int64_t>(batch.indices.size()), batch.images.size(0));
    seen.insert(batch.indices.begin(), batch.indices.end());
  }
  EXPECT_EQ(rows, 38);
  EXPECT_EQ(loader.skipped_in_epoch(), 2);
  EXPECT_FALSE(seen.count(3) || seen.count(7));

  options.max_skipped_fraction = 0.01;
  DataLoader strict(dataset, AugmentingTransform(), options);
  strict.StartEpoch(0);
  absl::Status failure;
  for (int i = 0; i < 5 && failure.ok(); ++i) {
    auto next = strict.Next();
    if (!next.ok()) failure = next.status();
  }
  ASSERT_FALSE(failure.ok());
  EXPECT_EQ(failure.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(failure.message(), HasSubstr("of the 40 samples of epoch 0"));
  EXPECT_THAT(failure.message(), HasSubstr("max_skipped_fraction = 0.01"));
  EXPECT_THAT(failure.message(), HasSubstr("is corrupt"));
}

TEST(DataLoaderTest, CorruptJpegInImageFolderIsNamed) {
  const std::string root = testing::FreshTempDir("loader_corrupt");
  const std::string jpeg = testing::EncodeJpeg(testing::PatternImage(30, 40, 3, 1));
  for (int i = 0; i < 4; ++i) testing::WriteFile(root + "/c/good" + std::to_string(i) + ".jpg", jpeg);
  testing::WriteFile(root + "/c/bad.jpg", jpeg.substr(0, jpeg.size() / 3));
  auto dataset = ImageFolderDataset::Open(root);
  ASSERT_TRUE(dataset.ok());
  DataLoader::Options options;
  options.batch_size = 5;
  options.max_skipped_fraction = 0.1;
  DataLoader loader(*dataset, AugmentingTransform(), options);
  loader.StartEpoch(0);
  auto next = loader.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_THAT(next.status().message(), HasSubstr(root + "/c/bad.jpg: truncated JPEG"));
  options.max_skipped_fraction = 0.5;
  DataLoader lenient(*dataset, AugmentingTransform(), options);
  const auto batches = Epoch(lenient, 0);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].images.size(0), 4);
}

TEST(DataLoaderTest, ScaledJpegDecodingKeepsTheCropsOfTheFullDecode) {
  const std::string root = testing::FreshTempDir("loader_scaled");
  for (int i = 0; i < 6; ++i) {
    testing::WriteFile(root + "/c/" + std::to_string(i) + ".jpg",
                       testing::EncodeJpeg(testing::PatternImage(480, 640, 3, i), 95));
  }
  auto dataset = ImageFolderDataset::Open(root);
  ASSERT_TRUE(dataset.ok());
  TransformOptions options;
  options.crop_size = 32;  // crops of >= 64 px may decode at 1/2, >= 256 px at 1/8
  DataLoader::Options loader_options;
  loader_options.batch_size = 6;
  options.allow_scaled_decode = false;
  DataLoader full(*dataset, std::make_shared<Transform>(options), loader_options);
  options.allow_scaled_decode = true;
  DataLoader scaled(*dataset, std::make_shared<Transform>(options), loader_options);
  const auto a = Epoch(full, 0), b = Epoch(scaled, 0);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].indices, b[0].indices);
  EXPECT_FALSE(at::equal(a[0].images, b[0].images));  // the scaled path was taken
  // Same crop boxes, different antialiasing: pixels agree to about a grey level (std ~0.225,
  // so 0.02 in normalised units is ~1.2 levels of 255; measured 0.004). A crop box mapped wrongly
  // onto the smaller decode would differ by far more.
  const double mean_diff = (a[0].images - b[0].images).abs().mean().item<double>();
  EXPECT_LT(mean_diff, 0.02);
}

TEST(DataLoaderTest, MaskFunctionGetsEveryBatchWithItsSize) {
  auto dataset = std::make_shared<FakeDataset>(12, std::set<int64_t>{0});
  DataLoader::Options options;
  options.batch_size = 4;
  options.shuffle = false;
  options.max_skipped_fraction = 0.5;
  std::atomic<int> calls{0};
  DataLoader loader(dataset, AugmentingTransform(), options,
                    [&](int batch_size, int64_t epoch, int64_t batch_index) {
                      ++calls;
                      ijepa::masking::BatchMasks masks;
                      masks.context.assign(1, std::vector<std::vector<int32_t>>(
                                                  batch_size, std::vector<int32_t>{static_cast<int32_t>(epoch),
                                                                                   static_cast<int32_t>(batch_index)}));
                      return masks;
                    });
  const auto batches = Epoch(loader, 2);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(calls.load(), 3);
  ASSERT_TRUE(batches[0].masks.has_value());
  EXPECT_EQ(batches[0].masks->context[0].size(), 3u);  // sample 0 unreadable
  EXPECT_EQ(batches[1].masks->context[0][0], (std::vector<int32_t>{2, 1}));
}

TEST(DataLoaderTest, TransformToTensorMatchesTheLoadersRows) {
  auto dataset = std::make_shared<FakeDataset>(6);
  const auto transform = AugmentingTransform();
  DataLoader::Options options;
  options.batch_size = 6;
  options.seed = 4;
  DataLoader loader(dataset, transform, options);
  const auto batches = Epoch(loader, 3);
  ASSERT_EQ(batches.size(), 1u);
  for (int row = 0; row < 6; ++row) {
    const int64_t index = batches[0].indices[row];
    const at::Tensor single = TransformToTensor(*transform, (*dataset->Load(index)).image, 4, 3, index);
    EXPECT_TRUE(at::equal(single, batches[0].images[row])) << row;
  }
}

TEST(DataLoaderTest, FashionMnistBatchWhenInstalled) {
  DataConfig config;
  if (!std::filesystem::exists(config.root_path())) GTEST_SKIP() << "no " << config.root_path();
  config.set_crop_size(28);
  config.set_channels(1);
  config.set_batch_size(16);
  auto dataset = OpenDataset(config, "test");
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  auto options = EvalTransformOptionsFromConfig(config);
  ASSERT_TRUE(options.ok());
  options->resize_size = 28;  // identity geometry: raw pixels, normalised
  DataLoader loader(*dataset, std::make_shared<Transform>(*options),
                    LoaderOptionsFromConfig(config, 0, 0, 1, /*shuffle=*/false, /*on_cuda=*/false));
  loader.StartEpoch(0);
  auto batch = loader.Next();
  ASSERT_TRUE(batch.ok() && batch->has_value());
  const Batch& b = **batch;
  EXPECT_EQ(b.images.sizes(), (std::vector<int64_t>{16, 1, 28, 28}));
  auto first = (*dataset)->Load(0);
  ASSERT_TRUE(first.ok());
  EXPECT_NEAR(b.images[0][0][14][14].item<float>(), (first->image.at(14, 14, 0) / 255.0f - 0.2860f) / 0.3530f, 1e-4);
  EXPECT_EQ(b.labels[0].item<int64_t>(), first->label);
}

}  // namespace
}  // namespace ijepa::data
