// TensorBoard event files: the TFRecord framing (TensorFlow's lib/io/record_writer) around
// `Event` protos (//ijepa/common:tensorboard_event.proto), written so that `tensorboard --logdir`
// and tensorboard's EventAccumulator read them without TensorFlow.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ijepa::common {

// CRC32C (Castagnoli; check value 0xE3069283 for "123456789"), by ISA-L's crc32_iscsi.
uint32_t Crc32c(std::string_view data);

// TFRecord's masked CRC: ((crc >> 15) | (crc << 17)) + 0xa282ead8, so a CRC of data that itself
// holds CRCs does not degenerate.
uint32_t MaskedCrc32c(std::string_view data);

// One TFRecord: uint64 length (little endian), masked CRC of those 8 bytes, the data, masked CRC
// of the data.
std::string TfRecord(std::string_view data);

using Scalars = std::vector<std::pair<std::string, double>>;

class EventFileWriter {
 public:
  // Creates `folder` if missing and a new file `events.out.tfevents.{unix seconds}.{hostname}`
  // (TensorFlow's name) in it, never an existing one: when that name is taken (two writers in the
  // same second) ".1", ".2", ... is appended, which sorts after it as TensorBoard reads files.
  // Writes the "brain.Event:2" file_version record.
  static absl::StatusOr<std::unique_ptr<EventFileWriter>> Create(const std::string& folder);
  ~EventFileWriter();
  EventFileWriter(const EventFileWriter&) = delete;
  EventFileWriter& operator=(const EventFileWriter&) = delete;

  // One Event at `step` holding the scalars (as float, TensorBoard's simple_value), appended with
  // a single write(2): the records are in the kernel when this returns (no user-space buffer to
  // flush), so a killed process loses nothing it wrote. On a failed write the file is truncated
  // back to its last whole record and the error names the file; the writer stays usable.
  absl::Status WriteScalars(int64_t step, const Scalars& scalars);

  // A SessionLog START event at `step`: TensorBoard then drops the points at `step` and later
  // that earlier files of the folder hold (a run killed after its last checkpoint logged them).
  absl::Status WriteRestart(int64_t step);

  const std::string& path() const { return path_; }

 private:
  EventFileWriter(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  absl::Status Append(const std::string& serialized_event);

  int fd_;
  std::string path_;
  uint64_t size_ = 0;  // bytes of whole records written
};

}  // namespace ijepa::common
