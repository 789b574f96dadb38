#include "ijepa/models/predictor.h"

#include <c10/util/Exception.h>
#include <gtest/gtest.h>
#include <torch/serialize.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "ijepa/models/model_options.h"

namespace ijepa::models {
namespace {

PredictorOptions Tiny() {
  PredictorOptions o;
  o.grid_h = 4;
  o.grid_w = 5;
  o.embed_dim = 24;
  o.predictor_embed_dim = 16;
  o.depth = 2;
  o.num_heads = 2;
  return o;
}

// Sorted random patch indices, [batch, keep].
torch::Tensor RandomMask(int64_t batch, int64_t num_patches, int64_t keep) {
  std::vector<torch::Tensor> rows;
  for (int64_t b = 0; b < batch; ++b) {
    rows.push_back(std::get<0>(torch::randperm(num_patches).slice(0, 0, keep).sort()));
  }
  return torch::stack(rows);
}

TEST(PredictorTest, StateDictKeysAreTheOfficialOnesInOrder) {
  VisionTransformerPredictor model(Tiny());
  std::vector<std::string> keys;
  for (const auto& p : model->named_parameters()) keys.push_back(p.key());
  std::vector<std::string> expected = {"mask_token", "predictor_pos_embed",
                                       "predictor_embed.weight", "predictor_embed.bias"};
  for (int i = 0; i < 2; ++i) {
    const std::string b = "predictor_blocks." + std::to_string(i) + ".";
    for (const char* name : {"norm1", "attn.qkv", "attn.proj", "norm2", "mlp.fc1", "mlp.fc2"}) {
      expected.push_back(b + name + ".weight");
      expected.push_back(b + name + ".bias");
    }
  }
  for (const char* name : {"predictor_norm", "predictor_proj"}) {
    expected.push_back(std::string(name) + ".weight");
    expected.push_back(std::string(name) + ".bias");
  }
  EXPECT_EQ(keys, expected);
  EXPECT_FALSE(model->predictor_pos_embed.requires_grad());
  EXPECT_TRUE(model->mask_token.requires_grad());
  EXPECT_EQ(model->predictor_pos_embed.sizes(), (torch::IntArrayRef{1, 20, 16}));
  EXPECT_NEAR(model->mask_token.abs().max().item<float>(), 0.0, 0.1);
  EXPECT_GT(model->mask_token.abs().max().item<float>(), 0.f);

  int64_t count = 0;
  for (const auto& p : model->named_parameters()) count += p.value().numel();
  EXPECT_EQ(count, CountPredictorParameters(Tiny()));
  VisionTransformerPredictor official(PredictorForEncoder(
      NamedVisionTransformer("vit_huge", 14, 224, 3).value(), 384, 12));
  count = 0;
  for (const auto& p : official->named_parameters()) count += p.value().numel();
  EXPECT_EQ(count, 22377728);  // ViT-H/14 predictor of the official config (depth 12, width 384)
}

TEST(PredictorTest, ShapesForSeveralContextAndTargetMasks) {
  torch::manual_seed(0);
  VisionTransformerPredictor model(Tiny());
  model->eval();
  const int64_t batch = 3;
  for (const auto& [nc, nt] : std::vector<std::pair<int, int>>{{1, 1}, {1, 4}, {2, 3}, {3, 1}}) {
    std::vector<torch::Tensor> context, targets;
    for (int i = 0; i < nc; ++i) context.push_back(RandomMask(batch, 20, 9));
    for (int i = 0; i < nt; ++i) targets.push_back(RandomMask(batch, 20, 4));
    const torch::Tensor features = torch::randn({batch * nc, 9, 24});
    EXPECT_EQ(model->forward(features, context, targets).sizes(),
              (torch::IntArrayRef{batch * nc * nt, 4, 24}))
        << nc << " context, " << nt << " target masks";
  }
}

TEST(PredictorTest, RowsAreTargetMajorThenContextThenImage) {
  torch::manual_seed(1);
  VisionTransformerPredictor model(Tiny());
  model->eval();
  const int64_t batch = 2, nc = 2, nt = 3;
  std::vector<torch::Tensor> context, targets;
  for (int i = 0; i < nc; ++i) context.push_back(RandomMask(batch, 20, 8));
  for (int i = 0; i < nt; ++i) targets.push_back(RandomMask(batch, 20, 5));
  const torch::Tensor features = torch::randn({batch * nc, 8, 24});
  const torch::Tensor all = model->forward(features, context, targets);
  for (int t = 0; t < nt; ++t) {
    for (int c = 0; c < nc; ++c) {
      const torch::Tensor single = model->forward(
          features.slice(0, c * batch, (c + 1) * batch), {context[c]}, {targets[t]});
      const int64_t row = (t * nc + c) * batch;
      EXPECT_TRUE(torch::allclose(all.slice(0, row, row + batch), single, 1e-5, 1e-5))
          << "target " << t << " context " << c;
    }
  }
}

TEST(PredictorTest, PredictionDependsOnTargetPositionAndContext) {
  torch::manual_seed(2);
  VisionTransformerPredictor model(Tiny());
  model->eval();
  const torch::Tensor context = RandomMask(1, 20, 8);
  const torch::Tensor features = torch::randn({1, 8, 24});
  const torch::Tensor a = model->forward(features, {context}, {torch::tensor({{0, 1}})});
  const torch::Tensor b = model->forward(features, {context}, {torch::tensor({{0, 2}})});
  EXPECT_FALSE(torch::allclose(a[0][1], b[0][1]));
  const torch::Tensor c = model->forward(features * 2, {context}, {torch::tensor({{0, 1}})});
  EXPECT_FALSE(torch::allclose(a, c));
}

TEST(PredictorTest, SaveLoadGivesIdenticalOutputs) {
  torch::manual_seed(3);
  VisionTransformerPredictor model(Tiny());
  model->eval();
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/predictor.pt";
  torch::save(model, path);
  torch::manual_seed(4);
  VisionTransformerPredictor loaded(Tiny());
  loaded->eval();
  const torch::Tensor features = torch::randn({2, 6, 24});
  const std::vector<torch::Tensor> context = {RandomMask(2, 20, 6)};
  const std::vector<torch::Tensor> targets = {RandomMask(2, 20, 3), RandomMask(2, 20, 3)};
  ASSERT_FALSE(torch::equal(loaded->forward(features, context, targets),
                            model->forward(features, context, targets)));
  torch::load(loaded, path);
  EXPECT_TRUE(torch::equal(loaded->forward(features, context, targets),
                           model->forward(features, context, targets)));
}

TEST(PredictorTest, RejectsInconsistentInputs) {
  VisionTransformerPredictor model(Tiny());
  const torch::Tensor m = RandomMask(2, 20, 6);
  const torch::Tensor t = RandomMask(2, 20, 3);
  EXPECT_THROW(model->forward(torch::randn({2, 6, 24}), {}, {t}), c10::Error);
  EXPECT_THROW(model->forward(torch::randn({2, 6, 24}), {m}, {}), c10::Error);
  EXPECT_THROW(model->forward(torch::randn({3, 6, 24}), {m, m}, {t}), c10::Error);  // 3 % 2
  EXPECT_THROW(model->forward(torch::randn({2, 5, 24}), {m}, {t}), c10::Error);     // Kc
  EXPECT_THROW(model->forward(torch::randn({2, 6, 16}), {m}, {t}), c10::Error);     // width
  PredictorOptions bad = Tiny();
  bad.predictor_embed_dim = 18;
  try {
    VisionTransformerPredictor p(bad);
    FAIL();
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("predictor_embed_dim"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ijepa::models
