#include "ijepa/checkpoint/convert.h"

#include <string>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "ijepa/checkpoint/torch_file.h"

namespace ijepa::checkpoint {
namespace {

const std::string kOfficialTiny = "ijepa/checkpoint/testdata/official_tiny.pth.tar";

// Deep equality of two IValue trees (dict order included; tensors by dtype, shape and values).
void ExpectSameTree(const c10::IValue& a, const c10::IValue& b, const std::string& path) {
  ASSERT_EQ(a.tagKind(), b.tagKind()) << path;
  if (a.isTensor()) {
    EXPECT_EQ(a.toTensor().scalar_type(), b.toTensor().scalar_type()) << path;
    EXPECT_TRUE(at::equal(a.toTensor(), b.toTensor())) << path;
  } else if (a.isGenericDict()) {
    const auto da = a.toGenericDict(), db = b.toGenericDict();
    ASSERT_EQ(da.size(), db.size()) << path;
    auto ib = db.begin();
    for (const auto& kv : da) {
      ASSERT_TRUE(kv.key() == ib->key()) << path << ": key " << kv.key() << " vs " << ib->key();
      ExpectSameTree(kv.value(), ib->value(), path + "/" + (kv.key().isString() ? kv.key().toStringRef() : "#"));
      ++ib;
    }
  } else if (a.isList()) {
    ASSERT_EQ(a.toListRef().size(), b.toListRef().size()) << path;
    for (size_t i = 0; i < a.toListRef().size(); ++i) {
      ExpectSameTree(a.toListRef()[i], b.toListRef()[i], path + "[" + std::to_string(i) + "]");
    }
  } else if (a.isTuple()) {
    const auto ea = a.toTupleRef().elements(), eb = b.toTupleRef().elements();
    ASSERT_EQ(ea.size(), eb.size()) << path;
    for (size_t i = 0; i < ea.size(); ++i) ExpectSameTree(ea[i], eb[i], path + "(" + std::to_string(i) + ")");
  } else {
    EXPECT_TRUE(a == b) << path << ": " << a << " vs " << b;
  }
}

TEST(ConvertTest, DetectsBothLayouts) {
  auto official = ReadTorchFile(kOfficialTiny);
  ASSERT_TRUE(official.ok()) << official.status();
  EXPECT_EQ(*DetectLayout(*official, "x"), CheckpointLayout::kOfficial);
  auto project = ConvertCheckpoint(*official, CheckpointLayout::kProject, "x");
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(*DetectLayout(project->value, "x"), CheckpointLayout::kProject);
  EXPECT_TRUE(project->dropped.empty());
  EXPECT_TRUE(project->value.toGenericDict().at("encoder").toGenericDict().contains("blocks.1.mlp.fc2.bias"));

  auto not_ijepa = DetectLayout(c10::IValue(int64_t{3}), "model.pt");
  EXPECT_NE(not_ijepa.status().message().find("model.pt: expected an I-JEPA checkpoint dict"), std::string::npos);
  c10::impl::GenericDict partial(c10::StringType::get(), c10::AnyType::get());
  partial.insert("encoder", c10::impl::GenericDict(c10::StringType::get(), c10::TensorType::get()));
  auto missing = DetectLayout(partial, "model.pt");
  EXPECT_NE(missing.status().message().find("no 'predictor' state dict"), std::string::npos) << missing.status();
}

TEST(ConvertTest, EachDirectionIsIdempotent) {
  auto official = ReadTorchFile(kOfficialTiny);
  ASSERT_TRUE(official.ok()) << official.status();
  // Official (or a multi-process trainer file, also prefixed) to official: one prefix, not two.
  auto again = ConvertCheckpoint(*official, CheckpointLayout::kOfficial, "x");
  ASSERT_TRUE(again.ok()) << again.status();
  ExpectSameTree(*official, again->value, "");
  auto project = ConvertCheckpoint(*official, CheckpointLayout::kProject, "x");
  ASSERT_TRUE(project.ok());
  auto project_again = ConvertCheckpoint(project->value, CheckpointLayout::kProject, "x");
  ASSERT_TRUE(project_again.ok());
  ExpectSameTree(project->value, project_again->value, "");
}

TEST(ConvertTest, OfficialToProjectAndBackIsLosslessThroughFiles) {
  auto official = ReadTorchFile(kOfficialTiny);
  ASSERT_TRUE(official.ok()) << official.status();
  const std::string dir = std::getenv("TEST_TMPDIR");
  auto project = ConvertCheckpoint(*official, CheckpointLayout::kProject, kOfficialTiny);
  ASSERT_TRUE(project.ok());
  // A project file carries extras; converting to official drops them and says so.
  c10::impl::GenericDict with_extras = project->value.toGenericDict().copy();
  with_extras.insert("itr", int64_t{5});
  with_extras.insert("config", std::string("meta { model_name: \"vit_tiny\" }"));
  ASSERT_TRUE(WriteTorchFile(dir + "/project.pt", with_extras).ok());
  auto project_read = ReadTorchFile(dir + "/project.pt");
  ASSERT_TRUE(project_read.ok()) << project_read.status();
  auto back = ConvertCheckpoint(*project_read, CheckpointLayout::kOfficial, "project.pt");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->dropped, (std::vector<std::string>{"itr", "config"}));
  ASSERT_TRUE(WriteTorchFile(dir + "/official.pth.tar", back->value).ok());
  auto official_again = ReadTorchFile(dir + "/official.pth.tar");
  ASSERT_TRUE(official_again.ok()) << official_again.status();
  ExpectSameTree(*official, *official_again, "");
}

}  // namespace
}  // namespace ijepa::checkpoint
