#include "ijepa/common/event_file.h"

#include <fcntl.h>
#include <isa-l/crc.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "ijepa/common/tensorboard_event.pb.h"

namespace ijepa::common {
namespace {

namespace fs = std::filesystem;

// TensorBoard's readers check this string to pick the SessionLog-based restart handling.
constexpr char kFileVersion[] = "brain.Event:2";

double WallTime() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

void PutLittleEndian(uint64_t v, int bytes, std::string* out) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::string Errno(int e) { return std::strerror(e); }

}  // namespace

uint32_t Crc32c(std::string_view data) {
  // ISA-L's crc32_iscsi neither inverts its seed nor its result; CRC32C does both.
  uint32_t crc = 0xFFFFFFFFu;
  // crc32_iscsi takes an int length: feed large inputs in pieces.
  constexpr size_t kChunk = 1u << 30;
  for (size_t at = 0; at < data.size(); at += kChunk) {
    const size_t n = std::min(kChunk, data.size() - at);
    crc = crc32_iscsi(reinterpret_cast<unsigned char*>(const_cast<char*>(data.data() + at)),
                      static_cast<int>(n), crc);
  }
  return ~crc;
}

uint32_t MaskedCrc32c(std::string_view data) {
  const uint32_t crc = Crc32c(data);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

std::string TfRecord(std::string_view data) {
  std::string record;
  record.reserve(data.size() + 16);
  PutLittleEndian(data.size(), 8, &record);
  PutLittleEndian(MaskedCrc32c(record), 4, &record);
  record.append(data);
  PutLittleEndian(MaskedCrc32c(data), 4, &record);
  return record;
}

absl::StatusOr<std::unique_ptr<EventFileWriter>> EventFileWriter::Create(
    const std::string& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot create the TensorBoard folder ", folder, ": ", ec.message()));
  }
  const double now = WallTime();
  const std::string base =
      (fs::path(folder) / absl::StrCat("events.out.tfevents.", static_cast<int64_t>(now), ".",
                                       HostName()))
          .string();
  std::string path = base;
  int fd = -1;
  for (int n = 1; fd < 0; ++n) {
    fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) break;
    if (errno != EEXIST || n > 1000) {
      return absl::InternalError(
          absl::StrCat("cannot create the TensorBoard event file ", path, ": ", Errno(errno)));
    }
    path = absl::StrCat(base, ".", n);
  }
  std::unique_ptr<EventFileWriter> writer(new EventFileWriter(fd, path));
  tensorboard::Event event;
  event.set_wall_time(now);
  event.set_step(0);
  event.set_file_version(kFileVersion);
  if (absl::Status s = writer->Append(event.SerializeAsString()); !s.ok()) return s;
  return writer;
}

EventFileWriter::~EventFileWriter() {
  if (fd_ >= 0) close(fd_);
}

absl::Status EventFileWriter::WriteScalars(int64_t step, const Scalars& scalars) {
  tensorboard::Event event;
  event.set_wall_time(WallTime());
  event.set_step(step);
  tensorboard::Summary* summary = event.mutable_summary();
  for (const auto& [tag, value] : scalars) {
    tensorboard::Summary::Value* v = summary->add_value();
    v->set_tag(tag);
    v->set_simple_value(static_cast<float>(value));
  }
  return Append(event.SerializeAsString());
}

absl::Status EventFileWriter::WriteRestart(int64_t step) {
  tensorboard::Event event;
  event.set_wall_time(WallTime());
  event.set_step(step);
  event.mutable_session_log()->set_status(tensorboard::SessionLog::START);
  return Append(event.SerializeAsString());
}

absl::Status EventFileWriter::Append(const std::string& serialized_event) {
  const std::string record = TfRecord(serialized_event);
  size_t done = 0;
  while (done < record.size()) {
    const ssize_t n = write(fd_, record.data() + done, record.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = n < 0 ? errno : EIO;
      // A partial record would end the file for every reader; whole records stay readable.
      std::string undone;
      if (ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
        undone = absl::StrCat(" (and truncating it back to ", size_, " bytes failed: ",
                              Errno(errno), ")");
      }
      return absl::InternalError(absl::StrCat("writing ", record.size(),
                                              " bytes to the TensorBoard event file ", path_,
                                              " failed: ", Errno(e), undone));
    }
    done += static_cast<size_t>(n);
  }
  size_ += record.size();
  return absl::OkStatus();
}

}  // namespace ijepa::common
