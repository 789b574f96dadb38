#include "ijepa/checkpoint/model_checkpoint.h"

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "ijepa/checkpoint/state_dict.h"
#include "ijepa/checkpoint/test_formula.h"
#include "ijepa/checkpoint/torch_file.h"

namespace ijepa::checkpoint {
namespace {

using ::ijepa::checkpoint::testing::Formula;

const std::string kOfficialTiny = "ijepa/checkpoint/testdata/official_tiny.pth.tar";

// The tiny model of tools/make_checkpoint_fixtures.py.
models::VisionTransformerOptions TinyEncoderOptions() {
  models::VisionTransformerOptions o;
  o.img_size = 8;
  o.patch_size = 4;
  o.embed_dim = 8;
  o.depth = 2;
  o.num_heads = 2;
  return o;
}

models::PredictorOptions TinyPredictorOptions() {
  return models::PredictorForEncoder(TinyEncoderOptions(), /*predictor_embed_dim=*/4, /*depth=*/1);
}

KeyShapes ModuleShapes(const torch::nn::Module& module) {
  KeyShapes shapes;
  for (const auto& [name, t] : ModuleStateDict(module)) shapes.emplace_back(name, t.sizes().vec());
  return shapes;
}

std::map<std::string, std::vector<int64_t>> AsMap(const KeyShapes& shapes) {
  return std::map<std::string, std::vector<int64_t>>(shapes.begin(), shapes.end());
}

// Checks that the k-th official state-dict entry (official order) holds Formula(first_k + k).
void ExpectFormulaValues(const torch::nn::Module& module, const KeyShapes& official_order, int64_t first_k) {
  std::map<std::string, torch::Tensor> values;
  for (const auto& [name, t] : ModuleStateDict(module)) values[name] = t;
  for (size_t k = 0; k < official_order.size(); ++k) {
    const std::string& name = official_order[k].first;
    ASSERT_EQ(values.count(name), 1u) << name;
    EXPECT_TRUE(at::equal(values[name], Formula(first_k + static_cast<int64_t>(k), values[name].sizes()))) << name;
  }
}

TEST(ModelCheckpointTest, LoadsTheTargetEncoderOfAnOfficialCheckpoint) {
  models::VisionTransformer encoder(TinyEncoderOptions());
  ASSERT_TRUE(LoadEncoder(kOfficialTiny, *encoder).ok());
  ExpectFormulaValues(*encoder, OfficialEncoderShapes(TinyEncoderOptions()), 200);
}

TEST(ModelCheckpointTest, LoadsTheContextEncoderAndPredictor) {
  models::VisionTransformer encoder(TinyEncoderOptions());
  const absl::Status s = LoadEncoder(kOfficialTiny, *encoder, EncoderSource::kEncoder, /*strict=*/true);
  ASSERT_TRUE(s.ok()) << s;
  ExpectFormulaValues(*encoder, OfficialEncoderShapes(TinyEncoderOptions()), 0);

  models::VisionTransformerPredictor predictor(TinyPredictorOptions());
  const absl::Status p = LoadPredictor(kOfficialTiny, *predictor);
  ASSERT_TRUE(p.ok()) << p;
  ExpectFormulaValues(*predictor, OfficialPredictorShapes(TinyPredictorOptions()), 100);
  // The loaded model runs: [B, N, D] features.
  c10::NoGradGuard no_grad;
  EXPECT_EQ(encoder->forward(at::zeros({1, 3, 8, 8})).sizes(), at::IntArrayRef({1, 4, 8}));
}

TEST(ModelCheckpointTest, ReportsAMismatchedModelByName) {
  models::VisionTransformerOptions wider = TinyEncoderOptions();
  wider.embed_dim = 12;
  wider.num_heads = 3;
  models::VisionTransformer encoder(wider);
  const absl::Status s = LoadEncoder(kOfficialTiny, *encoder);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("official_tiny.pth.tar: target_encoder: "), std::string::npos) << s;
  EXPECT_NE(s.message().find("pos_embed (checkpoint [1, 4, 8], model [1, 4, 12])"), std::string::npos) << s;

