#include "ijepa/checkpoint/zip_index.h"

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include <zlib.h>

namespace ijepa::checkpoint {
namespace {

constexpr uint32_t kEndOfCentralDirectorySignature = 0x06054b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr size_t kEndOfCentralDirectorySize = 22;
constexpr size_t kZip64LocatorSize = 20;
constexpr size_t kZip64EndSize = 56;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kMaxCommentSize = 0xffff;

uint16_t Le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t Le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t Le64(const uint8_t* p) { return Le32(p) | (static_cast<uint64_t>(Le32(p + 4)) << 32); }

absl::Status ReadExactly(const ZipReadFn& read, uint64_t pos, void* buf, size_t n, uint64_t file_size,
                         const std::string& what, const char* part) {
  if (pos > file_size || n > file_size - pos) {
    return absl::DataLossError(absl::StrCat(what, ": zip ", part, " at offset ", pos, " (", n,
                                            " bytes) reaches past the end of the file (", file_size,
                                            " bytes); the file is truncated or corrupt"));
  }
  if (read(pos, buf, n) != n) {
    return absl::DataLossError(absl::StrCat(what, ": short read of zip ", part, " at offset ", pos));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<ZipEntry>> ReadZipCentralDirectory(const ZipReadFn& read, uint64_t file_size,
                                                              const std::string& what) {
  if (file_size < kEndOfCentralDirectorySize) {
    return absl::DataLossError(absl::StrCat(what, ": ", file_size,
                                            " bytes is too short for a zip archive; the file is truncated"));
  }
  // The end record sits in the last 22 + 65535 bytes (it may be followed by a comment).
  const uint64_t tail_size = std::min<uint64_t>(file_size, kEndOfCentralDirectorySize + kMaxCommentSize);
  std::vector<uint8_t> tail(tail_size);
  if (auto s = ReadExactly(read, file_size - tail_size, tail.data(), tail_size, file_size, what, "tail");
      !s.ok()) {
    return s;
  }
  int64_t eocd = -1;
  for (int64_t i = static_cast<int64_t>(tail_size - kEndOfCentralDirectorySize); i >= 0; --i) {
    if (Le32(&tail[i]) == kEndOfCentralDirectorySignature) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    return absl::DataLossError(absl::StrCat(
        what, ": no zip end-of-central-directory record; the file is truncated or not a zip archive"));
  }
  const uint8_t* e = &tail[eocd];
  uint64_t num_entries = Le16(e + 10);
  uint64_t cd_size = Le32(e + 12);
  uint64_t cd_offset = Le32(e + 16);
  const uint64_t eocd_pos = file_size - tail_size + eocd;
  if (num_entries == 0xffff || cd_size == 0xffffffffu || cd_offset == 0xffffffffu) {
    if (eocd_pos < kZip64LocatorSize) {
      return absl::DataLossError(absl::StrCat(what, ": zip64 archive without a zip64 locator"));
    }
    uint8_t locator[kZip64LocatorSize];
    if (auto s = ReadExactly(read, eocd_pos - kZip64LocatorSize, locator, sizeof(locator), file_size, what,
                             "zip64 locator");
        !s.ok()) {
      return s;
    }
    if (Le32(locator) != kZip64LocatorSignature) {
      return absl::DataLossError(absl::StrCat(what, ": zip64 archive with a corrupt zip64 locator"));
    }
    uint8_t end64[kZip64EndSize];
    if (auto s = ReadExactly(read, Le64(locator + 8), end64, sizeof(end64), file_size, what, "zip64 end record");
        !s.ok()) {
      return s;
    }
    if (Le32(end64) != kZip64EndSignature) {
      return absl::DataLossError(absl::StrCat(what, ": corrupt zip64 end-of-central-directory record"));
    }
    num_entries = Le64(end64 + 32);
    cd_size = Le64(end64 + 40);
    cd_offset = Le64(end64 + 48);
  }
  if (cd_offset > file_size || cd_size > file_size - cd_offset) {
    return absl::DataLossError(absl::StrCat(what, ": zip central directory (offset ", cd_offset, ", ", cd_size,
                                            " bytes) reaches past the end of the file (", file_size,
                                            " bytes); the file is truncated or corrupt"));
  }
  if (num_entries > cd_size / kCentralHeaderSize) {
    return absl::DataLossError(absl::StrCat(what, ": zip directory claims ", num_entries, " entries in ",
                                            cd_size, " bytes; the file is corrupt"));
  }
  std::vector<uint8_t> cd(cd_size);
  if (auto s = ReadExactly(read, cd_offset, cd.data(), cd_size, file_size, what, "central directory"); !s.ok()) {
    return s;
  }
  std::vector<ZipEntry> entries;
  entries.reserve(num_entries);
  size_t pos = 0;
  for (uint64_t i = 0; i < num_entries; ++i) {
    if (cd_size - pos < kCentralHeaderSize || Le32(&cd[pos]) != kCentralHeaderSignature) {
      return absl::DataLossError(absl::StrCat(what, ": zip directory entry ", i, " is corrupt"));
    }
    const uint8_t* h = &cd[pos];
    ZipEntry entry;
    entry.flags = Le16(h + 8);
    entry.method = Le16(h + 10);
    entry.crc32 = Le32(h + 16);
    entry.compressed_size = Le32(h + 20);
    entry.uncompressed_size = Le32(h + 24);
    const size_t name_len = Le16(h + 28), extra_len = Le16(h + 30), comment_len = Le16(h + 32);
    entry.local_header_offset = Le32(h + 42);
    const size_t total = kCentralHeaderSize + name_len + extra_len + comment_len;
    if (cd_size - pos < total) {
      return absl::DataLossError(absl::StrCat(what, ": zip directory entry ", i, " runs past the directory"));
    }
    entry.name.assign(reinterpret_cast<const char*>(h + kCentralHeaderSize), name_len);
    // Zip64 extended information: the 64-bit values present are those whose 32-bit field is all ones.
    const uint8_t* extra = h + kCentralHeaderSize + name_len;
    size_t x = 0;
    while (x + 4 <= extra_len) {
      const uint16_t id = Le16(extra + x), len = Le16(extra + x + 2);
      if (x + 4 + len > extra_len) {
        return absl::DataLossError(absl::StrCat(what, ": zip entry '", entry.name, "' has a corrupt extra field"));
      }
      if (id == 0x0001) {
        const uint8_t* f = extra + x + 4;
        size_t left = len;
        auto take = [&](uint64_t& value) -> bool {
          if (value != 0xffffffffu) return true;
          if (left < 8) return false;
          value = Le64(f);
          f += 8;
          left -= 8;
          return true;
        };
        if (!take(entry.uncompressed_size) || !take(entry.compressed_size) || !take(entry.local_header_offset)) {
          return absl::DataLossError(
              absl::StrCat(what, ": zip entry '", entry.name, "' has a truncated zip64 extra field"));
        }
      }
      x += 4 + len;
    }
    entries.push_back(std::move(entry));
    pos += total;
  }
  return entries;
}

absl::Status CheckTorchZipEntries(const std::vector<ZipEntry>& entries, uint64_t file_size,
                                  const std::string& what) {
  uint64_t total = 0;
  std::vector<std::string> names;
  for (const ZipEntry& entry : entries) {
    names.push_back(entry.name);
    // Encrypted (bit 0), strong encryption (6) or patch data (5): nothing torch.save writes.
    if ((entry.flags & 0x0061) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": zip entry '", entry.name,
                                                     "' is encrypted or patch data (flags 0x", absl::Hex(entry.flags),
                                                     ")"));
    }
    if (entry.method != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": zip entry '", entry.name, "' is compressed (method ", entry.method,
          "); torch.save writes stored entries only, and compressed ones are refused so that a small file "
          "cannot expand into a huge allocation"));
    }
    if (entry.compressed_size != entry.uncompressed_size) {
      return absl::DataLossError(absl::StrCat(what, ": stored zip entry '", entry.name, "' has compressed size ",
                                              entry.compressed_size, " != uncompressed size ",
                                              entry.uncompressed_size));
    }
    if (entry.local_header_offset > file_size || entry.compressed_size > file_size - entry.local_header_offset) {
      return absl::DataLossError(absl::StrCat(what, ": zip entry '", entry.name, "' (offset ",
                                              entry.local_header_offset, ", ", entry.compressed_size,
                                              " bytes) reaches past the end of the file (", file_size,
                                              " bytes); the file is truncated"));
    }
    total += entry.compressed_size;
    if (total > file_size) {
      return absl::DataLossError(absl::StrCat(what, ": zip entries overlap (their sizes add up to more than the ",
                                              file_size, "-byte file)"));
    }
  }
  std::sort(names.begin(), names.end());
  if (auto dup = std::adjacent_find(names.begin(), names.end()); dup != names.end()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": zip entry '", *dup, "' appears twice"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadSmallStoredEntry(const ZipReadFn& read, uint64_t file_size, const ZipEntry& entry,
                                                 uint64_t max_size, const std::string& what) {
  constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
  constexpr size_t kLocalHeaderSize = 30;
  if (entry.method != 0 || entry.uncompressed_size > max_size) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": zip entry '", entry.name, "' is not a small stored record"));
  }
  uint8_t header[kLocalHeaderSize];
  if (auto s = ReadExactly(read, entry.local_header_offset, header, sizeof(header), file_size, what, "local header");
      !s.ok()) {
    return s;
  }
  if (Le32(header) != kLocalHeaderSignature) {
    return absl::DataLossError(absl::StrCat(what, ": zip entry '", entry.name, "' has a corrupt local header"));
  }
  const uint64_t data_offset = entry.local_header_offset + kLocalHeaderSize + Le16(header + 26) + Le16(header + 28);
  std::string data(entry.uncompressed_size, '\0');
  if (auto s = ReadExactly(read, data_offset, data.data(), data.size(), file_size, what, "record"); !s.ok()) return s;
  const uLong crc = ::crc32(::crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(data.data()),
                            static_cast<uInt>(data.size()));
  if (static_cast<uint32_t>(crc) != entry.crc32) {
    return absl::DataLossError(absl::StrCat(what, ": CRC-32 mismatch in record '", entry.name,
                                            "'; the file is corrupt"));
  }
  return data;
}

}  // namespace ijepa::checkpoint
