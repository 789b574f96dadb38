#include "ijepa/models/vision_transformer.h"

#include <c10/util/Exception.h>
#include <gtest/gtest.h>
#include <torch/serialize.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "ijepa/models/layers.h"
#include "ijepa/models/model_options.h"

namespace ijepa::models {
namespace {

VisionTransformerOptions Tiny() {
  VisionTransformerOptions o;
  o.img_size = 32;
  o.patch_size = 8;
  o.in_chans = 3;
  o.embed_dim = 32;
  o.depth = 2;
  o.num_heads = 2;
  return o;
}

int64_t CountScalars(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.named_parameters()) n += p.value().numel();
  for (const auto& b : module.named_buffers()) n += b.value().numel();
  return n;
}

TEST(VisionTransformerTest, StateDictKeysAreTheOfficialOnesInOrder) {
  VisionTransformer model(Tiny());
  std::vector<std::string> keys;
  for (const auto& p : model->named_parameters()) keys.push_back(p.key());
  std::vector<std::string> expected = {"pos_embed", "patch_embed.proj.weight",
                                       "patch_embed.proj.bias"};
  for (int i = 0; i < 2; ++i) {
    const std::string b = "blocks." + std::to_string(i) + ".";
    for (const char* name : {"norm1", "attn.qkv", "attn.proj", "norm2", "mlp.fc1", "mlp.fc2"}) {
      expected.push_back(b + name + ".weight");
      expected.push_back(b + name + ".bias");
    }
  }
  expected.push_back("norm.weight");
  expected.push_back("norm.bias");
  EXPECT_EQ(keys, expected);
  EXPECT_TRUE(model->named_buffers().is_empty());
  for (const auto& p : model->named_parameters()) {
    EXPECT_EQ(p.value().requires_grad(), p.key() != "pos_embed") << p.key();
  }
  EXPECT_EQ(model->pos_embed.sizes(), (torch::IntArrayRef{1, 16, 32}));
}

TEST(VisionTransformerTest, ParameterCountFormulaMatchesConstructedModels) {
  std::vector<VisionTransformerOptions> configs;
  for (const char* name : {"vit_tiny", "vit_small", "vit_base"}) {
    configs.push_back(NamedVisionTransformer(name, 16, 224, 3).value());
  }
  VisionTransformerOptions grey = NamedVisionTransformer("vit_small", 8, 64, 1).value();
  grey.qkv_bias = false;
  configs.push_back(grey);
  configs.push_back(NamedVisionTransformer("vit_giant", 16, 32, 3).value());  // MLP ratio 48/11
  configs.back().depth = 1;
  for (const VisionTransformerOptions& o : configs) {
    VisionTransformer model(o);
    EXPECT_EQ(CountScalars(*model), CountVisionTransformerParameters(o))
        << o.embed_dim << " wide, patch " << o.patch_size;
  }
  EXPECT_EQ(CountVisionTransformerParameters(configs[2]), 85797120);  // ViT-B/16: 85.8M
}

TEST(VisionTransformerTest, InitialisationFollowsTheOfficialCode) {
  VisionTransformerOptions o = Tiny();
  o.embed_dim = 128;
  o.depth = 3;
  VisionTransformer model(o);
  auto std_of = [](const torch::Tensor& t) { return t.std().item<double>(); };
  EXPECT_NEAR(std_of(model->patch_embed->proj->weight), 0.02, 0.002);
  EXPECT_EQ(model->patch_embed->proj->bias.abs().max().item<float>(), 0.f);
  for (int i = 0; i < 3; ++i) {
    auto* block = model->blocks_list[i]->as<BlockImpl>();
    const double rescaled = 0.02 / std::sqrt(2.0 * (i + 1));
    EXPECT_NEAR(std_of(block->attn->proj->weight), rescaled, 0.1 * rescaled) << i;
    EXPECT_NEAR(std_of(block->mlp->fc2->weight), rescaled, 0.1 * rescaled) << i;
    EXPECT_NEAR(std_of(block->attn->qkv->weight), 0.02, 0.002) << i;
    EXPECT_NEAR(std_of(block->mlp->fc1->weight), 0.02, 0.002) << i;
    EXPECT_EQ(block->attn->qkv->bias.abs().max().item<float>(), 0.f);
    EXPECT_TRUE(torch::equal(block->norm1->weight, torch::ones({128})));
    EXPECT_TRUE(torch::equal(block->norm2->bias, torch::zeros({128})));
  }
}

TEST(VisionTransformerTest, OfficialInitModelReinitialisationUndoesTheRescale) {
  VisionTransformerOptions o = Tiny();
  o.embed_dim = 128;
  o.depth = 4;
  VisionTransformer model(o);
  auto* last = model->blocks_list[3]->as<BlockImpl>();
  ASSERT_NEAR(last->mlp->fc2->weight.std().item<double>(), 0.02 / std::sqrt(8.0), 0.001);
  const torch::Tensor conv = model->patch_embed->proj->weight.clone();
  ReinitializeLikeOfficialInitModel(*model);
  EXPECT_NEAR(last->mlp->fc2->weight.std().item<double>(), 0.02, 0.002);
  EXPECT_NEAR(last->attn->proj->weight.std().item<double>(), 0.02, 0.002);
  EXPECT_TRUE(torch::equal(model->patch_embed->proj->weight, conv));  // Conv2d untouched
}

TEST(VisionTransformerTest, EveryNamedSizeBuildsAndRunsWithItsWidth) {
  // Depth 1 keeps ViT-g affordable; width, heads and MLP ratio are the named ones.
  for (const char* name :
       {"vit_tiny", "vit_small", "vit_base", "vit_large", "vit_huge", "vit_giant"}) {
    VisionTransformerOptions o = NamedVisionTransformer(name, 16, 32, 3).value();
    const int64_t depth = o.depth;
    o.depth = 1;
    VisionTransformer model(o);
    model->eval();
    torch::NoGradGuard no_grad;
    const torch::Tensor images = torch::randn({2, 3, 32, 32});
    EXPECT_EQ(model->forward(images).sizes(), (torch::IntArrayRef{2, 4, o.embed_dim})) << name;
    const torch::Tensor m = torch::tensor({{0, 3}, {1, 2}});
    EXPECT_EQ(model->forward(images, {m, m, m}).sizes(), (torch::IntArrayRef{6, 2, o.embed_dim}));
    auto* block = model->blocks_list[0]->as<BlockImpl>();
    EXPECT_EQ(block->mlp->fc1->weight.size(0), MlpHiddenDim(o.embed_dim, o.mlp_ratio)) << name;
    // The formula at full depth = this 1-block model + (depth - 1) more blocks like block 0.
    o.depth = depth;
    EXPECT_EQ(CountVisionTransformerParameters(o),
              CountScalars(*model) + (depth - 1) * CountScalars(*block))
        << name;
  }
}

TEST(VisionTransformerTest, PositionEmbeddingIsTheOfficialSinCosTable) {
  VisionTransformer model(Tiny());  // 4x4 grid, 32 channels: quarters of 8 frequencies
  const torch::Tensor pos = model->pos_embed[0];
  // Patch 1 is row 0, column 1: the first half encodes the column, the second half the row.
  EXPECT_FLOAT_EQ(pos[1][0].item<float>(), std::sin(1.0));
  EXPECT_FLOAT_EQ(pos[1][8].item<float>(), std::cos(1.0));
  EXPECT_FLOAT_EQ(pos[1][16].item<float>(), 0.f);
  EXPECT_FLOAT_EQ(pos[1][24].item<float>(), 1.f);
  // Patch 6 is row 1, column 2; frequency 1 of 8 is 10000^(-1/8).
  const double omega1 = std::pow(10000.0, -1.0 / 8.0);
  EXPECT_FLOAT_EQ(pos[6][1].item<float>(), std::sin(2 * omega1));
  EXPECT_FLOAT_EQ(pos[6][17].item<float>(), std::sin(1 * omega1));
  EXPECT_FLOAT_EQ(pos[6][25].item<float>(), std::cos(1 * omega1));
}

TEST(VisionTransformerTest, OutputShapes) {
  torch::manual_seed(0);
  VisionTransformer model(Tiny());
  model->eval();
  const torch::Tensor images = torch::randn({3, 3, 32, 32});
  EXPECT_EQ(model->forward(images).sizes(), (torch::IntArrayRef{3, 16, 32}));
  const torch::Tensor m = torch::randint(16, {3, 5}, torch::kLong);
  EXPECT_EQ(model->forward(images, {m, m}).sizes(), (torch::IntArrayRef{6, 5, 32}));
  EXPECT_EQ(model->forward(torch::randn({2, 3, 48, 40})).sizes(), (torch::IntArrayRef{2, 30, 32}));
  EXPECT_EQ(model->grid_h(), 4);
  EXPECT_EQ(model->num_patches(), 16);
  EXPECT_EQ(model->embed_dim(), 32);
}

TEST(VisionTransformerTest, MaskWithEveryPatchEqualsUnmaskedForward) {
  torch::manual_seed(1);
  VisionTransformer model(Tiny());
  model->eval();
  const torch::Tensor images = torch::randn({2, 3, 32, 32});
  const torch::Tensor all = torch::arange(16).repeat({2, 1});
  EXPECT_TRUE(torch::allclose(model->forward(images, {all}), model->forward(images), 1e-6, 1e-6));
}

TEST(VisionTransformerTest, LastBlocksEndWithTheForwardOutput) {
  torch::manual_seed(2);
  VisionTransformerOptions o = Tiny();
  o.depth = 4;
  VisionTransformer model(o);
  model->eval();
  const torch::Tensor images = torch::randn({2, 3, 32, 32});
  const std::vector<torch::Tensor> last = model->ForwardLastBlocks(images, 3);
  ASSERT_EQ(last.size(), 3u);
  for (const torch::Tensor& t : last) EXPECT_EQ(t.sizes(), (torch::IntArrayRef{2, 16, 32}));
  EXPECT_TRUE(torch::equal(last.back(), model->forward(images)));
  EXPECT_FALSE(torch::allclose(last[0], last[1]));
  EXPECT_THROW(model->ForwardLastBlocks(images, 0), c10::Error);
  EXPECT_THROW(model->ForwardLastBlocks(images, 5), c10::Error);
}

TEST(VisionTransformerTest, InterpolatedPositionEmbeddingKeepsTheGridAtSameSize) {
  const torch::Tensor pos = SinCosPositionEmbedding(16, 4, 4);
  EXPECT_TRUE(torch::equal(InterpolatePositionEmbedding(pos, 4, 4, 4, 4), pos));
  const torch::Tensor big = InterpolatePositionEmbedding(pos, 4, 4, 8, 6);
  EXPECT_EQ(big.sizes(), (torch::IntArrayRef{1, 48, 16}));
  // Constant-per-column channels stay constant per column after resizing (no CLS shift).
  const torch::Tensor col_channel = big[0].select(1, 0).view({8, 6});
  EXPECT_TRUE(torch::allclose(col_channel, col_channel[0].expand({8, 6}), 1e-6, 1e-6));
}

TEST(VisionTransformerTest, DropPathDropsWholeSamplesOnlyInTraining) {
  torch::manual_seed(3);
  const torch::Tensor x = torch::ones({4000, 3});
  EXPECT_TRUE(torch::equal(DropPath(x, 0.25, /*training=*/false), x));
  const torch::Tensor y = DropPath(x, 0.25, /*training=*/true);
  const torch::Tensor kept = y.select(1, 0) > 0;
  EXPECT_TRUE(torch::equal(y.select(1, 0), y.select(1, 2)));  // per sample
  EXPECT_TRUE(torch::allclose(y.masked_select(kept.unsqueeze(1).expand({4000, 3})),
                              torch::full({1}, 1.0 / 0.75)));
  EXPECT_NEAR(kept.to(torch::kDouble).mean().item<double>(), 0.75, 0.03);

  VisionTransformerOptions o = Tiny();
  o.drop_path_rate = 0.5;
  VisionTransformer model(o);
  const torch::Tensor images = torch::randn({8, 3, 32, 32});
  model->train();
  EXPECT_FALSE(torch::equal(model->forward(images), model->forward(images)));
  model->eval();
  EXPECT_TRUE(torch::equal(model->forward(images), model->forward(images)));
}

TEST(VisionTransformerTest, SaveLoadGivesIdenticalOutputs) {
  torch::manual_seed(4);
  VisionTransformer model(Tiny());
  model->eval();
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/vit.pt";
  torch::save(model, path);
  torch::manual_seed(5);
  VisionTransformer loaded(Tiny());
  loaded->eval();
  const torch::Tensor images = torch::randn({2, 3, 32, 32});
  ASSERT_FALSE(torch::equal(loaded->forward(images), model->forward(images)));
  torch::load(loaded, path);
  EXPECT_TRUE(torch::equal(loaded->forward(images), model->forward(images)));
  EXPECT_FALSE(loaded->pos_embed.requires_grad());
}

TEST(VisionTransformerTest, BackwardReachesEveryTrainableParameter) {
  torch::manual_seed(6);
  VisionTransformer model(Tiny());
  const torch::Tensor m = torch::randint(16, {2, 7}, torch::kLong);
  model->forward(torch::randn({2, 3, 32, 32}), {m}).pow(2).sum().backward();
  for (const auto& p : model->named_parameters()) {
    if (p.key() == "pos_embed") {
      EXPECT_FALSE(p.value().grad().defined());
    } else {
      ASSERT_TRUE(p.value().grad().defined()) << p.key();
      EXPECT_GT(p.value().grad().abs().sum().item<float>(), 0.f) << p.key();
    }
  }
}

TEST(VisionTransformerTest, RejectsBadInputsWithMessages) {
  VisionTransformer model(Tiny());
  EXPECT_THROW(model->forward(torch::randn({2, 1, 32, 32})), c10::Error);   // channels
  EXPECT_THROW(model->forward(torch::randn({2, 3, 30, 32})), c10::Error);   // not multiple of 8
  EXPECT_THROW(model->forward(torch::randn({3, 32, 32})), c10::Error);      // 3-D
  VisionTransformerOptions bad = Tiny();
  bad.num_heads = 3;
  try {
    VisionTransformer m(bad);
    FAIL() << "num_heads 3 does not divide 32";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("num_heads"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ijepa::models
