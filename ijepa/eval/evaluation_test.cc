#include "ijepa/eval/evaluation.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <png.h>
#include <torch/utils.h>

#include "ijepa/data/data_config.h"
#include "ijepa/data/subset.h"
#include "ijepa/eval/eval_config.h"
#include "ijepa/eval/model_selection.h"
#include "ijepa/eval/testing.h"

namespace ijepa::eval {
namespace {

class EvaluationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(0);
    train_ = std::make_shared<testing::InMemoryDataset>(testing::ToyImages(80, 8, 4, 1));
    test_ = std::make_shared<testing::InMemoryDataset>(testing::ToyImages(40, 8, 4, 2));
    encoder_ = models::VisionTransformer(testing::TinyVit(8));
    inputs_.encoder = encoder_.get();
    inputs_.train = train_;
    inputs_.test = test_;
    inputs_.data.set_crop_size(8);
    inputs_.data.set_channels(1);
  }

  EvalOptions Options(const std::string& text) {
    absl::StatusOr<EvalConfig> config = ParseEvalConfigText(text, "test");
    EXPECT_TRUE(config.ok()) << config.status();
    absl::StatusOr<EvalOptions> o = EvalOptionsFromConfig(*config);
    EXPECT_TRUE(o.ok()) << o.status();
    return *o;
  }

  std::shared_ptr<testing::InMemoryDataset> train_, test_;
  models::VisionTransformer encoder_{nullptr};
  EvalInputs inputs_;
};

constexpr char kSmall[] = R"pb(
  protocol { per_class: 8 seed: 1 }
  protocol { percent: 50 }
  val_fraction: 0.25
  raw_pixels: true
  linear { training { epochs: 15 batch_size: 16 lrs: [0.1, 1.0] weight_decays: [0] } }
  attentive { enabled: true num_heads: 2 training { epochs: 5 batch_size: 16 lrs: [0.001] } }
  knn { k: 5 }
)pb";

TEST_F(EvaluationTest, EveryProtocolMethodAndFeatureKindIsScored) {
  absl::StatusOr<EvalResults> r = RunEvaluation(inputs_, Options(kSmall), c10::Device(c10::kCPU));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->num_classes, 4);
  EXPECT_EQ(r->num_test, 40);
  ASSERT_EQ(r->protocols.size(), 2u);
  EXPECT_EQ(r->protocols[0].protocol.name, "8_per_class");
  EXPECT_EQ(r->protocols[0].num_labeled, 32);
  EXPECT_EQ(r->protocols[1].protocol.name, "50pct");
  EXPECT_EQ(r->protocols[1].num_labeled, 40);
  // Per protocol: linear + knn on mean, last4, raw_pixels; attentive on patches = 7.
  ASSERT_EQ(r->scores.size(), 14u);
  int linear = 0, knn = 0, attentive = 0;
  for (const MethodScore& s : r->scores) {
    EXPECT_EQ(s.test.count, 40) << s.method;
    if (s.method == "linear") {
      ++linear;
      EXPECT_EQ(s.sweep.size(), 2u);
      EXPECT_EQ(s.num_train, s.protocol == "8_per_class" ? 32 : 40);  // refit on train + val
      EXPECT_EQ(s.num_val, s.protocol == "8_per_class" ? 8 : 12);
    }
    if (s.method == "knn") {
      ++knn;
      EXPECT_EQ(s.k, 5);
    }
    if (s.method == "attentive") {
      ++attentive;
      EXPECT_EQ(s.features, "patches");
      EXPECT_EQ(s.feature_dim, 16);
    }
    if (s.features == "last4") EXPECT_EQ(s.feature_dim, 64);
    if (s.features == "raw_pixels") {
      EXPECT_EQ(s.feature_dim, 64);
      // The toy classes are bright quadrants: raw pixels separate them.
      EXPECT_GE(s.test.top1, 90.0) << s.method;
    }
  }
  EXPECT_EQ(linear, 6);
  EXPECT_EQ(knn, 6);
  EXPECT_EQ(attentive, 2);
  // Test images plus the union of both protocols' images, each encoded once.
  std::vector<int64_t> both = *data::BalancedSubset(train_->labels(), 8, 0.0, 1);
  const std::vector<int64_t> half = *data::BalancedSubset(train_->labels(), 0, 0.5, 0);
  both.insert(both.end(), half.begin(), half.end());
  std::sort(both.begin(), both.end());
  both.erase(std::unique(both.begin(), both.end()), both.end());
  EXPECT_LT(both.size(), 72u);
  EXPECT_EQ(r->images_encoded, 40 + static_cast<int64_t>(both.size()));
  const MethodScore* best = BestLinear(*r, "8_per_class");
  ASSERT_NE(best, nullptr);
  EXPECT_NE(best->features, "raw_pixels");
}

