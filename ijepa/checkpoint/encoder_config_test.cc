#include "ijepa/checkpoint/encoder_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace ijepa::checkpoint {
namespace {

using ::testing::HasSubstr;

c10::impl::GenericDict Dict() { return c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get()); }

// The text ijepa::training::ConfigToText wrote into every checkpoint before `encoder_config`:
// sections EncoderConfig does not need, and fields unknown to the mirror, are skipped.
constexpr char kPretrainText[] = R"pb(
  data { dataset: IDX root_path: "/data/fmnist" batch_size: 64 crop_size: 28 channels: 1
         normalization_mean: 0.286 normalization_std: 0.353 }
  mask { patch_size: 4 min_keep: 4 pred_mask_scale: [0.15, 0.2] }
  meta { model_name: "vit_tiny" pred_depth: 4 pred_emb_dim: 96 use_bfloat16: false drop_path_rate: 0.1 }
  optimization { epochs: 2 lr: 0.001 ema: [0.996, 1.0] }
  logging { folder: "/tmp/run" write_tag: "jepa" }
  probe { enabled: true }
  threads: 2
  device: "cpu"
)pb";

TEST(EncoderConfigTest, WrittenAndReadBack) {
  EncoderConfig config;
  config.mutable_model()->set_model_name("vit_small");
  config.mutable_model()->set_patch_size(8);
  config.mutable_data()->set_crop_size(32);
  config.mutable_data()->add_normalization_mean(0.5f);
  auto dict = Dict();
  AddEncoderConfig(config, &dict);
  ASSERT_TRUE(dict.contains(std::string(kEncoderConfigEntry)));
  auto read = ReadEncoderConfig(dict, "run.pth.tar");
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ((*read)->SerializeAsString(), config.SerializeAsString());
}

TEST(EncoderConfigTest, AnOlderCheckpointsPretrainConfigGivesTheSameFields) {
  auto dict = Dict();
  dict.insert(std::string(kPretrainConfigEntry), std::string(kPretrainText));
  auto read = ReadEncoderConfig(dict, "old.pth.tar");
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_TRUE(read->has_value());
  const models::ModelConfig& model = (*read)->model();
  EXPECT_EQ(model.model_name(), "vit_tiny");
  EXPECT_EQ(model.patch_size(), 4);
  EXPECT_EQ(model.crop_size(), 28);
  EXPECT_EQ(model.in_chans(), 1);
  EXPECT_EQ(model.pred_depth(), 4);
  EXPECT_EQ(model.pred_emb_dim(), 96);
  EXPECT_DOUBLE_EQ(model.drop_path_rate(), 0.1);
  EXPECT_TRUE(model.has_pred_drop_path_rate());
  EXPECT_DOUBLE_EQ(model.pred_drop_path_rate(), 0.0);
  const data::DataConfig& data = (*read)->data();
  EXPECT_EQ(data.root_path(), "/data/fmnist");
  EXPECT_EQ(data.batch_size(), 64);
  ASSERT_EQ(data.normalization_std_size(), 1);
  EXPECT_FLOAT_EQ(data.normalization_std(0), 0.353f);
  EXPECT_FALSE(data.has_image_folder());
}

TEST(EncoderConfigTest, AnEmptyPretrainConfigMeansItsDefaults) {
  auto dict = Dict();
  dict.insert(std::string(kPretrainConfigEntry), std::string(""));
  auto read = ReadEncoderConfig(dict, "old.pth.tar");
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_TRUE(read->has_value());
  const models::ModelConfig& model = (*read)->model();
  // ijepa.training.PretrainConfig's defaults: vit_base, patch 16, crop 224, 3 channels, 6 x 384.
  EXPECT_EQ(model.model_name(), "vit_base");
  EXPECT_EQ(model.patch_size(), 16);
  EXPECT_EQ(model.crop_size(), 224);
  EXPECT_EQ(model.in_chans(), 3);
  EXPECT_EQ(model.pred_depth(), 6);
  EXPECT_EQ(model.pred_emb_dim(), 384);
  EXPECT_FALSE((*read)->data().has_crop_size());
}

TEST(EncoderConfigTest, TheEncoderConfigEntryWinsOverTheOlderOne) {
  EncoderConfig config;
  config.mutable_model()->set_model_name("vit_large");
  auto dict = Dict();
  dict.insert(std::string(kPretrainConfigEntry), std::string(kPretrainText));
  AddEncoderConfig(config, &dict);
  auto read = ReadEncoderConfig(dict, "new.pth.tar");
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ((*read)->model().model_name(), "vit_large");
}

TEST(EncoderConfigTest, NoStringEntryMeansNoConfig) {
  auto dict = Dict();
  dict.insert(std::string("epoch"), int64_t{3});
  auto read = ReadEncoderConfig(dict, "official.pth.tar");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->has_value());
  dict.insert(std::string(kPretrainConfigEntry), int64_t{1});  // not a text: as if absent
  read = ReadEncoderConfig(dict, "official.pth.tar");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->has_value());
}

TEST(EncoderConfigTest, TextThatDoesNotParseIsAnErrorNamingTheFile) {
  auto dict = Dict();
  dict.insert(std::string(kPretrainConfigEntry), std::string("meta { model_name: 3 "));
  auto read = ReadEncoderConfig(dict, "broken.pth.tar");
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(std::string(read.status().message()),
              HasSubstr("cannot parse PretrainConfig from broken.pth.tar (embedded config): 1:"));
  dict = Dict();
  dict.insert(std::string(kEncoderConfigEntry), std::string("model { no_such_field: 1 }"));
  read = ReadEncoderConfig(dict, "broken.pth.tar");
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(std::string(read.status().message()),
              HasSubstr("cannot parse EncoderConfig from broken.pth.tar (embedded config): 1:"));
}

}  // namespace
}  // namespace ijepa::checkpoint