  models::VisionTransformerOptions deeper = TinyEncoderOptions();
  deeper.depth = 3;
  models::VisionTransformer deep(deeper);
  const absl::Status missing = LoadEncoder(kOfficialTiny, *deep);
  EXPECT_NE(missing.message().find("12 missing keys: blocks.2.norm1.weight"), std::string::npos) << missing;
  // Non-strict loads what is there.
  EXPECT_TRUE(LoadEncoder(kOfficialTiny, *deep, EncoderSource::kTargetEncoder, /*strict=*/false).ok());
}

TEST(ModelCheckpointTest, NamesAMissingSection) {
  c10::impl::GenericDict only(c10::StringType::get(), c10::AnyType::get());
  only.insert("epoch", int64_t{1});
  models::VisionTransformer encoder(TinyEncoderOptions());
  const absl::Status s = LoadEncoderFromCheckpoint(only, "x.pt", *encoder, EncoderSource::kTargetEncoder, true);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(s.message().find("x.pt: no 'target_encoder' state dict in the checkpoint (it has: epoch)"),
            std::string::npos)
      << s;
}

TEST(ModelCheckpointTest, OfficialShapesMatchTheModelsForSeveralSizes) {
  // The C++ models hold exactly the official keys and shapes; checked on small models of several
  // shapes so the big ones can be checked from options alone below.
  for (const auto& [img, patch, dim, depth, heads, mlp_ratio] :
       std::vector<std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, double>>{
           {8, 4, 8, 2, 2, 4.0}, {12, 3, 12, 1, 3, 48.0 / 11.0}, {16, 8, 16, 3, 4, 2.0}}) {
    models::VisionTransformerOptions o;
    o.img_size = img;
    o.patch_size = patch;
    o.embed_dim = dim;
    o.depth = depth;
    o.num_heads = heads;
    o.mlp_ratio = mlp_ratio;
    models::VisionTransformer encoder(o);
    EXPECT_EQ(ModuleShapes(*encoder), OfficialEncoderShapes(o)) << "dim " << dim;
    const models::PredictorOptions p = models::PredictorForEncoder(o, /*predictor_embed_dim=*/dim == 12 ? 12 : 4, depth);
    models::VisionTransformerPredictor predictor(p);
    EXPECT_EQ(AsMap(ModuleShapes(*predictor)), AsMap(OfficialPredictorShapes(p))) << "dim " << dim;
  }
}

TEST(ModelCheckpointTest, OfficialShapesMatchTheOfficialCheckpointsForEveryReleasedModel) {
  // testdata/official_shapes.txt: "model section key d0xd1..." written by
  // tools/make_checkpoint_fixtures.py from the official module structure.
  std::ifstream in("ijepa/checkpoint/testdata/official_shapes.txt");
  ASSERT_TRUE(in) << "missing official_shapes.txt";
  std::map<std::string, KeyShapes> python;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    ASSERT_EQ(f.size(), 4u) << line;
    std::vector<int64_t> shape;
    for (const auto& d : absl::StrSplit(f[3], 'x')) {
      int64_t v;
      ASSERT_TRUE(absl::SimpleAtoi(d, &v)) << line;
      shape.push_back(v);
    }
    python[f[0] + " " + f[1]].emplace_back(f[2], shape);
  }
  struct Released {
    const char* name;
    int64_t patch, img, pred_depth;
    const char* size;
  };
  for (const Released& r : {Released{"vit_huge14_224", 14, 224, 12, "vit_huge"},
                            Released{"vit_huge16_448", 16, 448, 12, "vit_huge"},
                            Released{"vit_giant16_224", 16, 224, 16, "vit_giant"}}) {
    auto options = models::NamedVisionTransformer(r.size, r.patch, r.img, 3);
    ASSERT_TRUE(options.ok()) << options.status();
    const models::PredictorOptions predictor = models::PredictorForEncoder(*options, 384, r.pred_depth);
    EXPECT_EQ(OfficialEncoderShapes(*options), python[std::string(r.name) + " encoder"]) << r.name;
    EXPECT_EQ(OfficialPredictorShapes(predictor), python[std::string(r.name) + " predictor"]) << r.name;
    int64_t count = 0;
    for (const auto& [key, shape] : OfficialEncoderShapes(*options)) {
      int64_t n = 1;
      for (int64_t s : shape) n *= s;
      count += n;
    }
    EXPECT_EQ(count, models::CountVisionTransformerParameters(*options)) << r.name;
  }
}

}  // namespace
}  // namespace ijepa::checkpoint
