#include "ijepa/data/idx.h"

#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ijepa/data/cifar.h"
#include "ijepa/data/file_io.h"
#include "ijepa/data/test_util.h"

namespace ijepa::data {
namespace {

using ::testing::HasSubstr;
using testing::GzipBytes;
using testing::IdxBytes;
using testing::WriteFile;

std::string Bytes(std::initializer_list<int> values) {
  std::string s;
  for (int v : values) s.push_back(static_cast<char>(v));
  return s;
}

TEST(IdxTest, ParsesHeaderAndData) {
  const auto array = ParseIdx(IdxBytes({2, 2, 3}, std::string(12, 'x')), "mem", 3);
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_EQ(array->dims, (std::vector<int64_t>{2, 2, 3}));
  EXPECT_EQ(array->data.size(), 12u);
}

TEST(IdxTest, WrongMagicNamesPathAndExpectedMagic) {
  // An idx1 label file where images (idx3) are expected.
  const auto array = ParseIdx(IdxBytes({4}, "abcd"), "/data/train-images", 3);
  ASSERT_FALSE(array.ok());
  EXPECT_EQ(array.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(array.status().message(), HasSubstr("/data/train-images"));
  EXPECT_THAT(array.status().message(), HasSubstr("wrong IDX magic number 0x00000801, expected 0x00000803"));
}

TEST(IdxTest, TruncatedDataAndHeaderAreDataLoss) {
  auto data = ParseIdx(IdxBytes({3, 2, 2}, std::string(11, 'x')), "f.idx", 3);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(data.status().message(), HasSubstr("f.idx: truncated IDX data (11 bytes after the header, expected 12)"));
  auto header = ParseIdx(Bytes({0, 0, 8, 3, 0, 0}), "g.idx", 3);
  ASSERT_FALSE(header.ok());
  EXPECT_THAT(header.status().message(), HasSubstr("g.idx: truncated IDX header"));
  EXPECT_FALSE(ParseIdx("", "e", 1).ok());
}

TEST(IdxTest, OpensGzipAndRawFilesAndChecksCounts) {
  const std::string dir = testing::FreshTempDir("idx_open");
  std::string pixels;
  for (int i = 0; i < 3 * 2 * 2; ++i) pixels.push_back(static_cast<char>(i * 10));
  WriteFile(dir + "/images.gz", GzipBytes(IdxBytes({3, 2, 2}, pixels)));
  WriteFile(dir + "/labels", IdxBytes({3}, Bytes({4, 0, 9})));
  auto dataset = IdxDataset::Open(dir + "/images.gz", dir + "/labels");
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  EXPECT_EQ((*dataset)->size(), 3);
  EXPECT_EQ((*dataset)->num_classes(), 10);
  EXPECT_EQ((*dataset)->labels(), (std::vector<int64_t>{4, 0, 9}));
  auto example = (*dataset)->Load(1);
  ASSERT_TRUE(example.ok());
  EXPECT_EQ(example->image.height, 2);
  EXPECT_EQ(example->image.channels, 1);
  EXPECT_EQ(example->image.pixels, (std::vector<uint8_t>{40, 50, 60, 70}));
  EXPECT_EQ(example->label, 0);
  EXPECT_THAT(example->source, HasSubstr("images.gz:1"));
  EXPECT_FALSE((*dataset)->Load(3).ok());

  WriteFile(dir + "/labels2", IdxBytes({2}, Bytes({1, 2})));
  auto mismatch = IdxDataset::Open(dir + "/images.gz", dir + "/labels2");
  ASSERT_FALSE(mismatch.ok());
  EXPECT_THAT(mismatch.status().message(), HasSubstr("3 images but 2 labels"));
}

TEST(IdxTest, GzipStopsAtTheSizeTheHeaderDeclares) {
  // A gzip bomb: the header declares one 2x2 image (16 + 4 bytes) and 64 MiB of zeros follow,
  // about 64 KB compressed. It used to be inflated up to 4 GiB before ParseIdx refused it.
  const std::string dir = testing::FreshTempDir("idx_bomb");
  std::string raw = IdxBytes({1, 2, 2}, std::string(4, 'a'));
  raw.append(size_t{64} << 20, '\0');
  WriteFile(dir + "/images.gz", GzipBytes(raw));
  WriteFile(dir + "/labels", IdxBytes({1}, Bytes({3})));
  auto dataset = IdxDataset::Open(dir + "/images.gz", dir + "/labels");
  ASSERT_FALSE(dataset.ok());
  EXPECT_EQ(dataset.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(dataset.status().message(),
              HasSubstr(dir + "/images.gz: gzip data inflates to more than 20 bytes, the size its IDX header "
                              "declares (16 + 4 bytes)"));
  // The exact declared size still opens, and a damaged header is reported as before.
  WriteFile(dir + "/ok.gz", GzipBytes(IdxBytes({1, 2, 2}, std::string(4, 'a'))));
  EXPECT_TRUE(IdxDataset::Open(dir + "/ok.gz", dir + "/labels").ok());
  WriteFile(dir + "/bad.gz", GzipBytes(std::string(64, 'z')));
  auto bad = IdxDataset::Open(dir + "/bad.gz", dir + "/labels");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("wrong IDX magic number"));
}

TEST(IdxTest, TruncatedGzipIsDataLossNamingTheFile) {
  const std::string dir = testing::FreshTempDir("idx_gzip");
  const std::string gz = GzipBytes(IdxBytes({4, 8, 8}, std::string(256, 'a')));
  WriteFile(dir + "/cut.gz", gz.substr(0, gz.size() / 2));
  auto bytes = ReadMaybeGzipFile(dir + "/cut.gz");
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(bytes.status().message(), HasSubstr(dir + "/cut.gz: truncated gzip stream"));
  auto missing = ReadMaybeGzipFile(dir + "/nope");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr(dir + "/nope"));
}

TEST(IdxTest, ReadsDebianFashionMnistWhenInstalled) {
  const std::string root = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::exists(root + "/t10k-images-idx3-ubyte.gz")) GTEST_SKIP() << "no " << root;
  auto dataset = IdxDataset::Open(root + "/t10k-images-idx3-ubyte.gz", root + "/t10k-labels-idx1-ubyte.gz");
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  EXPECT_EQ((*dataset)->size(), 10000);
  EXPECT_EQ((*dataset)->num_classes(), 10);
  EXPECT_EQ((*dataset)->height(), 28);
  std::vector<int> per_class(10);
  for (int64_t label : (*dataset)->labels()) ++per_class[label];
  for (int count : per_class) EXPECT_EQ(count, 1000);  // the test set is balanced
}

TEST(CifarTest, ReadsPlanarRecordsAsHwc) {
  std::string record(1 + 3072, '\0');
  record[0] = 7;
  record[1 + 0] = 10;            // R of pixel 0
  record[1 + 1024] = 20;         // G of pixel 0
  record[1 + 2048 + 33] = 30;    // B of pixel (1, 1)
  auto dataset = CifarDataset::FromBytes(CifarKind::kCifar10, record + record, "mem.bin");
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  EXPECT_EQ((*dataset)->size(), 2);
  auto example = (*dataset)->Load(1);
  ASSERT_TRUE(example.ok());
  EXPECT_EQ(example->label, 7);
  EXPECT_EQ(example->image.at(0, 0, 0), 10);
  EXPECT_EQ(example->image.at(0, 0, 1), 20);
  EXPECT_EQ(example->image.at(1, 1, 2), 30);
}

TEST(CifarTest, Cifar100UsesFineLabelAndRejectsBadFiles) {
  std::string record(2 + 3072, '\0');
  record[0] = 3;
  record[1] = 42;
  auto dataset = CifarDataset::FromBytes(CifarKind::kCifar100, record, "c100.bin");
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  EXPECT_EQ((*dataset)->labels(), std::vector<int64_t>{42});
  EXPECT_EQ((*dataset)->num_classes(), 100);

  auto truncated = CifarDataset::FromBytes(CifarKind::kCifar100, record.substr(0, 3000), "c100.bin");
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(truncated.status().message(), HasSubstr("c100.bin: truncated CIFAR file"));
  record[1] = 100;
  auto bad_label = CifarDataset::FromBytes(CifarKind::kCifar100, record, "c100.bin");
  ASSERT_FALSE(bad_label.ok());
  EXPECT_THAT(bad_label.status().message(), HasSubstr("label 100, expected < 100"));
}

}  // namespace
}  // namespace ijepa::data
