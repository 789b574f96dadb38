// The one way binaries and libraries read a file a user named: the path must be a readable regular
// file (a folder, FIFO, socket or device is an error, never an empty or endless input), and a
// failed read is an error. Errors name what the file is for and the path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ijepa::common {

// Larger files are refused by ReadRegularFile unless the caller passes its own limit.
inline constexpr uint64_t kDefaultMaxFileBytes = uint64_t{1} << 32;  // 4 GiB

// Opens `path` read-only (close-on-exec) and checks that it is a regular file. A FIFO is opened
// without blocking, so naming one is an error instead of a hang. Returns the open descriptor, which
// the caller closes. Errors, with `what` such as "config file" or "--image":
//   NotFound          "config file /x.pbtxt: no such file"
//   PermissionDenied  "config file /x.pbtxt: cannot open: Permission denied"
//   InvalidArgument   "config file /etc: a directory, not a regular file" (also a FIFO, socket,
//                     character or block device)
absl::StatusOr<int> OpenRegularFile(const std::string& path, std::string_view what);

// OpenRegularFile, then closes it: for readers that open the file themselves (LibTorch, libpng).
absl::Status CheckRegularFile(const std::string& path, std::string_view what);

// The whole file. Beyond the checks above: a file larger than `max_bytes` is OutOfRange, a read
// error (EIO, a file that shrinks while read) is DataLoss naming the path.
absl::StatusOr<std::string> ReadRegularFile(const std::string& path, std::string_view what,
                                            uint64_t max_bytes = kDefaultMaxFileBytes);

}  // namespace ijepa::common
