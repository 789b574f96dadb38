#include "ijepa/checkpoint/safetensors.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ijepa::checkpoint {
namespace {

using ::testing::HasSubstr;

// A file from its JSON header (unpadded) and data bytes, built by hand so the reader is checked
// against the format, not against our writer.
std::string File(const std::string& header, const std::string& data = "") {
  std::string out;
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  return out + header + data;
}

std::string ErrorOf(const std::string& bytes) {
  absl::StatusOr<Safetensors> read = ParseSafetensors(bytes, "x.safetensors");
  EXPECT_FALSE(read.ok()) << "accepted: " << bytes.substr(8);
  return read.ok() ? "" : std::string(read.status().message());
}

std::string Floats(std::vector<float> values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
}

TEST(SafetensorsTest, ReadsAHandWrittenFile) {
  // Two tensors out of data order in the header, metadata, trailing padding spaces.
  const std::string bytes =
      File(R"({"b":{"dtype":"I16","shape":[2],"data_offsets":[8,12]},)"
           R"("__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}   )",
           Floats({1.5f, -2.0f}) + std::string("\x07\x00\xff\xff", 4));
  absl::StatusOr<Safetensors> read = ParseSafetensors(bytes, "x");
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->tensors.size(), 2u);
  EXPECT_EQ(read->tensors[0].first, "a");  // data order
  EXPECT_TRUE(at::equal(read->tensors[0].second, at::tensor({1.5f, -2.0f}).reshape({1, 2})));
  EXPECT_EQ(read->tensors[1].first, "b");
  EXPECT_EQ(read->tensors[1].second.scalar_type(), at::kShort);
  EXPECT_EQ(read->tensors[1].second[0].item<int>(), 7);
  EXPECT_EQ(read->tensors[1].second[1].item<int>(), -1);
  EXPECT_EQ(read->metadata, (std::map<std::string, std::string>{{"format", "pt"}}));
}

TEST(SafetensorsTest, WriterOutputIsTheFormat) {
  Safetensors in;
  in.tensors = {{"w", at::tensor({1.5f, -2.0f})}};
  in.metadata = {{"format", "pt"}};
  absl::StatusOr<std::string> bytes = SerializeSafetensors(in);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  const std::string header = R"({"__metadata__":{"format":"pt"},"w":{"data_offsets":[0,8],"dtype":"F32","shape":[2]}})";
  const std::string padded = header + std::string((8 - header.size() % 8) % 8, ' ');
  EXPECT_EQ(*bytes, File(padded, Floats({1.5f, -2.0f})));
  EXPECT_EQ((8 + padded.size()) % 8, 0u);
}

TEST(SafetensorsTest, RoundTripsEveryDtypeAndShape) {
  Safetensors in;
  const at::Tensor base = at::arange(24, at::kDouble).reshape({2, 3, 4}) - 11.5;
  for (at::ScalarType t : {at::kFloat, at::kDouble, at::kHalf, at::kBFloat16, at::kChar, at::kByte, at::kShort,
                           at::kInt, at::kLong}) {
    in.tensors.emplace_back(std::string("t_") + c10::toString(t), base.abs().to(t));
  }
  in.tensors.emplace_back("bool", base.gt(0));
  in.tensors.emplace_back("scalar", at::tensor(3.25f).reshape({}));
  in.tensors.emplace_back("empty", at::zeros({0, 5}));
  in.tensors.emplace_back("transposed", base.to(at::kFloat)[0].t());  // non-contiguous input
  const std::string path = ::testing::TempDir() + "/round_trip.safetensors";
  ASSERT_TRUE(WriteSafetensors(path, in).ok());
  absl::StatusOr<Safetensors> out = ReadSafetensors(path);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->tensors.size(), in.tensors.size());
  for (size_t i = 0; i < in.tensors.size(); ++i) {
    EXPECT_EQ(out->tensors[i].first, in.tensors[i].first);
    EXPECT_EQ(out->tensors[i].second.scalar_type(), in.tensors[i].second.scalar_type()) << in.tensors[i].first;
    EXPECT_TRUE(at::equal(out->tensors[i].second, in.tensors[i].second)) << in.tensors[i].first;
  }
  EXPECT_TRUE(out->metadata.empty());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(SafetensorsTest, WriterRefusesWhatTheFormatCannotHold) {
  Safetensors twice;
  twice.tensors = {{"a", at::zeros({1})}, {"a", at::zeros({1})}};
  EXPECT_THAT(std::string(SerializeSafetensors(twice).status().message()), HasSubstr("'a' given twice"));
  Safetensors reserved;
  reserved.tensors = {{"__metadata__", at::zeros({1})}};
  EXPECT_FALSE(SerializeSafetensors(reserved).ok());
  Safetensors complex;
  complex.tensors = {{"c", at::zeros({1}, at::kComplexFloat)}};
  EXPECT_THAT(std::string(SerializeSafetensors(complex).status().message()), HasSubstr("no safetensors code"));
}

const std::string kF32 = R"("dtype":"F32","shape":[2])";

TEST(SafetensorsTest, RefusesBrokenFramingNamingTheField) {
  EXPECT_THAT(ErrorOf("abc"), HasSubstr("shorter than the 8-byte header length"));
  EXPECT_THAT(ErrorOf(File("{}").substr(0, 8) + "{"), HasSubstr("header length 2 runs beyond the file"));
  std::string huge = File("{}");
  huge[4] = 1;  // 2^32 + 2 bytes
  EXPECT_THAT(ErrorOf(huge), HasSubstr("exceeds the limit of 100000000"));
  EXPECT_THAT(ErrorOf(File(R"({"a":)")), HasSubstr("x.safetensors: safetensors: header is not valid JSON"));
  EXPECT_THAT(ErrorOf(File("[1,2]")), HasSubstr("expected a JSON object, got array"));
}

