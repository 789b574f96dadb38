#include "ijepa/common/event_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "ijepa/common/event_file_reader.h"

namespace ijepa::common {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string TestDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const fs::path dir = fs::path(tmp != nullptr ? tmp : "/tmp") / name;
  fs::remove_all(dir);
  return dir.string();
}

TEST(Crc32cTest, MatchesTheStandardCheckValues) {
  // The catalogue check value of CRC-32C and RFC 3720's (iSCSI) test vectors.
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(""), 0u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43u);
}

TEST(Crc32cTest, MaskIsTensorFlows) {
  // crc32c::Mask of tensorflow/core/lib/hash/crc32c.h, computed by hand from the check value.
  const uint32_t crc = 0xE3069283u;
  EXPECT_EQ(MaskedCrc32c("123456789"), ((crc >> 15) | (crc << 17)) + 0xa282ead8u);
}

TEST(TfRecordTest, FramesLengthDataAndCrcs) {
  const std::string r = TfRecord("abc");
  ASSERT_EQ(r.size(), 8u + 4 + 3 + 4);
  EXPECT_EQ(r.substr(0, 8), std::string("\x03\0\0\0\0\0\0\0", 8));
  EXPECT_EQ(r.substr(12, 3), "abc");
  const uint32_t data_crc = MaskedCrc32c("abc");
  EXPECT_EQ(r.substr(15, 4), std::string({static_cast<char>(data_crc & 0xff),
                                          static_cast<char>((data_crc >> 8) & 0xff),
                                          static_cast<char>((data_crc >> 16) & 0xff),
                                          static_cast<char>(data_crc >> 24)}));
}

TEST(EventFileWriterTest, WritesVersionThenScalarsReadBackWithCheckedCrcs) {
  const std::string dir = TestDir("scalars") + "/tb";
  auto writer = EventFileWriter::Create(dir);
  ASSERT_TRUE(writer.ok()) << writer.status();
  EXPECT_THAT(fs::path((*writer)->path()).filename().string(),
              StartsWith("events.out.tfevents."));
  ASSERT_TRUE((*writer)->WriteScalars(10, {{"train/loss", 0.5}, {"train/lr", 1e-3}}).ok());
  ASSERT_TRUE((*writer)->WriteScalars(20, {{"train/loss", 0.25}}).ok());
  // Readable while the writer is open: nothing waits in a buffer.
  auto events = ReadEventFile((*writer)->path());
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[0].file_version(), "brain.Event:2");
  EXPECT_GT((*events)[0].wall_time(), 1.7e9);
  EXPECT_EQ((*events)[1].step(), 10);
  ASSERT_EQ((*events)[1].summary().value_size(), 2);
  EXPECT_EQ((*events)[1].summary().value(0).tag(), "train/loss");
  EXPECT_EQ((*events)[1].summary().value(0).simple_value(), 0.5f);
  EXPECT_EQ((*events)[1].summary().value(1).tag(), "train/lr");
  EXPECT_EQ((*events)[1].summary().value(1).simple_value(), 1e-3f);
  EXPECT_EQ((*events)[2].step(), 20);
  EXPECT_GE((*events)[2].wall_time(), (*events)[1].wall_time());
}

TEST(EventFileWriterTest, EachWriterGetsANewFileEvenInTheSameSecond) {
  const std::string dir = TestDir("two");
  auto a = EventFileWriter::Create(dir);
  auto b = EventFileWriter::Create(dir);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->path(), (*b)->path());
  ASSERT_TRUE((*b)->WriteRestart(7).ok());
  const std::vector<std::string> files = EventFilesIn(dir);
  ASSERT_EQ(files.size(), 2u);
  // TensorBoard reads them in name order: the older one first.
  EXPECT_EQ(files[0], (*a)->path());
  auto events = ReadEventFile(files[1]);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1].step(), 7);
  EXPECT_EQ((*events)[1].session_log().status(), tensorboard::SessionLog::START);
}

TEST(EventFileWriterTest, ReaderRejectsACorruptedByte) {
  const std::string dir = TestDir("corrupt");
  std::string path;
  {
    auto writer = EventFileWriter::Create(dir);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->WriteScalars(1, {{"x", 1.0}}).ok());
    path = (*writer)->path();
  }
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  bytes[bytes.size() - 6] ^= 1;  // inside the last record's data
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  auto events = ReadEventFile(path);
  ASSERT_FALSE(events.ok());
  EXPECT_THAT(std::string(events.status().message()), HasSubstr("data CRC mismatch"));
}

TEST(EventFileWriterTest, FailedWriteNamesTheFileAndLeavesWholeRecords) {
  const std::string dir = TestDir("full");
  auto writer = EventFileWriter::Create(dir);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->WriteScalars(1, {{"x", 1.0}}).ok());
  const auto size = fs::file_size((*writer)->path());
  // A file-size limit makes the next write fail like a full disk (EFBIG instead of SIGXFSZ).
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit old{};
  getrlimit(RLIMIT_FSIZE, &old);
  rlimit limit = old;
  limit.rlim_cur = size + 10;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
  const absl::Status s = (*writer)->WriteScalars(2, {{"a long tag to pass the limit", 2.0}});
  setrlimit(RLIMIT_FSIZE, &old);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr((*writer)->path()));
  EXPECT_EQ(fs::file_size((*writer)->path()), size);
  auto events = ReadEventFile((*writer)->path());
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ(events->size(), 2u);
}

TEST(EventFileWriterTest, UncreatableFolderIsAClearError) {
  const std::string dir = TestDir("blocked");
  fs::create_directories(dir);
  std::ofstream(dir + "/tb") << "a file where the folder should be";
  auto writer = EventFileWriter::Create(dir + "/tb");
  ASSERT_FALSE(writer.ok());
  EXPECT_THAT(std::string(writer.status().message()),
              HasSubstr("cannot create the TensorBoard folder " + dir + "/tb"));
}

}  // namespace
}  // namespace ijepa::common
