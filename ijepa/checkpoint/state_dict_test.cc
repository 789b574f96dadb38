#include "ijepa/checkpoint/state_dict.h"

#include <limits>
#include <string>

#include <gtest/gtest.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

namespace ijepa::checkpoint {
namespace {

struct TinyImpl : torch::nn::Module {
  TinyImpl() {
    fc = register_module("fc", torch::nn::Linear(3, 2));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({2})));
    pos_embed = register_buffer("pos_embed", torch::zeros({1, 2}));
  }
  torch::nn::Linear fc{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::Tensor pos_embed;
};

std::vector<std::string> Names(const StateDict& state) {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : state) names.push_back(name);
  return names;
}

StateDict FullState(float value) {
  return {{"fc.weight", torch::full({2, 3}, value)},
          {"fc.bias", torch::full({2}, value)},
          {"norm.weight", torch::full({2}, value)},
          {"norm.bias", torch::full({2}, value)},
          {"pos_embed", torch::full({1, 2}, value)}};
}

TEST(StateDictTest, ModuleStateDictListsParametersThenBuffers) {
  TinyImpl tiny;
  EXPECT_EQ(Names(ModuleStateDict(tiny)),
            (std::vector<std::string>{"fc.weight", "fc.bias", "norm.weight", "norm.bias", "pos_embed"}));
}

TEST(StateDictTest, FromIValueStripsTheDdpPrefixAndKeepsOrder) {
  c10::IValue dict = StateDictToIValue(FullState(1.0f), "module.");
  EXPECT_TRUE(dict.toGenericDict().contains("module.fc.weight"));
  auto state = StateDictFromIValue(dict, "ckpt: encoder");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(Names(*state), Names(FullState(1.0f)));

  c10::impl::GenericDict bad(c10::StringType::get(), c10::AnyType::get());
  bad.insert("module.fc.weight", torch::ones({1}));
  bad.insert("fc.weight", torch::ones({1}));
  auto twice = StateDictFromIValue(bad, "ckpt: encoder");
  EXPECT_NE(twice.status().message().find("'fc.weight' appears twice"), std::string::npos) << twice.status();

  c10::impl::GenericDict not_tensor(c10::StringType::get(), c10::AnyType::get());
  not_tensor.insert("epoch", int64_t{3});
  auto wrong = StateDictFromIValue(not_tensor, "ckpt: encoder");
  EXPECT_NE(wrong.status().message().find("ckpt: encoder: entry 'epoch' is a Int, expected a tensor"),
            std::string::npos)
      << wrong.status();
  EXPECT_FALSE(StateDictFromIValue(c10::IValue(int64_t{1}), "x").ok());
}

TEST(StateDictTest, LoadCopiesValuesAndConvertsFloatTypes) {
  TinyImpl tiny;
  StateDict state = FullState(0.5f);
  state[0].second = state[0].second.to(torch::kHalf);  // fp16 checkpoint into an fp32 model
  ASSERT_TRUE(LoadStateDict(tiny, state, /*strict=*/true).ok());
  EXPECT_TRUE(torch::equal(tiny.fc->weight, torch::full({2, 3}, 0.5f)));
  EXPECT_TRUE(torch::equal(tiny.pos_embed, torch::full({1, 2}, 0.5f)));
  EXPECT_EQ(tiny.fc->weight.scalar_type(), torch::kFloat);
}

TEST(StateDictTest, StrictLoadNamesMissingAndUnexpectedKeys) {
  TinyImpl tiny;
  StateDict state = FullState(2.0f);
  state.erase(state.begin() + 1);                        // fc.bias missing
  state.emplace_back("head.weight", torch::ones({1}));   // unexpected
  const absl::Status s = LoadStateDict(tiny, state, /*strict=*/true);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("1 missing keys: fc.bias"), std::string::npos) << s;
  EXPECT_NE(s.message().find("1 unexpected keys: head.weight"), std::string::npos) << s;
  // Nothing was copied.
  EXPECT_FALSE(torch::equal(tiny.norm->weight, torch::full({2}, 2.0f)));
  // Non-strict: the present keys load.
  ASSERT_TRUE(LoadStateDict(tiny, state, /*strict=*/false).ok());
  EXPECT_TRUE(torch::equal(tiny.norm->weight, torch::full({2}, 2.0f)));
}

TEST(StateDictTest, NonFiniteTensorsAreReportedByName) {
  TinyImpl tiny;
  StateDict state = FullState(3.0f);
  state[0].second[1][2] = std::numeric_limits<float>::quiet_NaN();  // fc.weight
  state[2].second[0] = std::numeric_limits<float>::infinity();     // norm.weight
  for (bool strict : {true, false}) {
    const absl::Status s = LoadStateDict(tiny, state, strict);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("non-finite values (NaN or inf) in 2 tensors: fc.weight (1 of 6 values), "
                               "norm.weight (1 of 2 values)"),
              std::string::npos)
        << s;
  }
  EXPECT_FALSE(torch::equal(tiny.fc->bias, torch::full({2}, 3.0f)));  // nothing was copied
}

TEST(StateDictTest, ShapeMismatchIsAnErrorEvenWhenNotStrict) {
  TinyImpl tiny;
  StateDict state = FullState(1.0f);
  state[0].second = torch::ones({3, 2});
  state[4].second = torch::ones({2}, torch::kLong);
  for (bool strict : {true, false}) {
    const absl::Status s = LoadStateDict(tiny, state, strict);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("fc.weight (checkpoint [3, 2], model [2, 3])"), std::string::npos) << s;
    EXPECT_NE(s.message().find("pos_embed (checkpoint [2], model [1, 2])"), std::string::npos) << s;
  }
  StateDict ints = FullState(1.0f);
  ints[1].second = torch::ones({2}, torch::kLong);
  const absl::Status s = LoadStateDict(tiny, ints, true);
  EXPECT_NE(s.message().find("fc.bias (checkpoint dtype Long, model dtype Float)"), std::string::npos) << s;
}

}  // namespace
}  // namespace ijepa::checkpoint
