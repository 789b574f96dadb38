#include "ijepa/training/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ijepa::training {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kSmall[] = R"pb(
  data { batch_size: 8 crop_size: 32 channels: 1 }
  mask { patch_size: 4 pred_mask_scale: [0.15, 0.2] min_keep: 4 }
  meta { model_name: "vit_tiny" pred_depth: 2 pred_emb_dim: 96 }
  optimization { epochs: 3 warmup: 1 ema: [0.99, 1.0] }
  logging { folder: "/tmp/x" }
  threads: 1
)pb";

PretrainConfig Small() {
  auto config = ParseConfigText(kSmall, "small");
  EXPECT_TRUE(config.ok()) << config.status();
  return *config;
}

std::string Message(const absl::Status& status) { return std::string(status.message()); }

TEST(ConfigTest, ParsesTextAndKeepsSchemaDefaults) {
  const PretrainConfig config = Small();
  EXPECT_EQ(config.data().batch_size(), 8);
  EXPECT_EQ(config.meta().model_name(), "vit_tiny");
  EXPECT_THAT(config.optimization().ema(), ElementsAre(0.99, 1.0));
  // Unset fields read as the official defaults.
  EXPECT_DOUBLE_EQ(config.optimization().lr(), 0.001);
  EXPECT_DOUBLE_EQ(config.optimization().final_weight_decay(), 0.4);
  EXPECT_EQ(config.meta().loss(), MetaConfig::SMOOTH_L1);
  EXPECT_EQ(config.logging().write_tag(), "jepa");
  EXPECT_EQ(config.device(), "cpu");
  EXPECT_EQ(EmaRange(PretrainConfig().optimization()), std::make_pair(0.996, 1.0));
  EXPECT_TRUE(ValidatePretrainConfig(config).ok()) << ValidatePretrainConfig(config).status();
}

TEST(ConfigTest, ParseErrorsNameSourceAndLine) {
  auto config = ParseConfigText("meta {\n  pred_dpth: 3\n}\n", "run.pbtxt");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(Message(config.status()), HasSubstr("run.pbtxt"));
  EXPECT_THAT(Message(config.status()), HasSubstr("2:"));
  EXPECT_THAT(Message(config.status()), HasSubstr("pred_dpth"));
  EXPECT_EQ(LoadConfigFile("/nonexistent/x.pbtxt").status().code(), absl::StatusCode::kNotFound);
}

TEST(ConfigTest, OverridesScalarsEnumsStringsAndNestedFields) {
  PretrainConfig config = Small();
  ASSERT_TRUE(ApplyOverride("optimization.epochs=2", &config).ok());
  ASSERT_TRUE(ApplyOverride("optimization.lr=5e-4", &config).ok());
  ASSERT_TRUE(ApplyOverride("meta.loss=L2", &config).ok());
  ASSERT_TRUE(ApplyOverride("meta.use_bfloat16=true", &config).ok());
  ASSERT_TRUE(ApplyOverride("logging.folder=/tmp/run dir", &config).ok());
  ASSERT_TRUE(ApplyOverride("meta.model_name=\"vit_small\"", &config).ok());
  ASSERT_TRUE(ApplyOverride("seed=7", &config).ok());
  ASSERT_TRUE(ApplyOverride("mask.strategy=RANDOM_BLOCK", &config).ok());
  EXPECT_EQ(config.optimization().epochs(), 2);
  EXPECT_DOUBLE_EQ(config.optimization().lr(), 5e-4);
  EXPECT_EQ(config.meta().loss(), MetaConfig::L2);
  EXPECT_TRUE(config.meta().use_bfloat16());
  EXPECT_EQ(config.logging().folder(), "/tmp/run dir");
  EXPECT_EQ(config.meta().model_name(), "vit_small");
  EXPECT_EQ(config.seed(), 7u);
  EXPECT_EQ(config.mask().strategy(), masking::MaskConfig::RANDOM_BLOCK);
  // A section that was never set is created by the override.
  PretrainConfig empty;
  ASSERT_TRUE(ApplyOverride("probe.enabled=true", &empty).ok());
  EXPECT_TRUE(empty.has_probe());
}

