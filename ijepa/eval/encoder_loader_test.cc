#include "ijepa/eval/encoder_loader.h"

#include <map>
#include <string>

#include <ATen/ATen.h>
#include <ATen/core/Dict.h>
#include <gtest/gtest.h>
#include <torch/utils.h>

#include "ijepa/checkpoint/encoder_config.h"
#include "ijepa/checkpoint/hf_convert.h"
#include "ijepa/checkpoint/hf_ijepa.h"
#include "ijepa/checkpoint/safetensors.h"
#include "ijepa/checkpoint/state_dict.h"
#include "ijepa/checkpoint/torch_file.h"
#include "ijepa/eval/eval_data.h"
#include "ijepa/models/model_options.h"

namespace ijepa::eval {
namespace {

const c10::Device kCpu(c10::kCPU);

constexpr char kConfig[] = R"pb(
  data { dataset: IDX crop_size: 8 channels: 1 normalization_mean: 0.3 normalization_std: 0.4 }
  mask { patch_size: 4 }
  meta { model_name: "vit_tiny" }
)pb";

models::ModelConfig TinyModel() {
  models::ModelConfig m;
  m.set_model_name("vit_tiny");
  m.set_patch_size(4);
  m.set_crop_size(8);
  m.set_in_chans(1);
  return m;
}

// The fixture writes checkpoints whose encoder and target encoder differ (target = encoder + 1),
// with the DDP "module." prefix of the official layout, and optionally an embedded config.
class EncoderLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto options = models::NamedVisionTransformer("vit_tiny", 4, 8, 1);
    ASSERT_TRUE(options.ok());
    torch::manual_seed(5);
    source_ = models::VisionTransformer(*options);
  }

  std::string Write(const std::string& name, bool with_config) {
    checkpoint::StateDict encoder = checkpoint::ModuleStateDict(*source_);
    checkpoint::StateDict target;
    for (const auto& [key, t] : encoder) target.emplace_back(key, t + 1.0);
    c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
    dict.insert(std::string("encoder"), checkpoint::StateDictToIValue(encoder, "module."));
    dict.insert(std::string("target_encoder"), checkpoint::StateDictToIValue(target, "module."));
    dict.insert(std::string("epoch"), int64_t{3});
    if (with_config) dict.insert(std::string("config"), std::string(kConfig));
    const std::string path = ::testing::TempDir() + "/" + name;
    EXPECT_TRUE(checkpoint::WriteTorchFile(path, c10::IValue(dict)).ok());
    return path;
  }

  models::VisionTransformer source_{nullptr};
};

TEST_F(EncoderLoaderTest, TrainerCheckpointBringsItsArchitectureAndData) {
  EncoderSpec spec;
  spec.checkpoint = Write("trainer.pth.tar", /*with_config=*/true);
  spec.fallback_model = DefaultEvalModel();  // 28x28: must be ignored, the config says 8x8
  absl::StatusOr<LoadedEncoder> loaded = LoadEncoder(spec, kCpu);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->weights, "target_encoder");
  EXPECT_EQ(loaded->model.crop_size(), 8);
  EXPECT_EQ(loaded->encoder->options().img_size, 8);
  ASSERT_TRUE(loaded->pretrain_data.has_value());
  EXPECT_FLOAT_EQ(loaded->pretrain_data->normalization_mean(0), 0.3f);
  EXPECT_FALSE(loaded->encoder->is_training());
  const auto want = source_->named_parameters()["blocks.0.attn.qkv.weight"] + 1.0;
  EXPECT_TRUE(at::equal(loaded->encoder->named_parameters()["blocks.0.attn.qkv.weight"], want));

  spec.target_encoder = false;
  loaded = LoadEncoder(spec, kCpu);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->weights, "encoder");
  EXPECT_TRUE(at::equal(loaded->encoder->named_parameters()["blocks.0.attn.qkv.weight"],
                        source_->named_parameters()["blocks.0.attn.qkv.weight"]));

  // The eval data: the run's normalisation, the model's input size; overrides win.
  data::DataConfig overrides;
  overrides.add_normalization_mean(0.5f);
  absl::StatusOr<data::DataConfig> data = ResolveEvalData(loaded->pretrain_data, overrides, true, loaded->model);
  ASSERT_TRUE(data.ok()) << data.status();
  ASSERT_EQ(data->normalization_mean_size(), 1);
  EXPECT_FLOAT_EQ(data->normalization_mean(0), 0.5f);
  EXPECT_FLOAT_EQ(data->normalization_std(0), 0.4f);
  EXPECT_EQ(data->crop_size(), 8);
  overrides.set_crop_size(16);
  data = ResolveEvalData(loaded->pretrain_data, overrides, true, loaded->model);
  ASSERT_FALSE(data.ok());
  EXPECT_NE(data.status().message().find("data.crop_size"), std::string::npos) << data.status();
}

