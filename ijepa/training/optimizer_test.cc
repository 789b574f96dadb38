#include "ijepa/training/optimizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

namespace ijepa::training {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Miniature encoder / predictor with the kinds of parameters the real models have.
struct FakeEncoder : torch::nn::Module {
  FakeEncoder() {
    pos_embed = register_parameter("pos_embed", torch::zeros({1, 4, 8}), /*requires_grad=*/false);
    proj = register_module("proj", torch::nn::Linear(4, 8));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({8})));
  }
  torch::Tensor pos_embed;
  torch::nn::Linear proj{nullptr};
  torch::nn::LayerNorm norm{nullptr};
};

struct FakePredictor : torch::nn::Module {
  FakePredictor() {
    mask_token = register_parameter("mask_token", torch::zeros({1, 1, 8}));
    predictor_embed = register_module("predictor_embed", torch::nn::Linear(8, 8));
    bias_gain = register_parameter("bias_gain", torch::ones({2, 2}));  // "bias" in the name
  }
  torch::Tensor mask_token, bias_gain;
  torch::nn::Linear predictor_embed{nullptr};
};

TEST(PretrainOptimizerTest, OfficialGroupMembership) {
  FakeEncoder encoder;
  FakePredictor predictor;
  PretrainOptimizer opt(encoder, predictor);
  ASSERT_EQ(opt.groups().size(), 4u);
  // The frozen pos_embed counts, as in the official groups (named_parameters(), no filter).
  EXPECT_THAT(opt.groups()[0].param_names, ElementsAre("pos_embed", "proj.weight"));
  EXPECT_THAT(opt.groups()[1].param_names, ElementsAre("mask_token", "predictor_embed.weight"));
  EXPECT_THAT(opt.groups()[2].param_names, ElementsAre("proj.bias", "norm.weight", "norm.bias"));
  EXPECT_THAT(opt.groups()[3].param_names, ElementsAre("bias_gain", "predictor_embed.bias"));
  EXPECT_FALSE(opt.groups()[0].wd_exclude);
  EXPECT_FALSE(opt.groups()[1].wd_exclude);
  EXPECT_TRUE(opt.groups()[2].wd_exclude);
  EXPECT_TRUE(opt.groups()[3].wd_exclude);
  // The optimizer's groups hold exactly those tensors.
  const auto& groups = opt.adamw().param_groups();
  ASSERT_EQ(groups.size(), 4u);
  EXPECT_TRUE(groups[0].params()[0].is_same(encoder.pos_embed));
  EXPECT_TRUE(groups[0].params()[1].is_same(encoder.proj->weight));
  EXPECT_TRUE(groups[1].params()[0].is_same(predictor.mask_token));
  EXPECT_EQ(groups[2].params().size(), 3u);
}

TEST(PretrainOptimizerTest, ScheduleUpdateLeavesExcludedGroupsAtZeroDecay) {
  FakeEncoder encoder;
  FakePredictor predictor;
  PretrainOptimizer opt(encoder, predictor);
  opt.SetLrAndWeightDecay(0.125, 0.04);
  const auto& groups = opt.adamw().param_groups();
  for (size_t g = 0; g < 4; ++g) {
    const auto& o = static_cast<const torch::optim::AdamWOptions&>(groups[g].options());
    EXPECT_DOUBLE_EQ(o.lr(), 0.125);
    EXPECT_DOUBLE_EQ(o.weight_decay(), g < 2 ? 0.04 : 0.0);
  }
}

void FakeGradients(torch::nn::Module& module, double scale) {
  for (auto& p : module.parameters()) {
    if (p.requires_grad()) p.mutable_grad() = torch::full_like(p, scale) + p * 0.5;
  }
}