TEST(ConfigTest, OverridesRepeatedFields) {
  PretrainConfig config = Small();
  ASSERT_TRUE(ApplyOverride("optimization.ema=0.9,0.95", &config).ok());
  EXPECT_THAT(config.optimization().ema(), ElementsAre(0.9, 0.95));
  ASSERT_TRUE(ApplyOverride("data.crop_scale=[0.5, 1.0]", &config).ok());
  EXPECT_THAT(config.data().crop_scale(), ElementsAre(0.5f, 1.0f));
  ASSERT_TRUE(ApplyOverride("mask.pred_mask_scale[1]=0.25", &config).ok());
  EXPECT_THAT(config.mask().pred_mask_scale(), ElementsAre(0.15, 0.25));
  ASSERT_TRUE(ApplyOverride("optimization.ema=", &config).ok());
  EXPECT_EQ(config.optimization().ema_size(), 0);
}

TEST(ConfigTest, OverrideErrorsNameThePath) {
  PretrainConfig config = Small();
  EXPECT_THAT(Message(ApplyOverride("optimization.epochs", &config)), HasSubstr("section.field=value"));
  EXPECT_THAT(Message(ApplyOverride("optimization.epoch=3", &config)),
              HasSubstr("OptimizationConfig has no field 'epoch' (fields: ema, ipe_scale"));
  EXPECT_THAT(Message(ApplyOverride("optimization.epochs=three", &config)),
              HasSubstr("--set optimization.epochs: cannot parse 'three' as int32"));
  EXPECT_THAT(Message(ApplyOverride("meta.loss=L3", &config)), HasSubstr("one of LOSS_UNSPECIFIED, SMOOTH_L1, L2"));
  EXPECT_THAT(Message(ApplyOverride("meta.loss.x=1", &config)), HasSubstr("'loss' is not a section"));
  EXPECT_THAT(Message(ApplyOverride("meta=1", &config)), HasSubstr("is a message"));
  EXPECT_THAT(Message(ApplyOverride("mask.pred_mask_scale[5]=0.3", &config)),
              HasSubstr("index 5 out of range (pred_mask_scale has 2 values)"));
  EXPECT_THAT(Message(ApplyOverride("optimization.epochs[0]=3", &config)), HasSubstr("not repeated"));
}

