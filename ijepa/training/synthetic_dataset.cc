#include "ijepa/training/synthetic_dataset.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

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

namespace {

void PutBigEndian(std::ofstream& out, uint32_t v) {
  const char bytes[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                         static_cast<char>(v >> 8), static_cast<char>(v)};
  out.write(bytes, 4);
}

}  // namespace

absl::Status WriteSyntheticIdx(const std::string& folder, int count, int side) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", folder, ": ", ec.message()));
  SyntheticDataset dataset(count, side);
  std::ofstream images(fs::path(folder) / "train-images-idx3-ubyte", std::ios::binary);
  std::ofstream labels(fs::path(folder) / "train-labels-idx1-ubyte", std::ios::binary);
  PutBigEndian(images, 0x803);
  PutBigEndian(images, count);
  PutBigEndian(images, side);
  PutBigEndian(images, side);
  PutBigEndian(labels, 0x801);
  PutBigEndian(labels, count);
  for (int i = 0; i < count; ++i) {
    auto example = dataset.Load(i);
    if (!example.ok()) return example.status();
    images.write(reinterpret_cast<const char*>(example->image.pixels.data()),
                 static_cast<std::streamsize>(example->image.pixels.size()));
    labels.put(static_cast<char>(example->label));
  }
  images.close();
  labels.close();
  if (!images || !labels) return absl::InternalError(absl::StrCat("cannot write IDX files in ", folder));
  return absl::OkStatus();
}

}  // namespace ijepa::training
