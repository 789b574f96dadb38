#include "ijepa/common/read_file.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ijepa::common {
namespace {

using ::testing::HasSubstr;

std::string TempDir(bool short_path = false) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string base = dir != nullptr && !short_path ? dir : "/tmp";
  std::string path = base + "/read_file_XXXXXX";
  EXPECT_NE(::mkdtemp(path.data()), nullptr);
  return path;
}

TEST(ReadRegularFileTest, ReadsAWholeFile) {
  const std::string path = TempDir() + "/a.pbtxt";
  std::ofstream(path) << "epochs: 3\n";
  auto bytes = ReadRegularFile(path, "config file");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, "epochs: 3\n");
  auto empty_path = TempDir() + "/empty";
  std::ofstream(empty_path).flush();
  auto empty = ReadRegularFile(empty_path, "config file");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(*empty, "");  // an empty regular file is empty, and the caller decides
}

TEST(ReadRegularFileTest, AFolderIsAnErrorNotAnEmptyFile) {
  const std::string dir = TempDir();
  auto read = ReadRegularFile(dir, "config file");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(read.status().message(), HasSubstr("config file " + dir + ": a directory, not a regular file"));
}

TEST(ReadRegularFileTest, AFifoIsRefusedWithoutWaitingForAWriter) {
  const std::string fifo = TempDir() + "/pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // Before the check, opening this blocked until a writer appeared (a hang with none).
  auto read = ReadRegularFile(fifo, "--image");
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(read.status().message(), HasSubstr("--image " + fifo + ": a FIFO (named pipe), not a regular file"));
}

TEST(ReadRegularFileTest, DevicesAndSocketsAreRefused) {
  auto dev = ReadRegularFile("/dev/zero", "checkpoint");
  ASSERT_FALSE(dev.ok());
  EXPECT_THAT(dev.status().message(), HasSubstr("checkpoint /dev/zero: a character device, not a regular file"));

  const std::string sock_path = TempDir(/*short_path=*/true) + "/s";  // sun_path holds 108 bytes
  const int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(sock_path.size(), sizeof(addr.sun_path));
  sock_path.copy(addr.sun_path, sock_path.size());
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  auto sock_read = CheckRegularFile(sock_path, "config file");
  ::close(sock);
  ASSERT_FALSE(sock_read.ok());
  // open() of a socket fails with ENXIO; either way the path and the reason are named.
  EXPECT_THAT(sock_read.message(), HasSubstr("config file " + sock_path));
}

TEST(ReadRegularFileTest, MissingUnreadableAndOversizedFilesNameThePath) {
  const std::string dir = TempDir();
  auto missing = ReadRegularFile(dir + "/none.pbtxt", "config file");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("config file " + dir + "/none.pbtxt: no such file"));

  const std::string big = dir + "/big";
  std::ofstream(big) << std::string(100, 'x');
  auto too_big = ReadRegularFile(big, "--image", 99);
  EXPECT_EQ(too_big.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(too_big.status().message(), HasSubstr("--image " + big + ": 100 bytes, more than the limit of 99"));

  if (::geteuid() != 0) {  // root reads everything
    const std::string locked = dir + "/locked";
    std::ofstream(locked) << "x";
    ASSERT_EQ(::chmod(locked.c_str(), 0), 0);
    auto denied = ReadRegularFile(locked, "config file");
    EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied);
  }
  EXPECT_FALSE(ReadRegularFile("", "--config").ok());
}

}  // namespace
}  // namespace ijepa::common