TEST(PretrainOptimizerTest, StateDictRoundTripContinuesBitwise) {
  torch::manual_seed(3);
  FakeEncoder enc_a, enc_b;
  FakePredictor pred_a, pred_b;
  {
    torch::NoGradGuard no_grad;
    for (auto [a, b] : {std::make_pair(&enc_a, &enc_b)}) {
      auto pa = a->parameters(), pb = b->parameters();
      for (size_t i = 0; i < pa.size(); ++i) pb[i].copy_(pa[i]);
    }
    auto pa = pred_a.parameters(), pb = pred_b.parameters();
    for (size_t i = 0; i < pa.size(); ++i) pb[i].copy_(pa[i]);
  }
  PretrainOptimizer opt_a(enc_a, pred_a);
  opt_a.SetLrAndWeightDecay(0.01, 0.05);
  FakeGradients(enc_a, 0.3);
  FakeGradients(pred_a, -0.2);
  opt_a.adamw().step();

  // Copy the state (and parameters) into a fresh optimizer over the second pair of modules.
  const c10::IValue saved = opt_a.StateDict();
  {
    torch::NoGradGuard no_grad;
    auto pa = enc_a.parameters(), pb = enc_b.parameters();
    for (size_t i = 0; i < pa.size(); ++i) pb[i].copy_(pa[i]);
    auto qa = pred_a.parameters(), qb = pred_b.parameters();
    for (size_t i = 0; i < qa.size(); ++i) qb[i].copy_(qa[i]);
  }
  PretrainOptimizer opt_b(enc_b, pred_b);
  ASSERT_TRUE(opt_b.LoadStateDict(saved).ok());
  const auto& ob = static_cast<const torch::optim::AdamWOptions&>(
      opt_b.adamw().param_groups()[0].options());
  EXPECT_DOUBLE_EQ(ob.lr(), 0.01);
  EXPECT_DOUBLE_EQ(ob.weight_decay(), 0.05);

  for (auto* opt : {&opt_a, &opt_b}) {
    auto& e = opt == &opt_a ? enc_a : enc_b;
    auto& p = opt == &opt_a ? pred_a : pred_b;
    FakeGradients(e, 0.1);
    FakeGradients(p, 0.4);
    opt->adamw().step();
  }
  auto pa = enc_a.parameters(), pb = enc_b.parameters();
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i])) << i;
  auto qa = pred_a.parameters(), qb = pred_b.parameters();
  for (size_t i = 0; i < qa.size(); ++i) EXPECT_TRUE(torch::equal(qa[i], qb[i])) << i;

  // Official layout: consecutive indices across groups (the frozen pos_embed is id 0 and has no
  // state), WD_exclude on groups 2 and 3.
  const auto dict = saved.toGenericDict();
  const auto groups = dict.at("param_groups").toList();
  EXPECT_EQ(groups.get(0).toGenericDict().at("params").toIntList().vec(),
            (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(groups.get(1).toGenericDict().at("params").toIntList().vec(),
            (std::vector<int64_t>{2, 3}));
  EXPECT_TRUE(groups.get(2).toGenericDict().contains("WD_exclude"));
  EXPECT_FALSE(groups.get(0).toGenericDict().contains("WD_exclude"));
  EXPECT_EQ(dict.at("state").toGenericDict().size(), 8u);
  EXPECT_FALSE(dict.at("state").toGenericDict().contains(0));
}

// The layout this project wrote before it matched the official groups: the frozen parameters
// left out of the groups and the numbering. It still loads, every moment on its parameter.
TEST(PretrainOptimizerTest, LoadsTheOlderLayoutWithoutFrozenParameters) {
  FakeEncoder encoder;
  FakePredictor predictor;
  PretrainOptimizer opt(encoder, predictor);
  FakeGradients(encoder, 0.3);
  FakeGradients(predictor, -0.2);
  opt.adamw().step();
  const c10::IValue official = opt.StateDict();
  // Drop id 0 (pos_embed, no state) and renumber: what the older writer produced.
  auto older_groups = c10::impl::GenericList(c10::AnyType::get());
  auto older_state = c10::impl::GenericDict(c10::IntType::get(), c10::AnyType::get());
  const auto official_state = official.toGenericDict().at("state").toGenericDict();
  int64_t next_id = 0;
  for (const c10::IValue& g : official.toGenericDict().at("param_groups").toList()) {
    auto group = g.toGenericDict().copy();
    c10::List<int64_t> ids;
    for (int64_t id : group.at("params").toIntList()) {
      if (id == 0) continue;
      older_state.insert(next_id, official_state.at(id));
      ids.push_back(next_id++);
    }
    group.insert_or_assign("params", ids);
    older_groups.push_back(group);
  }
  auto older = c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get());
  older.insert("state", older_state);
  older.insert("param_groups", older_groups);

  PretrainOptimizer loaded(encoder, predictor);
  ASSERT_TRUE(loaded.LoadStateDict(older).ok()) << loaded.LoadStateDict(older);
  const auto again = loaded.StateDict().toGenericDict().at("state").toGenericDict();
  ASSERT_EQ(again.size(), official_state.size());
  for (const auto& entry : official_state) {
    const auto a = entry.value().toGenericDict(), b = again.at(entry.key()).toGenericDict();
    EXPECT_TRUE(torch::equal(a.at("exp_avg").toTensor(), b.at("exp_avg").toTensor())) << entry.key();
    EXPECT_TRUE(torch::equal(a.at("exp_avg_sq").toTensor(), b.at("exp_avg_sq").toTensor()));
  }
}

TEST(PretrainOptimizerTest, LoadRejectsMismatchedState) {
  FakeEncoder encoder;
  FakePredictor predictor;
  PretrainOptimizer opt(encoder, predictor);
  EXPECT_THAT(std::string(opt.LoadStateDict(c10::IValue(3)).message()), HasSubstr("not a dict"));

  {
    c10::IValue extra = opt.StateDict();
    auto group0 = extra.toGenericDict().at("param_groups").toList().get(0).toGenericDict();
    group0.insert_or_assign("params", c10::List<int64_t>({0, 1, 99}));
    EXPECT_THAT(std::string(opt.LoadStateDict(extra).message()),
                HasSubstr("param_groups[0]: 3 parameters, expected 2 (encoder, official init_opt "
                          "membership) or 1 (the older layout without the frozen parameters)"));
  }

  c10::IValue good = opt.StateDict();
  auto dict = good.toGenericDict();
  auto groups = dict.at("param_groups").toList();
  groups.erase(groups.begin());
  EXPECT_THAT(std::string(opt.LoadStateDict(good).message()),
              HasSubstr("3 parameter groups, expected 4"));

  PretrainOptimizer fresh(encoder, predictor);
  c10::IValue state = fresh.StateDict();
  auto bad_state = c10::impl::GenericDict(c10::IntType::get(), c10::AnyType::get());
  auto entry = c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get());
  entry.insert("step", 1);
  entry.insert("exp_avg", torch::zeros({3}));
  entry.insert("exp_avg_sq", torch::zeros({3}));
  bad_state.insert(0, entry);
  state.toGenericDict().insert_or_assign("state", bad_state);
  EXPECT_THAT(std::string(fresh.LoadStateDict(state).message()),
              HasSubstr("state[0]: exp_avg / exp_avg_sq must be tensors of the parameter's shape [1, 4, 8]"));
}

}  // namespace
}  // namespace ijepa::training
