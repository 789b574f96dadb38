#include "ijepa/common/event_file_reader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ijepa/common/event_file.h"

namespace ijepa::common {
namespace {

uint64_t LittleEndian(const std::string& bytes, size_t at, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

}  // namespace

absl::StatusOr<std::vector<tensorboard::Event>> ReadEventFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open event file ", path));
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<tensorboard::Event> events;
  size_t at = 0;
  while (at < bytes.size()) {
    auto fail = [&](const std::string& what) {
      return absl::DataLossError(absl::StrFormat("%s: record at byte %d: %s", path, at, what));
    };
    if (bytes.size() - at < 12) return fail("expected a 12-byte header, the file ends");
    const uint64_t length = LittleEndian(bytes, at, 8);
    const uint32_t length_crc = static_cast<uint32_t>(LittleEndian(bytes, at + 8, 4));
    if (length_crc != MaskedCrc32c(std::string_view(bytes).substr(at, 8))) {
      return fail("length CRC mismatch");
    }
    if (bytes.size() - at - 12 < length + 4) {
      return fail(absl::StrCat("expected ", length, " data bytes and their CRC, the file ends"));
    }
    const std::string_view data = std::string_view(bytes).substr(at + 12, length);
    if (static_cast<uint32_t>(LittleEndian(bytes, at + 12 + length, 4)) != MaskedCrc32c(data)) {
      return fail("data CRC mismatch");
    }
    tensorboard::Event event;
    if (!event.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
      return fail("the data is not an Event proto");
    }
    events.push_back(std::move(event));
    at += 12 + length + 4;
  }
  return events;
}

std::vector<std::string> EventFilesIn(const std::string& folder) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    if (entry.path().filename().string().find("tfevents") != std::string::npos) {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace ijepa::common