// What pretrain writes now: the encoder's own config entry, no training config needed.
TEST_F(EncoderLoaderTest, TheEncoderConfigEntryBringsArchitectureAndData) {
  const std::string path = Write("new.pth.tar", /*with_config=*/false);
  absl::StatusOr<c10::IValue> file = checkpoint::ReadTorchFile(path);
  ASSERT_TRUE(file.ok()) << file.status();
  auto dict = file->toGenericDict();
  checkpoint::EncoderConfig config;
  *config.mutable_model() = TinyModel();
  config.mutable_data()->add_normalization_mean(0.25f);
  checkpoint::AddEncoderConfig(config, &dict);
  ASSERT_TRUE(checkpoint::WriteTorchFile(path, c10::IValue(dict)).ok());

  EncoderSpec spec;
  spec.checkpoint = path;
  spec.fallback_model = DefaultEvalModel();  // 28x28: must be ignored, the entry says 8x8
  absl::StatusOr<LoadedEncoder> loaded = LoadEncoder(spec, kCpu);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->model.SerializeAsString(), TinyModel().SerializeAsString());
  EXPECT_EQ(loaded->encoder->options().img_size, 8);
  ASSERT_TRUE(loaded->pretrain_data.has_value());
  EXPECT_FLOAT_EQ(loaded->pretrain_data->normalization_mean(0), 0.25f);
}

TEST_F(EncoderLoaderTest, OfficialCheckpointTakesTheGivenArchitecture) {
  EncoderSpec spec;
  spec.checkpoint = Write("official.pth.tar", /*with_config=*/false);
  spec.fallback_model = TinyModel();
  absl::StatusOr<LoadedEncoder> loaded = LoadEncoder(spec, kCpu);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_FALSE(loaded->pretrain_data.has_value());
  // Without an embedded config the data defaults follow the model.
  absl::StatusOr<data::DataConfig> data = ResolveEvalData(std::nullopt, data::DataConfig(), false, loaded->model);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->crop_size(), 8);
  EXPECT_EQ(data->channels(), 1);

  spec.fallback_model = DefaultEvalModel();  // wrong size: 28x28 has 49 patches, not 4
  loaded = LoadEncoder(spec, kCpu);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("model.model_name"), std::string::npos) << loaded.status();
  EXPECT_NE(loaded.status().message().find("pos_embed"), std::string::npos) << loaded.status();
}

TEST_F(EncoderLoaderTest, RandomInitIsSeededAndErrorsAreClear) {
  EncoderSpec spec;
  spec.random_init = true;
  spec.fallback_model = TinyModel();
  spec.seed = 3;
  absl::StatusOr<LoadedEncoder> a = LoadEncoder(spec, kCpu), b = LoadEncoder(spec, kCpu);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->weights, "random_init");
  EXPECT_TRUE(at::equal(a->encoder->named_parameters()["norm.weight"], b->encoder->named_parameters()["norm.weight"]));
  EXPECT_TRUE(at::equal(a->encoder->named_parameters()["blocks.1.mlp.fc1.weight"],
                        b->encoder->named_parameters()["blocks.1.mlp.fc1.weight"]));

  EncoderSpec none;
  EXPECT_FALSE(LoadEncoder(none, kCpu).ok());
  none.checkpoint = "/nonexistent/ckpt.pth.tar";
  absl::StatusOr<LoadedEncoder> missing = LoadEncoder(none, kCpu);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/ckpt.pth.tar"), std::string::npos);
}

// A transformers IJepaModel folder (tools/make_hf_fixture.py --make) and the file
// `convert_checkpoint --from=hf` makes of it load with their own architecture (width 32: no named
// model) and give transformers' features.
TEST(HfEncoderLoaderTest, HfFolderAndItsConvertedFileLoadWithTheirArchitecture) {
  const std::string folder = "ijepa/checkpoint/testdata/hf_tiny";
  absl::StatusOr<checkpoint::Safetensors> fixture =
      checkpoint::ReadSafetensors("ijepa/checkpoint/testdata/hf_tiny_features.safetensors");
  ASSERT_TRUE(fixture.ok()) << fixture.status();
  std::map<std::string, at::Tensor> f(fixture->tensors.begin(), fixture->tensors.end());

  EncoderSpec spec;
  spec.checkpoint = folder;
  spec.fallback_model = DefaultEvalModel();  // 1 channel, 28x28: must be ignored
  absl::StatusOr<LoadedEncoder> loaded = LoadEncoder(spec, kCpu);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->weights, "hf_folder");
  EXPECT_EQ(loaded->model.model_name(), "custom");
  EXPECT_EQ(loaded->model.crop_size(), 16);
  EXPECT_EQ(loaded->model.in_chans(), 3);
  EXPECT_EQ(loaded->encoder->embed_dim(), 32);
  EXPECT_FALSE(loaded->encoder->is_training());
  torch::NoGradGuard no_grad;
  EXPECT_LT((loaded->encoder->forward(f["images_16"]) - f["features_16"]).abs().max().item<double>(), 1e-5);

  absl::StatusOr<checkpoint::HfEncoder> hf = checkpoint::ReadHfEncoder(folder);
  ASSERT_TRUE(hf.ok());
  spec.checkpoint = ::testing::TempDir() + "/from_hf.pth.tar";
  ASSERT_TRUE(checkpoint::WriteTorchFile(spec.checkpoint, checkpoint::CheckpointFromHfEncoder(*hf, "target_encoder")).ok());
  loaded = LoadEncoder(spec, kCpu);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->weights, "target_encoder");
  EXPECT_LT((loaded->encoder->forward(f["images_16"]) - f["features_16"]).abs().max().item<double>(), 1e-5);
  spec.target_encoder = false;
  loaded = LoadEncoder(spec, kCpu);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(std::string(loaded.status().message()).find("no 'encoder' state dict"), std::string::npos)
      << loaded.status();

  spec.checkpoint = ::testing::TempDir();  // a folder without config.json
  loaded = LoadEncoder(spec, kCpu);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(std::string(loaded.status().message()).find("no config.json"), std::string::npos) << loaded.status();
}

}  // namespace
}  // namespace ijepa::eval
