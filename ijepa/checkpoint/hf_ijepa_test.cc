#include "ijepa/checkpoint/hf_ijepa.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include <ATen/ATen.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/utils.h>

#include "ijepa/checkpoint/safetensors.h"
#include "ijepa/checkpoint/state_dict.h"
#include "ijepa/models/vision_transformer.h"

namespace ijepa::checkpoint {
namespace {

using ::testing::HasSubstr;

// Made by transformers itself (tools/make_hf_fixture.py --make): a random IJepaModel (hidden 32,
// 2 layers, 2 heads, intermediate 64, 16x16 images, patch 4, 3 channels) and its
// last_hidden_state on fixed images.
const std::string kFolder = "ijepa/checkpoint/testdata/hf_tiny";
const std::string kFeatures = "ijepa/checkpoint/testdata/hf_tiny_features.safetensors";

std::map<std::string, at::Tensor> Fixture() {
  absl::StatusOr<Safetensors> f = ReadSafetensors(kFeatures);
  EXPECT_TRUE(f.ok()) << f.status();
  return f.ok() ? std::map<std::string, at::Tensor>(f->tensors.begin(), f->tensors.end())
                : std::map<std::string, at::Tensor>();
}

models::VisionTransformer Build(const HfEncoder& hf) {
  models::VisionTransformer model(hf.options);
  const absl::Status s = LoadStateDict(*model, hf.state, /*strict=*/true);
  EXPECT_TRUE(s.ok()) << s;
  model->eval();
  return model;
}

double MaxDiff(const at::Tensor& a, const at::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  return (a - b).abs().max().item<double>();
}

TEST(HfIJepaTest, ReadsTheTransformersFolderAndReproducesItsFeatures) {
  absl::StatusOr<HfEncoder> hf = ReadHfEncoder(kFolder);
  ASSERT_TRUE(hf.ok()) << hf.status();
  EXPECT_EQ(hf->options.embed_dim, 32);
  EXPECT_EQ(hf->options.depth, 2);
  EXPECT_EQ(hf->options.num_heads, 2);
  EXPECT_EQ(models::MlpHiddenDim(32, hf->options.mlp_ratio), 64);
  EXPECT_EQ(hf->options.img_size, 16);
  EXPECT_EQ(hf->options.patch_size, 4);
  EXPECT_EQ(hf->options.in_chans, 3);
  models::VisionTransformer model = Build(*hf);
  auto fixture = Fixture();
  torch::NoGradGuard no_grad;
  const double native = MaxDiff(model->forward(fixture["images_16"]), fixture["features_16"]);
  // transformers with interpolate_pos_encoding=True resizes as our encoder always does.
  const double resized = MaxDiff(model->forward(fixture["images_24"]), fixture["features_24"]);
  std::printf("max |ours - transformers| = %.3e (16x16), %.3e (24x24, interpolated)\n", native, resized);
  EXPECT_LT(native, 1e-5);
  EXPECT_LT(resized, 1e-5);
  EXPECT_GT(fixture["features_16"].abs().max().item<double>(), 0.5);  // not a trivially small output
}

TEST(HfIJepaTest, OurFolderReadsBackWithTheSameFeaturesAndTheTransformersNames) {
  absl::StatusOr<HfEncoder> hf = ReadHfEncoder(kFolder);
  ASSERT_TRUE(hf.ok()) << hf.status();
  models::VisionTransformer model = Build(*hf);
  const std::string out = ::testing::TempDir() + "/hf_round_trip";
  ASSERT_TRUE(WriteHfEncoder(out, hf->options, ModuleStateDict(*model)).ok());
  absl::StatusOr<HfEncoder> again = ReadHfEncoder(out);
  ASSERT_TRUE(again.ok()) << again.status();
  models::VisionTransformer reread = Build(*again);
  auto fixture = Fixture();
  torch::NoGradGuard no_grad;
  EXPECT_EQ(MaxDiff(reread->forward(fixture["images_16"]), model->forward(fixture["images_16"])), 0.0);
  EXPECT_LT(MaxDiff(reread->forward(fixture["images_16"]), fixture["features_16"]), 1e-5);

  // Same tensor names, shapes and values as transformers' own save_pretrained wrote.
  absl::StatusOr<Safetensors> theirs = ReadSafetensors(kFolder + "/model.safetensors");
  absl::StatusOr<Safetensors> ours = ReadSafetensors(out + "/model.safetensors");
  ASSERT_TRUE(theirs.ok() && ours.ok());
  std::map<std::string, at::Tensor> want(theirs->tensors.begin(), theirs->tensors.end());
  ASSERT_EQ(ours->tensors.size(), want.size());
  for (const auto& [name, t] : ours->tensors) {
    ASSERT_TRUE(want.count(name)) << name;
    EXPECT_TRUE(at::equal(t, want[name])) << name;
  }
  EXPECT_EQ(ours->metadata.at("format"), "pt");
}

TEST(HfIJepaTest, AcceptsTransformersInMemoryNames) {
  absl::StatusOr<Safetensors> file = ReadSafetensors(kFolder + "/model.safetensors");
  ASSERT_TRUE(file.ok());
  StateDict renamed;
  const std::vector<std::pair<std::string, std::string>> renames = {
      {"encoder.layer.", "layers."},         {"attention.attention.query", "attention.q_proj"},
      {"attention.attention.key", "attention.k_proj"}, {"attention.attention.value", "attention.v_proj"},
      {"attention.output.dense", "attention.o_proj"},  {"intermediate.dense", "mlp.fc1"},
      {"output.dense", "mlp.fc2"}};
  for (auto [name, t] : file->tensors) {
    for (const auto& [from, to] : renames) {
      if (auto at = name.find(from); at != std::string::npos) name.replace(at, from.size(), to);
    }
    renamed.emplace_back(name, t);
  }
  absl::StatusOr<HfEncoder> hf = ReadHfEncoder(kFolder);
  ASSERT_TRUE(hf.ok());
  absl::StatusOr<StateDict> state = EncoderStateFromHf(renamed, hf->options, "renamed");
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_EQ(state->size(), hf->state.size());
  for (size_t i = 0; i < state->size(); ++i) {
    EXPECT_EQ((*state)[i].first, hf->state[i].first);
    EXPECT_TRUE(at::equal((*state)[i].second, hf->state[i].second)) << (*state)[i].first;
  }
}

std::string ConfigText() {
  std::ifstream in(kFolder + "/config.json");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string ConfigError(const std::string& from, const std::string& to) {
  std::string text = ConfigText();
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  absl::StatusOr<models::VisionTransformerOptions> o = EncoderOptionsFromHfConfig(text, "config.json");
  EXPECT_FALSE(o.ok()) << "accepted " << to;
  return o.ok() ? "" : std::string(o.status().message());
}

TEST(HfIJepaTest, RefusesArchitecturesOurModelsDoNotHave) {
  EXPECT_THAT(ConfigError("\"layer_norm_eps\": 1e-06", "\"layer_norm_eps\": 1e-12"),
              HasSubstr("config.json: layer_norm_eps: expected 1e-06"));
  EXPECT_THAT(ConfigError("\"layer_norm_eps\": 1e-06,", ""), HasSubstr("IJepaConfig's default, field absent"));
  EXPECT_THAT(ConfigError("\"gelu\"", "\"gelu_new\""), HasSubstr("hidden_act: expected \"gelu\""));
  EXPECT_THAT(ConfigError("\"ijepa\"", "\"vit\""), HasSubstr("model_type: expected \"ijepa\""));
  EXPECT_THAT(ConfigError("\"IJepaModel\"", "\"IJepaForImageClassification\""), HasSubstr("architectures"));
  EXPECT_THAT(ConfigError("\"image_size\": 16", "\"image_size\": [16, 24]"), HasSubstr("image_size: expected"));
  EXPECT_THAT(ConfigError("\"num_attention_heads\": 2", "\"num_attention_heads\": 3"),
              HasSubstr("3 does not divide hidden_size 32"));
  EXPECT_THAT(ConfigError("\"image_size\": 16", "\"image_size\": 18"), HasSubstr("unsupported architecture"));
}

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(HfIJepaTest, RefusesBadFoldersNamingWhatIsWrong) {
  const std::string dir = ::testing::TempDir() + "/bad_hf";
  std::filesystem::create_directories(dir);
  absl::StatusOr<HfEncoder> r = ReadHfEncoder(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("no config.json"));
  WriteFile(dir + "/config.json", ConfigText());
  WriteFile(dir + "/model.safetensors.index.json", "{}");
  r = ReadHfEncoder(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("sharded"));

  // One weight missing, one unexpected (a pooler), one of the wrong shape: all three named.
  absl::StatusOr<Safetensors> file = ReadSafetensors(kFolder + "/model.safetensors");
  ASSERT_TRUE(file.ok());
  Safetensors bad;
  for (const auto& [name, t] : file->tensors) {
    if (name == "encoder.layer.1.attention.attention.key.bias") continue;
    bad.tensors.emplace_back(name, name == "layernorm.bias" ? at::zeros({31}) : t);
  }
  bad.tensors.emplace_back("pooler.dense.weight", at::zeros({32, 32}));
  ASSERT_TRUE(WriteSafetensors(dir + "/model.safetensors", bad).ok());
  r = ReadHfEncoder(dir);
  ASSERT_FALSE(r.ok());
  const std::string message(r.status().message());
  EXPECT_THAT(message, HasSubstr("1 missing: encoder.layer.1.attention.attention.key.bias"));
  EXPECT_THAT(message, HasSubstr("1 unexpected (the official encoder has no pooler or mask token): pooler.dense.weight"));
  EXPECT_THAT(message, HasSubstr("layernorm.bias (file [31], config.json implies [32])"));
  EXPECT_THAT(message, HasSubstr(dir + "/model.safetensors"));
}

TEST(HfIJepaTest, InfersTheArchitectureOfOurStateDicts) {
  torch::manual_seed(0);
  models::VisionTransformerOptions o;
  o.img_size = 12, o.patch_size = 4, o.in_chans = 1, o.embed_dim = 192, o.depth = 2, o.num_heads = 3;
  models::VisionTransformer tiny(o);
  absl::StatusOr<models::VisionTransformerOptions> inferred = InferEncoderOptions(ModuleStateDict(*tiny), 0, "x");
  ASSERT_TRUE(inferred.ok()) << inferred.status();
  EXPECT_EQ(inferred->num_heads, 3);  // vit_tiny's width
  EXPECT_EQ(inferred->img_size, 12);
  EXPECT_EQ(inferred->in_chans, 1);
  EXPECT_EQ(inferred->depth, 2);
  EXPECT_EQ(inferred->mlp_ratio, 4.0);
  o.embed_dim = 32, o.num_heads = 2;
  models::VisionTransformer odd(o);
  EXPECT_THAT(std::string(InferEncoderOptions(ModuleStateDict(*odd), 0, "x").status().message()),
              HasSubstr("width 32 is no official named model"));
  EXPECT_EQ(InferEncoderOptions(ModuleStateDict(*odd), 2, "x")->num_heads, 2);
}

}  // namespace
}  // namespace ijepa::checkpoint
