// The central directory of a zip archive, read with every offset and size checked against the
// file, so that a hostile archive is rejected before LibTorch's zip reader allocates anything.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ijepa::checkpoint {

struct ZipEntry {
  std::string name;
  uint16_t method = 0;  // 0 = stored, 8 = deflate.
  uint32_t crc32 = 0;   // of the uncompressed data
  uint16_t flags = 0;   // general purpose bit flags
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t local_header_offset = 0;
};

// Reads `n` bytes at `pos` into `buf`; returns the number of bytes read (short only at the end).
using ZipReadFn = std::function<size_t(uint64_t pos, void* buf, size_t n)>;

// Lists the entries of a zip archive of `file_size` bytes (zip64 included). Errors name `what`
// (the file) and the inconsistency: no end-of-central-directory record, a directory or entry
// reaching past the end of the file, a truncated entry header.
absl::StatusOr<std::vector<ZipEntry>> ReadZipCentralDirectory(const ZipReadFn& read, uint64_t file_size,
                                                              const std::string& what);

// Checks what this project requires of a checkpoint archive beyond well-formed zip structure:
// every entry is stored (torch.save never compresses), its data lies inside the file, and the
// entries do not overlap in total (their sizes sum to at most the file size). Together these
// bound every allocation the reader makes by the size of the file.
absl::Status CheckTorchZipEntries(const std::vector<ZipEntry>& entries, uint64_t file_size,
                                  const std::string& what);

// Reads a small stored entry (at most `max_size` bytes) through its local header, checking the
// header, the bounds and the CRC-32 exactly as LibTorch's zip reader would fail on them. Used for
// the records LibTorch's reader opens inside its constructor, where a failure leaks its state.
absl::StatusOr<std::string> ReadSmallStoredEntry(const ZipReadFn& read, uint64_t file_size, const ZipEntry& entry,
                                                 uint64_t max_size, const std::string& what);

}  // namespace ijepa::checkpoint