TEST_F(EvaluationTest, SubsetsAndResultsAreReproducibleAndSeeded) {
  const EvalOptions options = Options(kSmall);
  absl::StatusOr<EvalResults> a = RunEvaluation(inputs_, options, c10::Device(c10::kCPU));
  absl::StatusOr<EvalResults> b = RunEvaluation(inputs_, options, c10::Device(c10::kCPU));
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->scores.size(), b->scores.size());
  for (size_t i = 0; i < a->scores.size(); ++i) {
    EXPECT_EQ(a->scores[i].test.top1, b->scores[i].test.top1) << i;
    EXPECT_EQ(a->scores[i].lr, b->scores[i].lr) << i;
  }
  // The balanced selection behind a protocol: same seed, same images; another seed, others.
  auto s1 = data::BalancedSubset(train_->labels(), 8, 0.0, 1);
  auto s2 = data::BalancedSubset(train_->labels(), 8, 0.0, 1);
  auto s3 = data::BalancedSubset(train_->labels(), 8, 0.0, 2);
  ASSERT_TRUE(s1.ok() && s2.ok() && s3.ok());
  EXPECT_EQ(*s1, *s2);
  EXPECT_NE(*s1, *s3);
}

// A holdout carved from the training images has the test split's size and the same data config,
// so only the split's name tells their cached features apart: a holdout sweep that shares a
// feature_cache_dir with a test-split run must score the holdout, not the test images.
TEST_F(EvaluationTest, FeatureCacheKeepsTheHoldoutAndTestSplitsApart) {
  const std::string dir = ::testing::TempDir() + "/split_cache";
  std::filesystem::remove_all(dir);
  EvalOptions options = Options("protocol { per_class: 8 seed: 1 } knn { k: 5 } "
                                "linear { training { epochs: 2 batch_size: 16 lrs: [0.1] weight_decays: [0] } }");
  auto holdout = std::make_shared<testing::InMemoryDataset>(testing::ToyImages(40, 8, 4, 3));
  EvalInputs holdout_inputs = inputs_;
  holdout_inputs.test = holdout;
  holdout_inputs.test_split = "holdout";
  absl::StatusOr<EvalResults> uncached = RunEvaluation(holdout_inputs, options, c10::Device(c10::kCPU));

  options.feature_cache_dir = dir;
  inputs_.encoder_id = holdout_inputs.encoder_id = "toy:target_encoder";
  absl::StatusOr<EvalResults> test = RunEvaluation(inputs_, options, c10::Device(c10::kCPU));
  absl::StatusOr<EvalResults> cached = RunEvaluation(holdout_inputs, options, c10::Device(c10::kCPU));
  ASSERT_TRUE(uncached.ok() && test.ok() && cached.ok());
  ASSERT_EQ(cached->scores.size(), uncached->scores.size());
  bool splits_differ = false;
  for (size_t i = 0; i < cached->scores.size(); ++i) {
    SCOPED_TRACE(cached->scores[i].method + "(" + cached->scores[i].features + ")");
    EXPECT_EQ(cached->scores[i].test.top1, uncached->scores[i].test.top1);
    splits_differ |= cached->scores[i].test.top1 != test->scores[i].test.top1;
  }
  EXPECT_TRUE(splits_differ) << "the toy test and holdout splits should score differently";
}