TEST(SafetensorsTest, RefusesInconsistentTensorsNamingThem) {
  const std::string eight = Floats({1, 2});
  EXPECT_THAT(ErrorOf(File(R"({"w":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}})", eight)),
              HasSubstr("tensor 'w'.dtype: 'Q7' is unknown or not supported (supported: BOOL, U8"));
  EXPECT_THAT(ErrorOf(File(R"({"w":{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}})", eight)),
              HasSubstr("'F8_E4M3' is unknown or not supported"));
  EXPECT_THAT(ErrorOf(File(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", eight)),
              HasSubstr("tensor 'w': dtype F32 and shape [3] need 12 bytes, data_offsets give 8"));
  EXPECT_THAT(ErrorOf(File(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", eight)),
              HasSubstr("tensor 'w'.shape[0]: expected a non-negative integer, got -2"));
  EXPECT_THAT(ErrorOf(File(R"({"w":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", eight)),
              HasSubstr("shape[0]: expected a non-negative integer"));
  EXPECT_THAT(ErrorOf(File(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", eight)),
              HasSubstr("need more than 2^64 bytes"));
  EXPECT_THAT(ErrorOf(File(R"({"w":{"dtype":"F32","shape":[2]}})", eight)), HasSubstr("tensor 'w': no 'data_offsets'"));
  EXPECT_THAT(ErrorOf(File(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", eight)),
              HasSubstr("end 0 is before begin 8"));
  EXPECT_THAT(ErrorOf(File(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                           R"("v":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                           eight)),
              HasSubstr("overlap"));
  EXPECT_THAT(ErrorOf(File(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", eight)),
              HasSubstr("tensor 'w'.data_offsets begin at 4, expected 0 (the data area has a gap)"));
  EXPECT_THAT(ErrorOf(File(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", eight)),
              HasSubstr("end at 16, beyond the data area of 8 bytes"));
  EXPECT_THAT(ErrorOf(File(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", eight)),
              HasSubstr("the tensors cover 4 bytes of a data area of 8 (trailing bytes)"));
  EXPECT_THAT(ErrorOf(File(R"({"w":{)" + kF32 + R"(,"data_offsets":[0,8]},"w":{)" + kF32 +
                           R"(,"data_offsets":[0,8]}})", eight)),
              HasSubstr("header names 'w' twice"));
  EXPECT_THAT(ErrorOf(File(R"({"__metadata__":{"format":1}})")), HasSubstr("__metadata__['format']: expected a string"));
  EXPECT_THAT(ErrorOf(File(R"({"b":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})", std::string("\x01\x02", 2))),
              HasSubstr("tensor 'b' (BOOL) holds byte 2 at element 1"));
}

TEST(SafetensorsTest, ReadNamesTheFile) {
  const std::string dir = ::testing::TempDir();
  absl::StatusOr<Safetensors> read = ReadSafetensors(dir);
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(std::string(read.status().message()), HasSubstr("not a regular file"));
  const std::string path = dir + "/truncated.safetensors";
  Safetensors in;
  in.tensors = {{"w", at::ones({16})}};
  ASSERT_TRUE(WriteSafetensors(path, in).ok());
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 1);
  read = ReadSafetensors(path);
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(std::string(read.status().message()), HasSubstr(path + ": safetensors: tensor 'w'.data_offsets end at 64"));
}

// The seed corpus of the fuzz target comes from the reference writer (tools/make_hf_fixture.py
// --corpus): its valid files must read, and each broken copy must be refused. (fuzz_* files are
// what libFuzzer kept; the fuzz target replays them.)
TEST(SafetensorsTest, ReferenceWriterFilesReadAndTheirBrokenCopiesDoNot) {
  const std::string dir = "ijepa/checkpoint/testdata/safetensors_corpus";
  int valid = 0, broken = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    absl::StatusOr<Safetensors> read = ReadSafetensors(entry.path().string());
    if (name.rfind("valid_", 0) == 0) {
      ++valid;
      EXPECT_TRUE(read.ok()) << name << ": " << read.status();
    } else if (name.rfind("broken_", 0) == 0) {
      ++broken;
      EXPECT_FALSE(read.ok()) << name << " was accepted";
    }
  }
  EXPECT_EQ(valid, 3);
  EXPECT_EQ(broken, 9);
  absl::StatusOr<Safetensors> dtypes = ReadSafetensors(dir + "/valid_dtypes");
  ASSERT_TRUE(dtypes.ok());
  EXPECT_EQ(dtypes->tensors.size(), 10u);
  EXPECT_EQ(dtypes->metadata.at("format"), "pt");
  for (const auto& [name, t] : dtypes->tensors) {
    if (name == "b") continue;
    // (arange(12) - 5.5).abs() in every dtype (integers truncate .5 towards zero).
    const at::Tensor want = (at::arange(12, at::kDouble).reshape({3, 4}) - 5.5).abs().to(t.scalar_type());
    EXPECT_TRUE(at::equal(t, want)) << name;
  }
}

}  // namespace
}  // namespace ijepa::checkpoint
