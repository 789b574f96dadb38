#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ijepa/data/dataset.h"

namespace ijepa::data {

enum class CifarKind { kCifar10, kCifar100 };

// CIFAR binary batches: records of <label byte(s)> + 3072 bytes (1024 R, 1024 G, 1024 B, each
// 32x32 row-major). CIFAR-10 records carry one label byte (0-9); CIFAR-100 two (coarse 0-19, fine
// 0-99), of which the fine label is used.
class CifarDataset : public Dataset {
 public:
  static constexpr int kSide = 32;
  static constexpr int kPixelBytes = 3 * kSide * kSide;
  static int RecordBytes(CifarKind kind) { return (kind == CifarKind::kCifar10 ? 1 : 2) + kPixelBytes; }
  static int NumClasses(CifarKind kind) { return kind == CifarKind::kCifar10 ? 10 : 100; }

  // Reads and concatenates `paths` (e.g. data_batch_1.bin ... data_batch_5.bin).
  static absl::StatusOr<std::shared_ptr<CifarDataset>> Open(CifarKind kind,
                                                           const std::vector<std::string>& paths);
  // Parses one file's bytes; `what` names it in errors. Used by Open and the fuzz target.
  static absl::StatusOr<std::shared_ptr<CifarDataset>> FromBytes(CifarKind kind,
                                                                std::string_view bytes,
                                                                std::string what);

  int64_t size() const override { return static_cast<int64_t>(labels_.size()); }
  using Dataset::Load;  // the DownscaleFn overload: nothing to shrink here
  absl::StatusOr<Example> Load(int64_t index) const override;
  int64_t num_classes() const override { return NumClasses(kind_); }
  const std::vector<int64_t>& labels() const override { return labels_; }

 private:
  CifarDataset() = default;
  absl::Status Append(std::string_view bytes, const std::string& what);

  CifarKind kind_ = CifarKind::kCifar10;
  std::string what_;
  std::string pixels_;  // kPixelBytes per record, planar as in the file
  std::vector<int64_t> labels_;
};

}  // namespace ijepa::data
