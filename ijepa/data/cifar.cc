#include "ijepa/data/cifar.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ijepa/data/file_io.h"

namespace ijepa::data {

absl::Status CifarDataset::Append(std::string_view bytes, const std::string& what) {
  const size_t record = RecordBytes(kind_);
  if (bytes.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": empty file, expected CIFAR records"));
  }
  if (bytes.size() % record != 0) {
    return absl::DataLossError(absl::StrCat(
        what, ": truncated CIFAR file (", bytes.size(), " bytes is not a multiple of the ",
        record, "-byte ", kind_ == CifarKind::kCifar10 ? "CIFAR-10" : "CIFAR-100", " record)"));
  }
  const size_t count = bytes.size() / record;
  const int label_bytes = record - kPixelBytes;
  pixels_.reserve(pixels_.size() + count * kPixelBytes);
  for (size_t i = 0; i < count; ++i) {
    const char* r = bytes.data() + i * record;
    // CIFAR-100: byte 0 is the coarse label, byte 1 the fine label.
    const int64_t label = static_cast<uint8_t>(r[label_bytes - 1]);
    if (label >= NumClasses(kind_)) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": record ", i, " has label ", label,
                                                     ", expected < ", NumClasses(kind_)));
    }
    if (kind_ == CifarKind::kCifar100 && static_cast<uint8_t>(r[0]) >= 20) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": record ", i, " has coarse label ",
                                                     static_cast<int>(static_cast<uint8_t>(r[0])),
                                                     ", expected < 20"));
    }
    labels_.push_back(label);
    pixels_.append(r + label_bytes, kPixelBytes);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<CifarDataset>> CifarDataset::FromBytes(CifarKind kind,
                                                                       std::string_view bytes,
                                                                       std::string what) {
  std::shared_ptr<CifarDataset> dataset(new CifarDataset());
  dataset->kind_ = kind;
  dataset->what_ = what;
  if (absl::Status s = dataset->Append(bytes, what); !s.ok()) return s;
  return dataset;
}

absl::StatusOr<std::shared_ptr<CifarDataset>> CifarDataset::Open(
    CifarKind kind, const std::vector<std::string>& paths) {
  if (paths.empty()) return absl::InvalidArgumentError("CIFAR: no batch files given");
  std::shared_ptr<CifarDataset> dataset(new CifarDataset());
  dataset->kind_ = kind;
  dataset->what_ = paths.size() == 1 ? paths[0] : paths[0] + ",...";
  for (const std::string& path : paths) {
    absl::StatusOr<std::string> bytes = ReadFileBytes(path);
    if (!bytes.ok()) return bytes.status();
    if (absl::Status s = dataset->Append(*bytes, path); !s.ok()) return s;
  }
  return dataset;
}

absl::StatusOr<Example> CifarDataset::Load(int64_t index) const {
  if (index < 0 || index >= size()) {
    return absl::OutOfRangeError(
        absl::StrCat(what_, ": index ", index, " outside [0, ", size(), ")"));
  }
  Example example;
  example.image.height = kSide;
  example.image.width = kSide;
  example.image.channels = 3;
  example.image.pixels.resize(kPixelBytes);
  const char* planes = pixels_.data() + static_cast<size_t>(index) * kPixelBytes;
  constexpr int kPlane = kSide * kSide;
  for (int p = 0; p < kPlane; ++p) {
    for (int c = 0; c < 3; ++c) {
      example.image.pixels[p * 3 + c] = static_cast<uint8_t>(planes[c * kPlane + p]);
    }
  }
  example.label = labels_[index];
  example.source = absl::StrCat("cifar:", index);
  return example;
}

}  // namespace ijepa::data
