#include "ijepa/models/model_config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "google/protobuf/text_format.h"
#include "ijepa/models/model_options.h"

namespace ijepa::models {
namespace {

ModelConfig Parse(const std::string& text) {
  ModelConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config)) << text;
  return config;
}

// Official sizes (src/models/vision_transformer.py) and state_dict scalar counts, the latter
// counted from Python re-implementations of the official modules (tools/make_model_fixture.py
// classes, torch 1.13). The position embedding is a (non-trainable) parameter in the official
// state_dict; ViT-B/16 at 224 is the familiar 85.8M.
struct OfficialSize {
  const char* name;
  int64_t patch, img, width, depth, heads, mlp_hidden, params, trainable, predictor_12x384;
};
constexpr OfficialSize kOfficial[] = {
    {"vit_tiny", 16, 224, 192, 12, 3, 768, 5524032, 5486400, 21518016},
    {"vit_small", 16, 224, 384, 12, 6, 1536, 21664896, 21589632, 21665664},
    {"vit_base", 16, 224, 768, 12, 12, 3072, 85797120, 85646592, 21960960},
    {"vit_large", 16, 224, 1024, 24, 16, 4096, 303299584, 303098880, 22157824},
    {"vit_huge", 14, 224, 1280, 32, 16, 5120, 630762240, 630434560, 22377728},
    {"vit_huge", 16, 448, 1280, 32, 16, 5120, 631668480, 630664960, 22580480},
    {"vit_giant", 16, 224, 1408, 40, 16, 6144, 1011368576, 1011092608, 22453120},
    {"vit_giant", 14, 224, 1408, 40, 16, 6144, 1011199616, 1010839168, 22476160},
};

TEST(NamedVisionTransformerTest, EveryOfficialSizeHasOfficialShapeAndParameterCount) {
  for (const OfficialSize& s : kOfficial) {
    SCOPED_TRACE(std::string(s.name) + "/" + std::to_string(s.patch) + "@" + std::to_string(s.img));
    absl::StatusOr<VisionTransformerOptions> o = NamedVisionTransformer(s.name, s.patch, s.img, 3);
    ASSERT_TRUE(o.ok()) << o.status();
    EXPECT_EQ(o->embed_dim, s.width);
    EXPECT_EQ(o->depth, s.depth);
    EXPECT_EQ(o->num_heads, s.heads);
    EXPECT_EQ(MlpHiddenDim(o->embed_dim, o->mlp_ratio), s.mlp_hidden);
    EXPECT_TRUE(o->qkv_bias);
    EXPECT_EQ(CountVisionTransformerParameters(*o), s.params);
    const int64_t grid = s.img / s.patch;
    EXPECT_EQ(CountVisionTransformerParameters(*o) - grid * grid * s.width, s.trainable);
    EXPECT_EQ(CountPredictorParameters(PredictorForEncoder(*o, 384, 12)), s.predictor_12x384);
  }
}

TEST(NamedVisionTransformerTest, UnknownNameListsTheKnownOnes) {
  absl::StatusOr<VisionTransformerOptions> o = NamedVisionTransformer("vit_medium", 16, 224, 3);
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("vit_medium"), std::string::npos);
  EXPECT_NE(o.status().message().find("vit_giant"), std::string::npos);
}

TEST(NamedModelsTest, TheSixOfficialNamesSmallestFirstEachBuildable) {
  const std::vector<std::string> names = NamedModels();
  EXPECT_EQ(names, (std::vector<std::string>{"vit_tiny", "vit_small", "vit_base", "vit_large",
                                             "vit_huge", "vit_giant"}));
  int64_t previous_width = 0;
  for (const std::string& name : names) {
    absl::StatusOr<VisionTransformerOptions> o = NamedVisionTransformer(name, 16, 224, 3);
    ASSERT_TRUE(o.ok()) << name << ": " << o.status();
    EXPECT_GT(o->embed_dim, previous_width) << name;
    previous_width = o->embed_dim;
  }
}

TEST(NamedVisionTransformerTest, RejectsImageNotMultipleOfPatch) {
  absl::StatusOr<VisionTransformerOptions> o = NamedVisionTransformer("vit_tiny", 16, 100, 3);
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("img_size"), std::string::npos) << o.status();
}

TEST(ModelConfigTest, DefaultsAreTheOfficialViTBase) {
  absl::StatusOr<VisionTransformerOptions> encoder = EncoderOptionsFromConfig(ModelConfig());
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  EXPECT_EQ(encoder->embed_dim, 768);
  EXPECT_EQ(encoder->img_size, 224);
  EXPECT_EQ(encoder->patch_size, 16);
  absl::StatusOr<PredictorOptions> predictor = PredictorOptionsFromConfig(ModelConfig());
  ASSERT_TRUE(predictor.ok()) << predictor.status();
  EXPECT_EQ(predictor->grid_h, 14);
  EXPECT_EQ(predictor->grid_w, 14);
  EXPECT_EQ(predictor->embed_dim, 768);
  EXPECT_EQ(predictor->predictor_embed_dim, 384);
  EXPECT_EQ(predictor->depth, 6);
  EXPECT_EQ(predictor->num_heads, 12);
}

TEST(ModelConfigTest, GreyFashionMnistConfig) {
  const ModelConfig config = Parse(R"pb(
    model_name: "vit_tiny" patch_size: 4 crop_size: 28 in_chans: 1
    pred_depth: 2 pred_emb_dim: 96 drop_path_rate: 0.1
  )pb");
  absl::StatusOr<VisionTransformerOptions> encoder = EncoderOptionsFromConfig(config);
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  EXPECT_EQ(encoder->in_chans, 1);
  EXPECT_EQ(encoder->img_size / encoder->patch_size, 7);
  EXPECT_DOUBLE_EQ(encoder->drop_path_rate, 0.1);
  absl::StatusOr<PredictorOptions> predictor = PredictorOptionsFromConfig(config);
  ASSERT_TRUE(predictor.ok()) << predictor.status();
  EXPECT_EQ(predictor->grid_h, 7);
  EXPECT_EQ(predictor->num_heads, 3);
  EXPECT_EQ(predictor->predictor_embed_dim, 96);
}

TEST(ModelConfigTest, ErrorsNameTheField) {
  struct Case {
    const char* text;
    const char* field;
  };
  for (const Case& c : {Case{"in_chans: 2", "in_chans"}, Case{"crop_size: 100", "crop_size"},
                        Case{"patch_size: 0", "patch_size"}, Case{"model_name: \"vit_x\"", "vit_x"},
                        Case{"pred_emb_dim: 100", "pred_emb_dim"},
                        Case{"pred_depth: 0", "pred_depth"},
                        Case{"drop_path_rate: 1.5", "drop_path_rate"},
                        Case{"pred_drop_path_rate: -0.1", "pred_drop_path_rate"}}) {
    const ModelConfig config = Parse(c.text);
    absl::Status status = PredictorOptionsFromConfig(config).status();
    ASSERT_FALSE(status.ok()) << c.text;
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find(c.field), std::string::npos) << c.text << " -> " << status;
    EXPECT_NE(status.message().find("ModelConfig."), std::string::npos) << status;
  }
}

}  // namespace
}  // namespace ijepa::models
