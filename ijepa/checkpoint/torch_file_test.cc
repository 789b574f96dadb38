#include "ijepa/checkpoint/torch_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "ijepa/checkpoint/test_formula.h"

namespace ijepa::checkpoint {
namespace {

using ::ijepa::checkpoint::testing::Formula;
using ::ijepa::checkpoint::testing::IntFormula;

const std::string kTestData = "ijepa/checkpoint/testdata/";

c10::IValue Get(const c10::IValue& dict, const c10::IValue& key) {
  EXPECT_TRUE(dict.isGenericDict());
  const auto d = dict.toGenericDict();
  EXPECT_TRUE(d.contains(key)) << "missing key " << key;
  return d.contains(key) ? d.at(key) : c10::IValue();
}

// The official tiny encoder's state_dict keys and shapes, in PyTorch's order (own parameters,
// then children in registration order).
std::vector<std::pair<std::string, std::vector<int64_t>>> EncoderKeys() {
  std::vector<std::pair<std::string, std::vector<int64_t>>> keys = {
      {"pos_embed", {1, 4, 8}}, {"patch_embed.proj.weight", {8, 3, 4, 4}}, {"patch_embed.proj.bias", {8}}};
  for (int b = 0; b < 2; ++b) {
    const std::string p = "blocks." + std::to_string(b) + ".";
    keys.insert(keys.end(), {{p + "norm1.weight", {8}}, {p + "norm1.bias", {8}}, {p + "attn.qkv.weight", {24, 8}},
                             {p + "attn.qkv.bias", {24}}, {p + "attn.proj.weight", {8, 8}}, {p + "attn.proj.bias", {8}},
                             {p + "norm2.weight", {8}}, {p + "norm2.bias", {8}}, {p + "mlp.fc1.weight", {32, 8}},
                             {p + "mlp.fc1.bias", {32}}, {p + "mlp.fc2.weight", {8, 32}}, {p + "mlp.fc2.bias", {8}}});
  }
  keys.insert(keys.end(), {{"norm.weight", {8}}, {"norm.bias", {8}}});
  return keys;
}

// Every entry of a state dict read from the file: key order, "module." prefix, shape, values.
void ExpectStateDict(const c10::IValue& state, const std::vector<std::pair<std::string, std::vector<int64_t>>>& keys,
                     int64_t first_k) {
  ASSERT_TRUE(state.isGenericDict());
  const auto dict = state.toGenericDict();
  ASSERT_EQ(dict.size(), keys.size());
  int64_t k = 0;
  for (const auto& entry : dict) {
    const auto& [name, shape] = keys[k];
    EXPECT_EQ(entry.key().toStringRef(), "module." + name);
    ASSERT_TRUE(entry.value().isTensor()) << name;
    const at::Tensor t = entry.value().toTensor();
    EXPECT_EQ(t.sizes(), at::IntArrayRef(shape)) << name;
    EXPECT_EQ(t.scalar_type(), at::kFloat) << name;
    EXPECT_TRUE(at::equal(t, Formula(first_k + k, shape))) << name;
    ++k;
  }
}

TEST(ReadTorchFileTest, ReadsTheOfficialCheckpointLayout) {
  auto read = ReadTorchFile(kTestData + "official_tiny.pth.tar");
  ASSERT_TRUE(read.ok()) << read.status();
  const c10::IValue& ckpt = *read;
  EXPECT_EQ(Get(ckpt, "epoch").toInt(), 7);
  EXPECT_EQ(Get(ckpt, "loss").toDouble(), 0.125);
  EXPECT_EQ(Get(ckpt, "batch_size").toInt(), 16);
  EXPECT_EQ(Get(ckpt, "world_size").toInt(), 1);
  EXPECT_EQ(Get(ckpt, "lr").toDouble(), 0.001);
  EXPECT_TRUE(Get(ckpt, "scaler").isNone());
  ExpectStateDict(Get(ckpt, "encoder"), EncoderKeys(), 0);
  ExpectStateDict(Get(ckpt, "target_encoder"), EncoderKeys(), 200);
  std::vector<std::pair<std::string, std::vector<int64_t>>> predictor = {
      {"mask_token", {1, 1, 4}}, {"predictor_pos_embed", {1, 4, 4}}, {"predictor_embed.weight", {4, 8}},
      {"predictor_embed.bias", {4}}};
  const std::string p = "predictor_blocks.0.";
  predictor.insert(predictor.end(),
                   {{p + "norm1.weight", {4}}, {p + "norm1.bias", {4}}, {p + "attn.qkv.weight", {12, 4}},
                    {p + "attn.qkv.bias", {12}}, {p + "attn.proj.weight", {4, 4}}, {p + "attn.proj.bias", {4}},
                    {p + "norm2.weight", {4}}, {p + "norm2.bias", {4}}, {p + "mlp.fc1.weight", {16, 4}},
                    {p + "mlp.fc1.bias", {16}}, {p + "mlp.fc2.weight", {4, 16}}, {p + "mlp.fc2.bias", {4}},
                    {"predictor_norm.weight", {4}}, {"predictor_norm.bias", {4}}, {"predictor_proj.weight", {8, 4}},
                    {"predictor_proj.bias", {8}}});
  ExpectStateDict(Get(ckpt, "predictor"), predictor, 100);
}

TEST(ReadTorchFileTest, ReadsTheOptimizerStateWithIntKeys) {
  auto read = ReadTorchFile(kTestData + "official_tiny.pth.tar");
  ASSERT_TRUE(read.ok()) << read.status();
  const c10::IValue opt = Get(*read, "opt");
  const auto groups = Get(opt, "param_groups").toList();
  ASSERT_EQ(groups.size(), 4u);
  std::vector<int64_t> all_params;
  for (size_t g = 0; g < groups.size(); ++g) {
    const c10::IValue group = groups.get(g);
    for (const c10::IValue& p : Get(group, "params").toListRef()) all_params.push_back(p.toInt());
    EXPECT_EQ(Get(group, "lr").toDouble(), 0.001);
    const auto betas = Get(group, "betas").toTupleRef().elements();
    ASSERT_EQ(betas.size(), 2u);
    EXPECT_EQ(betas[0].toDouble(), 0.9);
    EXPECT_EQ(betas[1].toDouble(), 0.999);
    EXPECT_FALSE(Get(group, "amsgrad").toBool());
    if (g >= 2) {
      EXPECT_TRUE(Get(group, "WD_exclude").toBool());
      EXPECT_EQ(Get(group, "weight_decay").toInt(), 0);
    } else {
      EXPECT_EQ(Get(group, "weight_decay").toDouble(), 0.01);
    }
  }
  // 29 encoder + 20 predictor parameters, numbered in group order.
  ASSERT_EQ(all_params.size(), 49u);
  for (size_t i = 0; i < all_params.size(); ++i) EXPECT_EQ(all_params[i], static_cast<int64_t>(i));
  // Every trainable parameter has state (pos_embed and predictor_pos_embed do not).
  const auto state = Get(opt, "state").toGenericDict();
  EXPECT_EQ(state.size(), 47u);
  for (const auto& entry : state) {
    ASSERT_TRUE(entry.key().isInt());
    const int64_t p = entry.key().toInt();
    const at::Tensor exp_avg = Get(entry.value(), "exp_avg").toTensor();
    const at::Tensor exp_avg_sq = Get(entry.value(), "exp_avg_sq").toTensor();
    EXPECT_TRUE(at::equal(exp_avg, Formula(1000 + 2 * p, exp_avg.sizes()))) << p;
    EXPECT_TRUE(at::equal(exp_avg_sq, Formula(1001 + 2 * p, exp_avg_sq.sizes()))) << p;
    EXPECT_EQ(Get(entry.value(), "step").toTensor().item<double>(), p + 1) << p;
  }
}

TEST(ReadTorchFileTest, ReadsDtypesViewsAndSharedStorages) {
  auto read = ReadTorchFile(kTestData + "tensors.pt");
  ASSERT_TRUE(read.ok()) << read.status();
  auto tensor = [&](const char* name) { return Get(*read, name).toTensor(); };
  const at::Tensor base = Formula(0, {4, 6});
  EXPECT_TRUE(at::equal(tensor("base"), base));

  const at::Tensor transposed = tensor("transposed");
  EXPECT_TRUE(at::equal(transposed, base.t()));
  EXPECT_EQ(transposed.strides(), at::IntArrayRef({1, 6}));
  EXPECT_FALSE(transposed.is_contiguous());
  EXPECT_TRUE(transposed.storage().is_alias_of(tensor("base").storage()));

  EXPECT_TRUE(at::equal(tensor("row"), base[2]));
  EXPECT_EQ(tensor("row").storage_offset(), 12);
  EXPECT_TRUE(tensor("row").storage().is_alias_of(tensor("base").storage()));
  const at::Tensor strided = tensor("strided");
  EXPECT_TRUE(at::equal(strided, base.slice(0, 1).slice(1, 0, 6, 2)));
  EXPECT_EQ(strided.storage_offset(), 6);
  EXPECT_EQ(strided.strides(), at::IntArrayRef({6, 2}));

  const at::Tensor expanded = tensor("expanded");
  EXPECT_EQ(expanded.strides(), at::IntArrayRef({0, 1}));
  EXPECT_TRUE(at::equal(expanded, Formula(2, {3}).expand({2, 3})));

  const at::Tensor shared = Formula(1, {10});
  EXPECT_TRUE(at::equal(tensor("shared_a"), shared.slice(0, 2, 5)));
  EXPECT_TRUE(at::equal(tensor("shared_b"), shared.view({2, 5})));
  EXPECT_TRUE(tensor("shared_a").storage().is_alias_of(tensor("shared_b").storage()));
  // Writing through one view is seen through the other: one storage, as in Python.
  tensor("shared_b").view(-1)[3].fill_(99);
  EXPECT_EQ(tensor("shared_a")[1].item<float>(), 99.0f);

  EXPECT_EQ(tensor("half").scalar_type(), at::kHalf);
  EXPECT_TRUE(at::equal(tensor("half"), Formula(3, {2, 3}, at::kHalf)));
  EXPECT_EQ(tensor("bfloat16").scalar_type(), at::kBFloat16);
  EXPECT_TRUE(at::equal(tensor("bfloat16"), Formula(4, {3, 2}, at::kBFloat16)));
  EXPECT_EQ(tensor("double").scalar_type(), at::kDouble);
  EXPECT_TRUE(at::equal(tensor("double"), Formula(5, {5}, at::kDouble)));
  EXPECT_TRUE(at::equal(tensor("half_t"), Formula(6, {2, 3}, at::kHalf).t()));
  EXPECT_TRUE(at::equal(tensor("int64"), IntFormula(7, {3, 2}, at::kLong, 1000) - 500));
  EXPECT_TRUE(at::equal(tensor("int32"), IntFormula(8, {4}, at::kInt, 1000) - 500));
  EXPECT_TRUE(at::equal(tensor("int16"), IntFormula(9, {4}, at::kShort, 1000) - 500));
  EXPECT_TRUE(at::equal(tensor("int8"), IntFormula(10, {4}, at::kChar, 97) - 48));
  EXPECT_TRUE(at::equal(tensor("uint8"), IntFormula(11, {4}, at::kByte, 251)));
  EXPECT_TRUE(at::equal(tensor("bool"), IntFormula(12, {5}, at::kLong, 2).to(at::kBool)));
  EXPECT_EQ(tensor("scalar").dim(), 0);
  EXPECT_EQ(tensor("scalar").item<float>(), 2.5f);
  EXPECT_EQ(tensor("empty").sizes(), at::IntArrayRef({0, 3}));
  EXPECT_TRUE(at::equal(tensor("parameter"), Formula(13, {2, 2})));
  EXPECT_TRUE(tensor("parameter").requires_grad());

  const c10::IValue meta = Get(*read, "meta");
  const std::vector<int64_t> ints = {1, -2, 300, -70000, int64_t{1} << 40, -(int64_t{1} << 62)};
  std::vector<int64_t> read_ints;
  for (const c10::IValue& v : Get(meta, "ints").toListRef()) read_ints.push_back(v.toInt());
  EXPECT_EQ(read_ints, ints);
  EXPECT_EQ(Get(meta, "float").toDouble(), -0.375);
  const auto flags = Get(meta, "flags").toTupleRef().elements();
  ASSERT_EQ(flags.size(), 3u);
  EXPECT_TRUE(flags[0].toBool());
  EXPECT_FALSE(flags[1].toBool());
  EXPECT_TRUE(flags[2].isNone());
  EXPECT_EQ(Get(meta, "text").toStringRef(), "h\xc3\xa9llo");
  EXPECT_EQ(Get(meta, int64_t{7}).toStringRef(), "int key");
}

TEST(ReadTorchFileTest, RefusesToRunCode) {
  const char* marker = "/tmp/ijepa_hostile_ran";
  std::remove(marker);
  auto system = ReadTorchFile(kTestData + "hostile_os_system.pt");
  ASSERT_FALSE(system.ok());
  EXPECT_EQ(system.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(system.status().message().find("'posix.system'"), std::string::npos) << system.status();
  EXPECT_NE(system.status().message().find("hostile_os_system.pt"), std::string::npos) << system.status();
  EXPECT_FALSE(std::filesystem::exists(marker));

  auto eval = ReadTorchFile(kTestData + "hostile_eval.pt");
  ASSERT_FALSE(eval.ok());
  EXPECT_NE(eval.status().message().find("'__builtin__.eval'"), std::string::npos) << eval.status();
}

TEST(ReadTorchFileTest, RejectsDamagedFiles) {
  for (const char* name : {"truncated.pth.tar", "bitflip_data.pth.tar", "bitflip_pickle.pth.tar"}) {
    auto read = ReadTorchFile(kTestData + name);
    ASSERT_FALSE(read.ok()) << name;
    EXPECT_NE(read.status().message().find(name), std::string::npos) << read.status();
  }
  auto truncated = ReadTorchFile(kTestData + "truncated.pth.tar");
  EXPECT_EQ(truncated.status().code(), absl::StatusCode::kDataLoss) << truncated.status();
}

TEST(ReadTorchFileTest, RejectsLegacyAndForeignFiles) {
  auto legacy = ReadTorchFile(kTestData + "legacy.pt");
  ASSERT_FALSE(legacy.ok());
  EXPECT_EQ(legacy.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(legacy.status().message().find("unsupported legacy format"), std::string::npos) << legacy.status();

  auto big_endian = ReadTorchFile(kTestData + "big_endian.pt");
  EXPECT_EQ(big_endian.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(big_endian.status().message().find("byte order 'big'"), std::string::npos) << big_endian.status();

  auto missing = ReadTorchFile(kTestData + "no_such_file.pt");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("no_such_file.pt"), std::string::npos);

  auto empty = ReadTorchBytes("", "empty.pt");
  EXPECT_NE(empty.status().message().find("empty file"), std::string::npos) << empty.status();
  auto text = ReadTorchBytes("encoder: 1\n", "config.yaml");
  EXPECT_NE(text.status().message().find("not a PyTorch checkpoint"), std::string::npos) << text.status();
  // A zip signature and nothing else.
  auto stub = ReadTorchBytes(std::string("PK\x03\x04", 4) + std::string(40, '\0'), "stub.zip");
  EXPECT_EQ(stub.status().code(), absl::StatusCode::kDataLoss) << stub.status();
}

TEST(ReadTorchFileTest, EveryPrefixOfAValidFileIsAnErrorNotACrash) {
  std::ifstream in(kTestData + "tensors.pt", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 1000u);
  for (size_t n = 0; n < bytes.size(); n += 37) {
    EXPECT_FALSE(ReadTorchBytes(std::string_view(bytes).substr(0, n), "prefix").ok()) << n;
  }
  EXPECT_TRUE(ReadTorchBytes(bytes, "whole").ok());
}

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

TEST(WriteTorchFileTest, RoundTripsThroughTheReader) {
  const at::Tensor base = Formula(0, {4, 6});
  c10::impl::GenericDict state(c10::StringType::get(), c10::TensorType::get());
  state.insert("weight", base);
  state.insert("weight_t", base.t());
  state.insert("row", base[1]);
  state.insert("half", Formula(1, {3}, at::kHalf));
  state.insert("bf16", Formula(2, {2, 2}, at::kBFloat16));
  c10::impl::GenericDict opt(c10::IntType::get(), c10::AnyType::get());
  opt.insert(int64_t{3}, c10::IValue(std::string("three")));
  c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
  root.insert("encoder", state);
  root.insert("opt", opt);
  root.insert("epoch", int64_t{12});
  root.insert("lr", 2.5e-4);
  root.insert("scaler", c10::IValue());
  root.insert("betas", c10::ivalue::Tuple::create({c10::IValue(0.9), c10::IValue(0.999)}));
  root.insert("config", std::string("data { batch_size: 4 }\n"));

  const std::string path = TempDir() + "/round_trip.pt";
  ASSERT_TRUE(WriteTorchFile(path, root).ok());
  auto read = ReadTorchFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  const c10::IValue enc = Get(*read, "encoder");
  EXPECT_TRUE(at::equal(Get(enc, "weight").toTensor(), base));
  EXPECT_TRUE(at::equal(Get(enc, "weight_t").toTensor(), base.t()));
  EXPECT_TRUE(Get(enc, "weight_t").toTensor().storage().is_alias_of(Get(enc, "weight").toTensor().storage()));
  EXPECT_TRUE(at::equal(Get(enc, "row").toTensor(), base[1]));
  EXPECT_TRUE(at::equal(Get(enc, "half").toTensor(), Formula(1, {3}, at::kHalf)));
  EXPECT_TRUE(at::equal(Get(enc, "bf16").toTensor(), Formula(2, {2, 2}, at::kBFloat16)));
  EXPECT_EQ(Get(Get(*read, "opt"), int64_t{3}).toStringRef(), "three");
  EXPECT_EQ(Get(*read, "epoch").toInt(), 12);
  EXPECT_EQ(Get(*read, "lr").toDouble(), 2.5e-4);
  EXPECT_TRUE(Get(*read, "scaler").isNone());
  EXPECT_EQ(Get(*read, "betas").toTupleRef().elements()[1].toDouble(), 0.999);
  EXPECT_EQ(Get(*read, "config").toStringRef(), "data { batch_size: 4 }\n");
}

TEST(WriteTorchFileTest, ReplacesAtomicallyAndLeavesNoTemporaryFiles) {
  const std::string dir = TempDir() + "/atomic";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/ckpt.pt";
  ASSERT_TRUE(WriteTorchFile(path, c10::IValue(int64_t{1})).ok());
  ASSERT_TRUE(WriteTorchFile(path, c10::IValue(int64_t{2})).ok());
  auto read = ReadTorchFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->toInt(), 2);
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    ++files;
    EXPECT_EQ(entry.path().filename(), "ckpt.pt");
  }
  EXPECT_EQ(files, 1);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST(WriteTorchFileTest, ReportsAnUnwritableFolder) {
  const absl::Status s = WriteTorchFile(TempDir() + "/no/such/folder/ckpt.pt", c10::IValue(int64_t{1}));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no/such/folder/ckpt.pt"), std::string::npos) << s;
}

}  // namespace
}  // namespace ijepa::checkpoint