TEST(ConfigTest, ValidationNamesTheField) {
  struct Case {
    const char* override;
    const char* message;
  };
  const Case cases[] = {
      {"optimization.epochs=0", "optimization.epochs must be > 0, got 0"},
      {"optimization.ema=0.9", "optimization.ema must be two values"},
      {"optimization.ema=0.9,1.5", "optimization.ema must be values in [0, 1]"},
      {"optimization.lr=-1", "optimization.lr must be >= 0"},
      {"optimization.ipe_scale=0", "optimization.ipe_scale must be > 0"},
      {"meta.model_name=vit_tiniest", "meta.model_name must be one of vit_tiny"},
      {"meta.pred_depth=0", "meta.pred_depth must be > 0"},
      {"meta.copy_data=true", "meta.copy_data must be false"},
      {"meta.loss=LOSS_UNSPECIFIED", "meta.loss"},
      {"meta.cpu_linear=CPU_LINEAR_UNSPECIFIED", "meta.cpu_linear must be BLAS, ONEDNN or AUTO"},
      {"data.batch_size=0", "data.batch_size must be > 0"},
      {"data.crop_size=30", "data.crop_size must be a multiple of mask.patch_size (4), got 30"},
      {"data.channels=2", "data.channels must be 1 or 3"},
      {"logging.log_freq=0", "logging.log_freq must be > 0"},
      {"probe.split=val", "probe.split must be \"\" (the test split) or \"holdout\", got \"val\""},
      {"probe.split=holdout", "probe.split must be \"\" unless data.holdout_per_class > 0"},
      {"logging.rankme_window=1", "logging.rankme_window must be in [2, 65536] images, got 1"},
      {"logging.rankme_warn_fraction=1.5", "logging.rankme_warn_fraction must be in [0, 1], got 1.5"},
      {"logging.write_tag=a/b", "logging.write_tag"},
      {"device=tpu", "device must be \"cpu\", \"cuda\" or \"cuda:N\""},
      {"threads=-1", "threads must be >= 0"},
      {"threads=100000", "threads must be <= "},  // created threads until the machine stalled
      {"data.num_workers=100000", "data.num_workers must be <= "},
      {"distributed_timeout_s=0", "distributed_timeout_s must be > 0"},
      {"mask.pred_mask_scale=0.3,0.2", "config section mask: "},
      {"meta.pred_emb_dim=100", "config section meta (predictor"},
      // Non-finite values: inf used to pass (`lr > 0`) while nan was refused.
      {"optimization.lr=inf", "optimization.lr: expected a finite number, got inf"},
      {"optimization.lr=nan", "optimization.lr: expected a finite number, got nan"},
      {"optimization.final_lr=-inf", "optimization.final_lr: expected a finite number, got -inf"},
      {"optimization.ema=0.996,inf", "optimization.ema[1]: expected a finite number, got inf"},
      {"mask.pred_mask_scale=0.15,nan", "mask.pred_mask_scale[1]: expected a finite number, got nan"},
  };
  for (const Case& c : cases) {
    PretrainConfig config = Small();
    ASSERT_TRUE(ApplyOverride(c.override, &config).ok()) << c.override;
    const absl::Status status = ValidatePretrainConfig(config).status();
    EXPECT_THAT(Message(status), HasSubstr(c.message)) << c.override;
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.override;
  }
}

TEST(ConfigTest, ValidatedConfigHoldsWhatTheRunBuildsFromIt) {
  auto validated = ValidatePretrainConfig(Small());
  ASSERT_TRUE(validated.ok()) << validated.status();
  EXPECT_EQ(validated->config().SerializeAsString(), Small().SerializeAsString());
  EXPECT_EQ(validated->model().pred_depth(), 2);
  EXPECT_EQ(validated->encoder().embed_dim, 192);  // vit_tiny
  EXPECT_EQ(validated->encoder().img_size, 32);
  EXPECT_EQ(validated->encoder().in_chans, 1);
  EXPECT_EQ(validated->predictor().predictor_embed_dim, 96);
  EXPECT_EQ(validated->predictor().depth, 2);
  EXPECT_EQ(validated->predictor().grid_h, 8);
  EXPECT_EQ(validated->grid(), 8);
  EXPECT_EQ(validated->mask().patch_size, 4);
  EXPECT_EQ(validated->mask().min_keep, 4);
  EXPECT_EQ(validated->train_transform().crop_size, 32);
  EXPECT_EQ(validated->ema(), std::make_pair(0.99, 1.0));
}

TEST(ConfigTest, SetThreadsChecksAsTheConfigFieldIs) {
  auto validated = ValidatePretrainConfig(Small());
  ASSERT_TRUE(validated.ok()) << validated.status();
  ASSERT_TRUE(validated->SetThreads(2).ok());
  EXPECT_EQ(validated->config().threads(), 2);
  EXPECT_THAT(Message(validated->SetThreads(-1)), HasSubstr("threads must be >= 0"));
  EXPECT_THAT(Message(validated->SetThreads(100000)), HasSubstr("threads must be <= "));
  EXPECT_EQ(validated->config().threads(), 2);
}

TEST(ConfigTest, TextRoundTrip) {
  PretrainConfig config = Small();
  ASSERT_TRUE(ApplyOverride("meta.loss=L2", &config).ok());
  auto again = ParseConfigText(ConfigToText(config), "round trip");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->SerializeAsString(), config.SerializeAsString());
}

}  // namespace
}  // namespace ijepa::training
