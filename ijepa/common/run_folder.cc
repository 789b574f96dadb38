#include "ijepa/common/run_folder.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "ijepa/common/atomic_file.h"

namespace ijepa::common {
namespace {

namespace fs = std::filesystem;

std::string Holder() {
  char host[256] = "unknown host";
  ::gethostname(host, sizeof(host) - 1);
  const std::time_t now = std::time(nullptr);
  char when[64] = "";
  std::tm tm_utc;
  if (gmtime_r(&now, &tm_utc) != nullptr) std::strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm_utc);
  return absl::StrCat("pid ", ::getpid(), " on host ", host, ", since ", when);
}

std::string ReadHolder(int fd) {
  char buffer[512];
  const ssize_t n = ::pread(fd, buffer, sizeof(buffer) - 1, 0);
  if (n <= 0) return "another process (it has not written its pid yet)";
  return std::string(absl::StripAsciiWhitespace(absl::string_view(buffer, static_cast<size_t>(n))));
}

}  // namespace

absl::StatusOr<std::unique_ptr<RunFolderLock>> RunFolderLock::Acquire(const std::string& folder,
                                                                      const std::string& lock_name) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat("cannot create output folder ", folder, ": ", ec.message()));
  if (!fs::is_directory(folder, ec)) {
    return absl::InvalidArgumentError(absl::StrCat("output folder ", folder, " is not a folder"));
  }
  const std::string path = (fs::path(folder) / lock_name).string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    return absl::PermissionDeniedError(absl::StrCat("cannot open the lock file ", path, ": ", std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    std::string holder = ReadHolder(fd);
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "output folder ", folder, " is in use by another run (", holder, "; lock ", path,
          "); wait for it to finish or choose another output folder"));
    }
    return absl::PermissionDeniedError(absl::StrCat("cannot lock ", path, ": ", std::strerror(err)));
  }
  const std::string me = Holder() + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, me.data(), me.size(), 0) != static_cast<ssize_t>(me.size())) {
    const int err = errno;
    ::close(fd);
    return absl::PermissionDeniedError(absl::StrCat("cannot write the lock file ", path, ": ", std::strerror(err)));
  }
  return std::unique_ptr<RunFolderLock>(new RunFolderLock(path, fd));
}

RunFolderLock::~RunFolderLock() { ::close(fd_); }

absl::StatusOr<std::vector<std::string>> RemoveStaleTemporaries(
    const std::string& folder, const std::function<bool(std::string_view target)>& owned) {
  std::vector<std::string> removed;
  std::error_code ec;
  fs::directory_iterator it(folder, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat("cannot list ", folder, ": ", ec.message()));
  for (const fs::directory_entry& entry : it) {
    std::string target;
    const std::string name = entry.path().filename().string();
    if (!IsTemporaryName(name, &target) || !owned(target)) continue;
    if (!entry.is_regular_file(ec) || entry.is_symlink(ec)) continue;
    if (!fs::remove(entry.path(), ec) || ec) {
      return absl::PermissionDeniedError(absl::StrCat("cannot remove the stale temporary ", entry.path().string(),
                                                      ": ", ec.message()));
    }
    removed.push_back(name);
  }
  return removed;
}

absl::StatusOr<std::vector<std::string>> RemoveStaleTemporariesOf(const std::string& path) {
  const fs::path p(path);
  const std::string name = p.filename().string();
  const std::string folder = p.has_parent_path() ? p.parent_path().string() : ".";
  return RemoveStaleTemporaries(folder, [&](std::string_view target) { return target == name; });
}

}  // namespace ijepa::common