TEST_F(EvaluationTest, RawPixelsAloneAndErrors) {
  EvalInputs raw_only = inputs_;
  raw_only.encoder = nullptr;
  absl::StatusOr<EvalResults> r =
      RunEvaluation(raw_only, Options("raw_pixels: true protocol { per_class: 8 } max_test_images: 10"),
                    c10::Device(c10::kCPU));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->num_test, 10);
  ASSERT_EQ(r->scores.size(), 2u);  // linear + knn on raw pixels
  EXPECT_EQ(r->scores[0].features, "raw_pixels");

  absl::StatusOr<EvalResults> none = RunEvaluation(raw_only, Options(""), c10::Device(c10::kCPU));
  EXPECT_FALSE(none.ok());
  absl::StatusOr<EvalResults> too_many =
      RunEvaluation(inputs_, Options("protocol { per_class: 500 }"), c10::Device(c10::kCPU));
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.status().message().find("500_per_class"), std::string::npos) << too_many.status();
}

// Writes a grey 8x8 PNG whose brightness depends on `label`.
void WritePng(const std::string& path, int label, int variant) {
  std::vector<uint8_t> pixels(64);
  for (int i = 0; i < 64; ++i) pixels[i] = static_cast<uint8_t>(40 + 70 * label + (i * 7 + variant * 13) % 20);
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = 8;
  image.height = 8;
  image.format = PNG_FORMAT_GRAY;
  ASSERT_TRUE(png_image_write_to_file(&image, path.c_str(), 0, pixels.data(), 8, nullptr)) << image.message;
}

TEST(EvaluationSubsetFileTest, SubsetFileProtocolUsesExactlyTheListedImages) {
  namespace fs = std::filesystem;
  const std::string root = ::testing::TempDir() + "/folder";
  fs::remove_all(root);
  const char* classes[] = {"ant", "bee", "cat"};
  std::ofstream subset(::testing::TempDir() + "/subset.txt");
  for (int c = 0; c < 3; ++c) {
    for (const char* split : {"train", "val"}) {
      fs::create_directories(root + "/" + split + "/" + classes[c]);
      for (int i = 0; i < 4; ++i) {
        const std::string name = std::string(classes[c]) + "_" + split + std::to_string(i) + ".png";
        WritePng(root + "/" + split + "/" + classes[c] + "/" + name, c, i);
        if (std::string(split) == "train" && i < 2) subset << name << "\n";  // 2 listed per class
      }
    }
  }
  subset.close();
  data::DataConfig config;
  config.set_dataset(data::DataConfig::IMAGE_FOLDER);
  config.set_root_path(root);
  config.set_crop_size(8);
  config.set_channels(1);
  auto train = data::OpenDataset(config, "train");
  auto test = data::OpenDataset(config, "val");
  ASSERT_TRUE(train.ok() && test.ok()) << train.status() << test.status();
  EvalInputs inputs;
  inputs.train = *train;
  inputs.test = *test;
  inputs.data = config;
  absl::StatusOr<EvalConfig> eval = ParseEvalConfigText(
      "raw_pixels: true val_fraction: 0.5 protocol { subset_file: '" + ::testing::TempDir() +
          "/subset.txt' } linear { training { epochs: 10 batch_size: 4 lrs: [0.1] weight_decays: [0] } }",
      "test");
  ASSERT_TRUE(eval.ok()) << eval.status();
  absl::StatusOr<EvalOptions> options = EvalOptionsFromConfig(*eval);
  ASSERT_TRUE(options.ok()) << options.status();
  absl::StatusOr<EvalResults> r = RunEvaluation(inputs, *options, c10::Device(c10::kCPU));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->protocols.size(), 1u);
  EXPECT_EQ(r->protocols[0].protocol.name, "subset");
  EXPECT_EQ(r->protocols[0].num_labeled, 6);
  EXPECT_EQ(r->num_test, 12);
  ASSERT_FALSE(r->scores.empty());
  EXPECT_EQ(r->scores[0].num_train, 6);
  EXPECT_EQ(r->scores[0].num_val, 3);
  EXPECT_DOUBLE_EQ(r->scores[0].test.top1, 100.0);  // classes differ in brightness

  // A listed image that does not exist fails with the file and line.
  { std::ofstream(::testing::TempDir() + "/subset.txt", std::ios::app) << "dog_1.png\n"; }
  absl::StatusOr<EvalResults> bad = RunEvaluation(inputs, *options, c10::Device(c10::kCPU));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("subset.txt:7"), std::string::npos) << bad.status();
}

}  // namespace
}  // namespace ijepa::eval
