// One owner per output folder: an advisory lock (flock) held while a run writes there, and the
// removal of temporaries that killed writers of earlier runs left behind.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ijepa::common {

class RunFolderLock {
 public:
  // Creates `folder` if needed and takes an exclusive flock on `folder/lock_name` without
  // waiting. Another process holding it gives FailedPrecondition naming the folder and the holder
  // ("pid 1234 on host h, since 2026-12-03 04:50:00 UTC", written into the lock file by the
  // holder). The lock is released when the object is destroyed or the process dies (kill -9
  // included), so a crashed run never blocks the next one. The lock file itself stays.
  static absl::StatusOr<std::unique_ptr<RunFolderLock>> Acquire(const std::string& folder,
                                                                const std::string& lock_name);
  ~RunFolderLock();
  RunFolderLock(const RunFolderLock&) = delete;
  RunFolderLock& operator=(const RunFolderLock&) = delete;

  const std::string& path() const { return path_; }

 private:
  RunFolderLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
};

// Removes regular files in `folder` (not below it) whose names IsTemporaryName accepts and whose
// target name `owned` accepts; returns the names removed. Call it only while holding the folder's
// lock, so no live writer's temporary is touched.
absl::StatusOr<std::vector<std::string>> RemoveStaleTemporaries(
    const std::string& folder, const std::function<bool(std::string_view target)>& owned);

// The same for the temporaries of one file (`path`.tmp, `path`.tmp.XXXXXX): for binaries that write
// a single output file (linear_probe --out, extract_features --out, convert_checkpoint --out),
// called before they write it. Returns the names removed.
absl::StatusOr<std::vector<std::string>> RemoveStaleTemporariesOf(const std::string& path);

}  // namespace ijepa::common
