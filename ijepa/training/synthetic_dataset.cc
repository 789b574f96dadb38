#include "ijepa/training/synthetic_dataset.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace ijepa::training {

SyntheticDataset::SyntheticDataset(int64_t size, int side, int num_classes)
    : size_(size), side_(side), num_classes_(num_classes) {
  for (int64_t i = 0; i < size; ++i) labels_.push_back(i % num_classes);
}

absl::StatusOr<data::Example> SyntheticDataset::Load(int64_t index) const {
  if (index < 0 || index >= size_) {
    return absl::OutOfRangeError(absl::StrCat("synthetic index ", index, " of ", size_));
  }
  data::Example example;
  example.label = labels_[index];
  example.source = absl::StrCat("synthetic:", index);
  data::Image& image = example.image;
  image.height = image.width = side_;
  image.channels = 1;
  image.pixels.resize(static_cast<size_t>(side_) * side_);
  uint64_t h = static_cast<uint64_t>(index) * 0x9e3779b97f4a7c15ull + 12345;
  auto next = [&h]() {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
  };
  const int w = side_ / 4 + static_cast<int>(next() % (side_ / 2));
  const int ht = side_ / 4 + static_cast<int>(next() % (side_ / 2));
  const int x0 = static_cast<int>(next() % (side_ - w + 1));
  const int y0 = static_cast<int>(next() % (side_ - ht + 1));
  const int level = 128 + 40 * static_cast<int>(example.label);
  for (int y = 0; y < side_; ++y) {
    for (int x = 0; x < side_; ++x) {
      const bool inside = x >= x0 && x < x0 + w && y >= y0 && y < y0 + ht;
      const int noise = static_cast<int>(next() % 16);
      image.pixels[static_cast<size_t>(y) * side_ + x] =
          static_cast<uint8_t>(std::min(255, (inside ? level : 20) + noise));
    }
  }
  return example;
}

}  // namespace ijepa::training
