#include "ijepa/data/file_io.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ijepa/common/read_file.h"

namespace ijepa::data {

absl::StatusOr<std::string> ReadFileBytes(const std::string& path) {
  return common::ReadRegularFile(path, "");
}

bool IsGzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x1f &&
         static_cast<uint8_t>(bytes[1]) == 0x8b;
}

namespace {

// Inflates at most max_bytes (+1 to detect more): with `prefix`, returns the first max_bytes bytes
// without error; otherwise more output than max_bytes is ResourceExhausted.
absl::StatusOr<std::string> Inflate(std::string_view compressed, absl::string_view what, size_t max_bytes,
                                    bool prefix) {
  z_stream stream;
  std::memset(&stream, 0, sizeof(stream));
  // 15 + 16: gzip wrapper only, largest window.
  if (inflateInit2(&stream, 15 + 16) != Z_OK) {
    return absl::InternalError(absl::StrCat("zlib inflateInit2 failed for ", what));
  }
  std::string out;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  char buffer[1 << 16];
  absl::Status status;
  while (true) {
    // Never more than one byte past the limit: a gzip bomb stops at the limit, not a buffer later.
    const size_t room = std::min<size_t>(sizeof(buffer), max_bytes - std::min(max_bytes, out.size()) + 1);
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = static_cast<uInt>(room);
    const int rc = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, room - stream.avail_out);
    if (prefix && out.size() >= max_bytes) {
      out.resize(max_bytes);
      break;
    }
    if (out.size() > max_bytes) {
      status = absl::ResourceExhaustedError(
          absl::StrCat(what, ": gzip data inflates to more than ", max_bytes, " bytes"));
      break;
    }
    if (rc == Z_STREAM_END) {
      // Another gzip member may follow (as `cat a.gz b.gz` writes); trailing zero padding is fine.
      if (stream.avail_in == 0) break;
      if (!IsGzip(std::string_view(reinterpret_cast<const char*>(stream.next_in), stream.avail_in))) {
        break;
      }
      if (inflateReset(&stream) != Z_OK) {
        status = absl::InternalError(absl::StrCat("zlib inflateReset failed for ", what));
        break;
      }
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && stream.avail_in == 0) {
      status = absl::DataLossError(absl::StrCat(
          what, ": truncated gzip stream (input ended after ", compressed.size(),
          " bytes, before the end of the compressed data)"));
      break;
    }
    status = absl::DataLossError(absl::StrCat(what, ": corrupt gzip data (zlib: ",
                                              stream.msg ? stream.msg : "error", ")"));
    break;
  }
  inflateEnd(&stream);
  if (!status.ok()) return status;
  return out;
}

}  // namespace

absl::StatusOr<std::string> Gunzip(std::string_view compressed, absl::string_view what, size_t max_bytes) {
  return Inflate(compressed, what, max_bytes, /*prefix=*/false);
}

absl::StatusOr<std::string> GunzipPrefix(std::string_view compressed, absl::string_view what, size_t n) {
  return Inflate(compressed, what, n, /*prefix=*/true);
}

absl::StatusOr<std::string> ReadMaybeGzipFile(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFileBytes(path);
  if (!bytes.ok() || !IsGzip(*bytes)) return bytes;
  return Gunzip(*bytes, path);
}

}  // namespace ijepa::data
