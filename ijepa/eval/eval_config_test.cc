#include "ijepa/eval/eval_config.h"

#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace ijepa::eval {
namespace {

EvalConfig Parse(const std::string& text) {
  absl::StatusOr<EvalConfig> config = ParseEvalConfigText(text, "test");
  EXPECT_TRUE(config.ok()) << config.status();
  return *config;
}

std::string ErrorOf(const std::string& text) {
  absl::StatusOr<EvalOptions> o = EvalOptionsFromConfig(Parse(text));
  EXPECT_FALSE(o.ok()) << text;
  return o.ok() ? "" : std::string(o.status().message());
}

TEST(EvalConfigTest, EmptyConfigIsOnePercentFashionMnistProtocol) {
  absl::StatusOr<EvalOptions> o = EvalOptionsFromConfig(EvalConfig());
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_EQ(o->protocols.size(), 1u);
  EXPECT_EQ(o->protocols[0].name, "60_per_class");
  EXPECT_EQ(o->protocols[0].per_class, 60);
  EXPECT_TRUE(o->target_encoder);
  EXPECT_EQ(o->pools.size(), 2u);
  EXPECT_TRUE(o->linear && o->linear_batch_norm && o->knn);
  EXPECT_FALSE(o->attentive);
  EXPECT_EQ(o->linear_sweep.lrs.size() * o->linear_sweep.weight_decays.size(), 9u);
  EXPECT_EQ(o->linear_sweep.train.optimizer, OptimizerKind::kSgd);
  EXPECT_EQ(o->attentive_sweep.train.optimizer, OptimizerKind::kAdamW);
  EXPECT_EQ(o->knn_options.k, 20);
  EXPECT_DOUBLE_EQ(o->knn_options.temperature, 0.07);
  EXPECT_DOUBLE_EQ(o->val_fraction, 0.2);
  EXPECT_TRUE(o->linear_sweep.final_fit_includes_val);
}

TEST(EvalConfigTest, ProtocolNamesAndTraining) {
  absl::StatusOr<EvalOptions> o = EvalOptionsFromConfig(Parse(R"pb(
    protocol { percent: 10 seed: 3 }
    protocol { subset_file: "/data/1percent.txt" }
    protocol {}
    pool: LAST4
    which: ENCODER
    linear { training { optimizer: ADAMW schedule: STEP epochs: 7 lrs: [0.5] weight_decays: [0] } }
  )pb"));
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_EQ(o->protocols.size(), 3u);
  EXPECT_EQ(o->protocols[0].name, "10pct");
  EXPECT_EQ(o->protocols[0].seed, 3u);
  EXPECT_EQ(o->protocols[1].name, "1percent");
  EXPECT_EQ(o->protocols[2].name, "full");
  EXPECT_TRUE(o->protocols[2].full());
  EXPECT_FALSE(o->target_encoder);
  ASSERT_EQ(o->pools.size(), 1u);
  EXPECT_EQ(o->pools[0], PoolMode::kLast4);
  EXPECT_EQ(o->linear_sweep.train.optimizer, OptimizerKind::kAdamW);
  EXPECT_EQ(o->linear_sweep.train.schedule, ScheduleKind::kStep);
  EXPECT_EQ(o->linear_sweep.train.epochs, 7);
  EXPECT_EQ(o->linear_sweep.lrs, std::vector<double>{0.5});
}

TEST(EvalConfigTest, ErrorsNameTheField) {
  EXPECT_NE(ErrorOf("protocol { per_class: 5 percent: 1 }").find("protocol[0]"), std::string::npos);
  EXPECT_NE(ErrorOf("protocol { percent: 150 }").find("protocol[0].percent"), std::string::npos);
  EXPECT_NE(ErrorOf("linear { training { epochs: 0 } }").find("linear.training.epochs must be > 0, got 0"),
            std::string::npos);
  EXPECT_NE(ErrorOf("attentive { training { lrs: [-1] } }").find("attentive.training.lrs"), std::string::npos);
  EXPECT_NE(ErrorOf("knn { k: 0 }").find("knn.k"), std::string::npos);
  EXPECT_NE(ErrorOf("val_fraction: 0").find("val_fraction"), std::string::npos);
  EXPECT_NE(ErrorOf("device: \"tpu\"").find("device"), std::string::npos);
  EXPECT_NE(ErrorOf("protocol { per_class: 5 } protocol { per_class: 5 }").find("unique"), std::string::npos);
  EXPECT_NE(ErrorOf("linear { enabled: false } knn { enabled: false }").find("at least one"), std::string::npos);
  // Non-finite values and the thread bound (issue 14).
  EXPECT_NE(ErrorOf("linear { training { lrs: [0.01, inf] } }").find("linear.training.lrs[1]: expected a finite number, got inf"),
            std::string::npos);
  EXPECT_NE(ErrorOf("val_fraction: nan").find("val_fraction: expected a finite number, got nan"), std::string::npos);
  EXPECT_NE(ErrorOf("threads: 100000").find("threads must be <= "), std::string::npos);
  absl::StatusOr<EvalConfig> bad = ParseEvalConfigText("linear { epochs: 3 }", "bad.pbtxt");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad.pbtxt: 1:"), std::string::npos) << bad.status();
  EXPECT_FALSE(LoadEvalConfigFile("/nonexistent/eval.pbtxt").ok());
}

// The device is checked as strictly as the pretraining config's (common::ParseDeviceName): a
// name LibTorch would refuse later, or read differently, is a field error now.
TEST(EvalConfigTest, ADeviceOtherThanCpuCudaOrCudaNIsAFieldError) {
  for (const char* bad : {"cudax", "cuda:", "cuda:x", "cuda:-1", "cuda: 1", "CPU"}) {
    EXPECT_EQ(ErrorOf(std::string("device: \"") + bad + "\""),
              std::string("eval config field device must be \"cpu\", \"cuda\" or \"cuda:N\", got \"") + bad + "\"")
        << bad;
  }
  for (const char* good : {"cpu", "cuda", "cuda:1"}) {
    EvalConfig c;
    c.set_device(good);
    EXPECT_TRUE(EvalOptionsFromConfig(c).ok()) << good;
  }
}

TEST(EvalConfigTest, ResolveReadsTheFileThenAppliesTheOverridesInOrder) {
  const std::string path = ::testing::TempDir() + "/resolve.pbtxt";
  std::ofstream(path) << "knn { k: 5 }\nextract { split: \"test\" }\n";
  absl::StatusOr<EvalConfig> c =
      ResolveEvalConfig(path, {"knn.k=7", "extract.pool=LAST4", "linear.training.lrs=0.1,1.0", "knn.k=9"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->knn().k(), 9);
  EXPECT_EQ(c->extract().split(), "test");
  EXPECT_EQ(c->extract().pool(), ExtractConfig::LAST4);
  EXPECT_EQ(c->linear().training().lrs_size(), 2);

  c = ResolveEvalConfig(std::nullopt, {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->ByteSizeLong(), 0u);  // the defaults

  c = ResolveEvalConfig(::testing::TempDir(), {});  // a folder is not a config
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("a directory, not a regular file"), std::string::npos) << c.status();
  c = ResolveEvalConfig(std::nullopt, {"knn.no_such_field=1"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("--set knn.no_such_field"), std::string::npos) << c.status();
}

TEST(EvalConfigTest, OverridesScalarsListsEnumsStringsAndRepeatedMessages) {
  EvalConfig c;
  ASSERT_TRUE(ApplyEvalOverride("linear.training.epochs=5", &c).ok());
  ASSERT_TRUE(ApplyEvalOverride("linear.training.lrs=0.1,1.0", &c).ok());
  ASSERT_TRUE(ApplyEvalOverride("which=ENCODER", &c).ok());
  ASSERT_TRUE(ApplyEvalOverride("data.root_path=/tmp/x y", &c).ok());
  ASSERT_TRUE(ApplyEvalOverride("protocol[0].per_class=10", &c).ok());  // appends
  ASSERT_TRUE(ApplyEvalOverride("protocol[0].seed=4", &c).ok());        // edits
  ASSERT_TRUE(ApplyEvalOverride("pool=[MEAN]", &c).ok());
  EXPECT_EQ(c.linear().training().epochs(), 5);
  ASSERT_EQ(c.linear().training().lrs_size(), 2);
  EXPECT_DOUBLE_EQ(c.linear().training().lrs(1), 1.0);
  EXPECT_EQ(c.which(), EvalConfig::ENCODER);
  EXPECT_EQ(c.data().root_path(), "/tmp/x y");
  ASSERT_EQ(c.protocol_size(), 1);
  EXPECT_EQ(c.protocol(0).per_class(), 10);
  EXPECT_EQ(c.protocol(0).seed(), 4u);
  ASSERT_EQ(c.pool_size(), 1);

  absl::Status s = ApplyEvalOverride("linear.training.epoch=5", &c);
  EXPECT_NE(s.message().find("has no field 'epoch'"), std::string::npos) << s;
  s = ApplyEvalOverride("which=BOTH", &c);
  EXPECT_NE(s.message().find("TARGET_ENCODER"), std::string::npos) << s;
  EXPECT_FALSE(ApplyEvalOverride("protocol[3].per_class=1", &c).ok());
  EXPECT_FALSE(ApplyEvalOverride("linear=1", &c).ok());
  EXPECT_FALSE(ApplyEvalOverride("noequals", &c).ok());
  EXPECT_FALSE(ApplyEvalOverride("knn.k=abc", &c).ok());
}

TEST(EvalConfigTest, ShippedConfigsParseAndValidate) {
  for (const char* name :
       {"fmnist_lowshot", "fmnist_1pct_3seeds", "fmnist_attentive", "in1k_1pct_vith14"}) {
    const std::string path = std::string("configs/eval/") + name + ".pbtxt";
    absl::StatusOr<EvalConfig> config = LoadEvalConfigFile(path);
    ASSERT_TRUE(config.ok()) << config.status();
    absl::StatusOr<EvalOptions> options = EvalOptionsFromConfig(*config);
    EXPECT_TRUE(options.ok()) << path << ": " << options.status();
  }
}

}  // namespace
}  // namespace ijepa::eval
