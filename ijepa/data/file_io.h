#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ijepa::data {

// Whole file as bytes (common::ReadRegularFile: a folder, FIFO or device is an error). NotFound /
// InvalidArgument / DataLoss errors name the path.
absl::StatusOr<std::string> ReadFileBytes(const std::string& path);

// Inflates gzip data (one or more concatenated members). `what` names the source in errors
// (truncated or corrupt streams are DataLoss errors). Output beyond `max_bytes` is an error, so
// a hostile file cannot exhaust memory.
absl::StatusOr<std::string> Gunzip(std::string_view compressed, absl::string_view what,
                                   size_t max_bytes = size_t{1} << 32);

// The first `n` bytes `compressed` inflates to (fewer if it ends before), inflating no more: for
// reading a header that declares the size of the rest.
absl::StatusOr<std::string> GunzipPrefix(std::string_view compressed, absl::string_view what, size_t n);

// True when `bytes` starts with the gzip magic number 1f 8b.
bool IsGzip(std::string_view bytes);

// File contents, inflated when the file is gzip-compressed (detected by magic, not by name).
absl::StatusOr<std::string> ReadMaybeGzipFile(const std::string& path);

}  // namespace ijepa::data
