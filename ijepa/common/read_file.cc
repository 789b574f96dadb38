#include "ijepa/common/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ijepa::common {
namespace {

const char* KindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

std::string Prefix(const std::string& path, std::string_view what) {
  return what.empty() ? path : absl::StrCat(std::string(what), " ", path);
}

}  // namespace

absl::StatusOr<int> OpenRegularFile(const std::string& path, std::string_view what) {
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat(std::string(what), ": empty path"));
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) return absl::NotFoundError(absl::StrCat(Prefix(path, what), ": no such file"));
    if (err == EACCES || err == EPERM) {
      return absl::PermissionDeniedError(absl::StrCat(Prefix(path, what), ": cannot open: ", std::strerror(err)));
    }
    return absl::FailedPreconditionError(absl::StrCat(Prefix(path, what), ": cannot open: ", std::strerror(err)));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return absl::DataLossError(absl::StrCat(Prefix(path, what), ": cannot stat: ", std::strerror(err)));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    const char* kind = KindOf(st.st_mode);
    return absl::InvalidArgumentError(absl::StrCat(
        Prefix(path, what), ": ", kind, std::string_view(kind) == "not a regular file" ? "" : ", not a regular file"));
  }
  // Regular files ignore O_NONBLOCK; clear it anyway so the descriptor behaves as a plain open.
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

absl::Status CheckRegularFile(const std::string& path, std::string_view what) {
  absl::StatusOr<int> fd = OpenRegularFile(path, what);
  if (!fd.ok()) return fd.status();
  ::close(*fd);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadRegularFile(const std::string& path, std::string_view what,
                                            uint64_t max_bytes) {
  absl::StatusOr<int> fd = OpenRegularFile(path, what);
  if (!fd.ok()) return fd.status();
  struct stat st;
  if (::fstat(*fd, &st) != 0 || st.st_size < 0) {
    ::close(*fd);
    return absl::DataLossError(absl::StrCat(Prefix(path, what), ": cannot determine its size"));
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size > max_bytes) {
    ::close(*fd);
    return absl::OutOfRangeError(
        absl::StrCat(Prefix(path, what), ": ", size, " bytes, more than the limit of ", max_bytes));
  }
  std::string bytes(size, '\0');
  uint64_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(*fd, bytes.data() + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : 0;
      ::close(*fd);
      return absl::DataLossError(absl::StrCat(Prefix(path, what), ": read failed after ", done, " of ", size,
                                              " bytes: ", n < 0 ? std::strerror(err) : "unexpected end of file"));
    }
    done += static_cast<uint64_t>(n);
  }
  ::close(*fd);
  return bytes;
}

}  // namespace ijepa::common
