#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ijepa/data/dataset.h"

namespace ijepa::data {

// An unsigned-byte IDX array (the MNIST file format): big-endian header
// 00 00 08 <ndims>, then ndims big-endian uint32 sizes, then the bytes row-major.
struct IdxArray {
  std::vector<int64_t> dims;
  std::string data;
};

// Parses IDX bytes (already inflated). `what` names the source in errors. Checks the magic
// number (type 0x08, `expected_dims` dimensions) and that the data is exactly as long as the
// header says (truncated files are DataLoss errors).
absl::StatusOr<IdxArray> ParseIdx(std::string_view bytes, absl::string_view what, int expected_dims);

// MNIST / Fashion-MNIST images [N, H, W] and labels [N] as a Dataset of grey images.
class IdxDataset : public Dataset {
 public:
  // Reads `images_path` (idx3) and `labels_path` (idx1), gzip or raw.
  static absl::StatusOr<std::shared_ptr<IdxDataset>> Open(const std::string& images_path,
                                                         const std::string& labels_path);
  // From parsed arrays; `what` names them in errors and in Example::source.
  static absl::StatusOr<std::shared_ptr<IdxDataset>> FromArrays(IdxArray images, IdxArray labels,
                                                               std::string what);

  int64_t size() const override { return static_cast<int64_t>(labels_.size()); }
  using Dataset::Load;  // the DownscaleFn overload: nothing to shrink here
  absl::StatusOr<Example> Load(int64_t index) const override;
  int64_t num_classes() const override { return num_classes_; }
  const std::vector<int64_t>& labels() const override { return labels_; }
  int height() const { return height_; }
  int width() const { return width_; }

 private:
  IdxDataset() = default;
  std::string what_;
  std::string pixels_;
  int height_ = 0, width_ = 0;
  std::vector<int64_t> labels_;
  int64_t num_classes_ = 0;
};

}  // namespace ijepa::data
