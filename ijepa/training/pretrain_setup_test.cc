// MakePretrainModels: the official initialisation by default, and meta.patch_embed_init FAN_IN
// changing the encoder's patch embedding and nothing else.
#include "ijepa/training/pretrain_setup.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>

#include "ijepa/training/config.h"

namespace ijepa::training {
namespace {

// vit_tiny on 28x28 grey images, patch 4: the patch embedding sees 1 x 4 x 4 = 16 pixels.
constexpr char kConfig[] = R"pb(
  data { batch_size: 8 crop_size: 28 channels: 1 }
  mask { patch_size: 4 min_keep: 4 }
  meta { model_name: "vit_tiny" pred_depth: 2 pred_emb_dim: 48 }
  optimization { epochs: 1 warmup: 0 }
  seed: 3
)pb";

PretrainConfig Config(MetaConfig::PatchEmbedInit patch_embed_init) {
  auto config = ParseConfigText(kConfig, "test");
  EXPECT_TRUE(config.ok()) << config.status();
  config->mutable_meta()->set_patch_embed_init(patch_embed_init);
  return *config;
}

PretrainModels Make(MetaConfig::PatchEmbedInit patch_embed_init) {
  auto run = ValidatePretrainConfig(Config(patch_embed_init));
  EXPECT_TRUE(run.ok()) << run.status();
  return MakePretrainModels(*run, torch::kCPU, /*communicator=*/nullptr);
}

double Std(const torch::Tensor& t) { return t.std().item<double>(); }

TEST(MakePretrainModelsTest, OfficialPatchEmbeddingHasStd002) {
  const PretrainModels m = Make(MetaConfig::OFFICIAL);
  EXPECT_NEAR(Std(m.encoder->patch_embed->proj->weight), 0.02, 0.002);
  EXPECT_TRUE(torch::equal(m.target_encoder->patch_embed->proj->weight,
                           m.encoder->patch_embed->proj->weight));
}

TEST(MakePretrainModelsTest, FanInScalesThePatchEmbeddingAndChangesNothingElse) {
  const PretrainModels official = Make(MetaConfig::OFFICIAL);
  const PretrainModels fan_in = Make(MetaConfig::FAN_IN);
  const torch::Tensor weight = fan_in.encoder->patch_embed->proj->weight;
  ASSERT_EQ(weight[0].numel(), 16);
  EXPECT_NEAR(Std(weight), 1.0 / std::sqrt(16.0), 0.01);  // 3072 draws: ~1.3% relative error
  // The target encoder starts as the encoder's copy, patch embedding included.
  EXPECT_TRUE(torch::equal(fan_in.target_encoder->patch_embed->proj->weight, weight));

  const auto a = official.encoder->named_parameters();
  const auto b = fan_in.encoder->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].key() == "patch_embed.proj.weight") continue;
    EXPECT_TRUE(torch::equal(a[i].value(), b[i].value())) << a[i].key();
  }
  const auto pa = official.predictor->parameters();
  const auto pb = fan_in.predictor->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i]));
}

TEST(MakePretrainModelsTest, UnspecifiedPatchEmbedInitIsRejected) {
  const auto run = ValidatePretrainConfig(Config(MetaConfig::PATCH_EMBED_INIT_UNSPECIFIED));
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.status().message().find("meta.patch_embed_init must be OFFICIAL or FAN_IN"),
            std::string::npos)
      << run.status();
}

}  // namespace
}  // namespace ijepa::training
