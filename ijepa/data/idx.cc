#include "ijepa/data/idx.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ijepa/data/file_io.h"

namespace ijepa::data {
namespace {

uint32_t ReadBigEndian32(const char* p) {
  const auto* u = reinterpret_cast<const uint8_t*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}

}  // namespace

absl::StatusOr<IdxArray> ParseIdx(std::string_view bytes, absl::string_view what, int expected_dims) {
  const uint32_t expected_magic = 0x00000800u | static_cast<uint32_t>(expected_dims);
  if (bytes.size() < 4) {
    return absl::DataLossError(absl::StrCat(what, ": truncated IDX file (", bytes.size(),
                                            " bytes, expected at least a 4-byte magic number)"));
  }
  const uint32_t magic = ReadBigEndian32(bytes.data());
  if (magic != expected_magic) {
    char found[16], expected[16];
    std::snprintf(found, sizeof(found), "0x%08x", magic);
    std::snprintf(expected, sizeof(expected), "0x%08x", expected_magic);
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": wrong IDX magic number ", found, ", expected ", expected,
        " (unsigned bytes, ", expected_dims, " dimension", expected_dims == 1 ? "" : "s", ")"));
  }
  const size_t header = 4 + 4 * static_cast<size_t>(expected_dims);
  if (bytes.size() < header) {
    return absl::DataLossError(absl::StrCat(what, ": truncated IDX header (", bytes.size(),
                                            " bytes, expected ", header, ")"));
  }
  IdxArray array;
  uint64_t count = 1;
  for (int d = 0; d < expected_dims; ++d) {
    const uint32_t dim = ReadBigEndian32(bytes.data() + 4 + 4 * d);
    array.dims.push_back(dim);
    count *= dim;  // at most 3 dims of < 2^32: cannot overflow past 2^96, checked below
    if (count > (uint64_t{1} << 40)) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": IDX dimensions describe more than 2^40 bytes"));
    }
  }
  const uint64_t available = bytes.size() - header;
  if (available < count) {
    return absl::DataLossError(absl::StrCat(what, ": truncated IDX data (", available,
                                            " bytes after the header, expected ", count, ")"));
  }
  if (available > count) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", available - count,
                                                   " unexpected bytes after the IDX data (expected ",
                                                   count, ")"));
  }
  array.data.assign(bytes.data() + header, count);
  return array;
}

namespace {

// The file's bytes, inflated when gzip-compressed, but never past the size its IDX header declares
// (header + product of the dimensions): a small .gz that inflates to gigabytes stops there.
absl::StatusOr<std::string> ReadIdxFile(const std::string& path, int dims) {
  absl::StatusOr<std::string> bytes = ReadFileBytes(path);
  if (!bytes.ok() || !IsGzip(*bytes)) return bytes;
  const size_t header = 4 + 4 * static_cast<size_t>(dims);
  absl::StatusOr<std::string> head = GunzipPrefix(*bytes, path, header);
  if (!head.ok()) return head.status();
  // A bad or short header: ParseIdx reports it on these bytes.
  if (head->size() < header || ReadBigEndian32(head->data()) != (0x00000800u | static_cast<uint32_t>(dims))) {
    return head;
  }
  uint64_t declared = 1;
  for (int d = 0; d < dims; ++d) {
    declared *= ReadBigEndian32(head->data() + 4 + 4 * d);
    if (declared > (uint64_t{1} << 40)) return head;  // ParseIdx refuses the dimensions
  }
  absl::StatusOr<std::string> all = Gunzip(*bytes, path, header + declared);
  if (!all.ok() && all.status().code() == absl::StatusCode::kResourceExhausted) {
    return absl::InvalidArgumentError(absl::StrCat(all.status().message(), ", the size its IDX header declares (",
                                                   header, " + ", declared, " bytes); refusing to inflate further"));
  }
  return all;
}

}  // namespace

absl::StatusOr<std::shared_ptr<IdxDataset>> IdxDataset::Open(const std::string& images_path,
                                                             const std::string& labels_path) {
  absl::StatusOr<std::string> image_bytes = ReadIdxFile(images_path, 3);
  if (!image_bytes.ok()) return image_bytes.status();
  absl::StatusOr<IdxArray> images = ParseIdx(*image_bytes, images_path, 3);
  if (!images.ok()) return images.status();
  image_bytes->clear();
  image_bytes->shrink_to_fit();
  absl::StatusOr<std::string> label_bytes = ReadIdxFile(labels_path, 1);
  if (!label_bytes.ok()) return label_bytes.status();
  absl::StatusOr<IdxArray> labels = ParseIdx(*label_bytes, labels_path, 1);
  if (!labels.ok()) return labels.status();
  return FromArrays(*std::move(images), *std::move(labels), images_path);
}

absl::StatusOr<std::shared_ptr<IdxDataset>> IdxDataset::FromArrays(IdxArray images, IdxArray labels,
                                                                   std::string what) {
  if (images.dims.size() != 3 || labels.dims.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": expected images [N, H, W] and labels [N]"));
  }
  if (images.dims[0] != labels.dims[0]) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", images.dims[0], " images but ",
                                                   labels.dims[0], " labels; expected equal counts"));
  }
  if (images.dims[0] > 0 && (images.dims[1] == 0 || images.dims[2] == 0)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": images of size ", images.dims[1], "x",
                                                   images.dims[2], "; expected non-empty images"));
  }
  if (images.dims[1] > (1 << 16) || images.dims[2] > (1 << 16)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": images of size ", images.dims[1], "x",
                                                   images.dims[2], "; expected at most 65536 per side"));
  }
  std::shared_ptr<IdxDataset> dataset(new IdxDataset());
  dataset->what_ = std::move(what);
  dataset->height_ = static_cast<int>(images.dims[1]);
  dataset->width_ = static_cast<int>(images.dims[2]);
  dataset->pixels_ = std::move(images.data);
  dataset->labels_.reserve(labels.data.size());
  int64_t max_label = -1;
  for (char c : labels.data) {
    const int64_t label = static_cast<uint8_t>(c);
    dataset->labels_.push_back(label);
    max_label = std::max(max_label, label);
  }
  dataset->num_classes_ = max_label + 1;
  return dataset;
}

absl::StatusOr<Example> IdxDataset::Load(int64_t index) const {
  if (index < 0 || index >= size()) {
    return absl::OutOfRangeError(
        absl::StrCat(what_, ": index ", index, " outside [0, ", size(), ")"));
  }
  Example example;
  const size_t image_bytes = static_cast<size_t>(height_) * width_;
  example.image.height = height_;
  example.image.width = width_;
  example.image.channels = 1;
  example.image.pixels.assign(pixels_.begin() + index * image_bytes,
                              pixels_.begin() + (index + 1) * image_bytes);
  example.label = labels_[index];
  example.source = absl::StrCat(what_, ":", index);
  return example;
}

}  // namespace ijepa::data
