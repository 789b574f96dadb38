// Parity with the official PyTorch model definitions: the fixture written by
// tools/make_model_fixture.py holds random weights, inputs, masks and the reference outputs.
#include <gtest/gtest.h>
#include <torch/script.h>

#include <map>
#include <set>
#include <string>

#include "ijepa/models/predictor.h"
#include "ijepa/models/vision_transformer.h"

namespace ijepa::models {
namespace {

constexpr char kFixture[] = "ijepa/models/testdata/model_fixture.pt";
constexpr double kTolerance = 1e-5;

// Buffer "w__blocks__0__attn__qkv__weight" -> "w.blocks.0.attn.qkv.weight".
std::map<std::string, torch::Tensor> ReadFixture() {
  torch::jit::Module holder = torch::jit::load(kFixture);
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& buffer : holder.named_buffers()) {
    std::string name = buffer.name;
    for (size_t pos; (pos = name.find("__")) != std::string::npos;) name.replace(pos, 2, ".");
    tensors[name] = buffer.value;
  }
  return tensors;
}

class ModelParityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    t_ = ReadFixture();
    ASSERT_FALSE(t_.empty()) << kFixture;
    encoder_options_.img_size = Cfg("img_size");
    encoder_options_.patch_size = Cfg("patch_size");
    encoder_options_.in_chans = Cfg("in_chans");
    encoder_options_.embed_dim = Cfg("embed_dim");
    encoder_options_.depth = Cfg("depth");
    encoder_options_.num_heads = Cfg("num_heads");
    predictor_options_ = PredictorForEncoder(encoder_options_, Cfg("pred_embed_dim"),
                                             Cfg("pred_depth"));
    for (int64_t i = 0; i < Cfg("num_enc_masks"); ++i) {
      enc_masks_.push_back(T("in.enc_mask_" + std::to_string(i)));
    }
    for (int64_t i = 0; i < Cfg("num_pred_masks"); ++i) {
      pred_masks_.push_back(T("in.pred_mask_" + std::to_string(i)));
    }
  }

  int64_t Cfg(const std::string& name) { return T("cfg." + name).item<int64_t>(); }

  torch::Tensor T(const std::string& name) {
    auto it = t_.find(name);
    if (it == t_.end()) ADD_FAILURE() << "fixture has no tensor " << name;
    return it == t_.end() ? torch::Tensor() : it->second;
  }

  // Copies fixture tensors prefix + key into every parameter; every fixture weight with the
  // prefix must be used.
  void Load(torch::nn::Module& module, const std::string& prefix) {
    torch::NoGradGuard no_grad;
    std::set<std::string> used;
    for (auto& p : module.named_parameters()) {
      const torch::Tensor source = T(prefix + p.key());
      ASSERT_TRUE(source.defined());
      ASSERT_EQ(source.sizes(), p.value().sizes()) << p.key();
      p.value().copy_(source);
      used.insert(prefix + p.key());
    }
    for (const auto& [name, tensor] : t_) {
      const bool other_model = prefix == "w." && name.rfind("w.pred.", 0) == 0;
      if (name.rfind(prefix, 0) == 0 && !other_model) {
        EXPECT_EQ(used.count(name), 1u) << "fixture weight " << name << " has no parameter";
      }
    }
  }

  static void ExpectClose(const torch::Tensor& actual, const torch::Tensor& expected,
                          const std::string& what) {
    ASSERT_EQ(actual.sizes(), expected.sizes()) << what;
    const double diff = (actual - expected).abs().max().item<double>();
    EXPECT_LE(diff, kTolerance) << what << ": max abs difference " << diff;
  }

  std::map<std::string, torch::Tensor> t_;
  VisionTransformerOptions encoder_options_;
  PredictorOptions predictor_options_;
  std::vector<torch::Tensor> enc_masks_, pred_masks_;
};

TEST_F(ModelParityTest, FreshModelsHaveTheReferencePositionEmbeddings) {
  VisionTransformer encoder(encoder_options_);
  VisionTransformerPredictor predictor(predictor_options_);
  ExpectClose(encoder->pos_embed, T("w.pos_embed"), "pos_embed");
  ExpectClose(predictor->predictor_pos_embed, T("w.pred.predictor_pos_embed"),
              "predictor_pos_embed");
  EXPECT_LE((encoder->pos_embed - T("w.pos_embed")).abs().max().item<double>(), 1e-7);
}

TEST_F(ModelParityTest, EncoderMatchesReference) {
  VisionTransformer encoder(encoder_options_);
  Load(*encoder, "w.");
  encoder->eval();
  torch::NoGradGuard no_grad;
  ExpectClose(encoder->forward(T("in.images")), T("out.encoder_full"), "encoder, no masks");
  ExpectClose(encoder->forward(T("in.images"), enc_masks_), T("out.encoder_masked"),
              "encoder, context masks");
  ExpectClose(encoder->forward(T("in.images_interp")), T("out.encoder_interp"),
              "encoder, interpolated position embedding");
  const std::vector<torch::Tensor> last = encoder->ForwardLastBlocks(T("in.images"), Cfg("last_k"));
  ASSERT_EQ(static_cast<int64_t>(last.size()), Cfg("last_k"));
  for (size_t i = 0; i < last.size(); ++i) {
    ExpectClose(last[i], T("out.last_block_" + std::to_string(i)), "last block " + std::to_string(i));
  }
}

TEST_F(ModelParityTest, PredictorMatchesReference) {
  VisionTransformerPredictor predictor(predictor_options_);
  Load(*predictor, "w.pred.");
  predictor->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor out = predictor->forward(T("out.encoder_masked"), enc_masks_, pred_masks_);
  ExpectClose(out, T("out.predictor"), "predictor");
}

}  // namespace
}  // namespace ijepa::models
