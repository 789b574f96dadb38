// Test fixtures for //ijepa/eval: an in-memory data set and a tiny encoder.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "ijepa/data/dataset.h"
#include "ijepa/models/model_options.h"

namespace ijepa::eval::testing {

// Images given in memory; Load never fails.
class InMemoryDataset : public data::Dataset {
 public:
  InMemoryDataset(std::vector<data::Image> images, std::vector<int64_t> labels, int64_t num_classes)
      : images_(std::move(images)), labels_(std::move(labels)), num_classes_(num_classes) {}
  int64_t size() const override { return static_cast<int64_t>(images_.size()); }
  absl::StatusOr<data::Example> Load(int64_t index) const override {
    data::Example e;
    e.image = images_[index];
    e.label = labels_[index];
    e.source = "mem:" + std::to_string(index);
    return e;
  }
  int64_t num_classes() const override { return num_classes_; }
  const std::vector<int64_t>& labels() const override { return labels_; }

 private:
  std::vector<data::Image> images_;
  std::vector<int64_t> labels_;
  int64_t num_classes_;
};

// `n` grey side x side images; image i has label i % classes and a class-dependent bright
// quadrant plus deterministic noise, so pixels (and features) carry the label.
inline InMemoryDataset ToyImages(int n, int side, int classes, uint32_t seed = 1) {
  std::vector<data::Image> images;
  std::vector<int64_t> labels;
  uint32_t state = seed;
  for (int i = 0; i < n; ++i) {
    data::Image image;
    image.height = image.width = side;
    image.channels = 1;
    image.pixels.resize(side * side);
    const int c = i % classes;
    for (int y = 0; y < side; ++y) {
      for (int x = 0; x < side; ++x) {
        state = state * 1664525u + 1013904223u;
        const bool bright = ((y * 2 / side) * 2 + (x * 2 / side)) == c % 4;
        image.pixels[y * side + x] = static_cast<uint8_t>((bright ? 160 : 40) + (state >> 27));
      }
    }
    images.push_back(std::move(image));
    labels.push_back(c);
  }
  return InMemoryDataset(std::move(images), std::move(labels), classes);
}

// A 4-block ViT on side x side grey images with 4-pixel patches, 16 wide, 2 heads.
inline models::VisionTransformerOptions TinyVit(int64_t side) {
  models::VisionTransformerOptions o;
  o.img_size = side;
  o.patch_size = 4;
  o.in_chans = 1;
  o.embed_dim = 16;
  o.depth = 4;
  o.num_heads = 2;
  return o;
}

// Writes `dataset` as uncompressed MNIST IDX files `<prefix>-images-idx3-ubyte` and
// `<prefix>-labels-idx1-ubyte` in `dir` (prefix "train" or "t10k"). Returns false on I/O errors.
inline bool WriteIdx(const InMemoryDataset& dataset, const std::string& dir, const std::string& prefix) {
  auto be32 = [](std::ofstream& out, uint32_t v) {
    const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                       static_cast<char>(v)};
    out.write(b, 4);
  };
  const int n = static_cast<int>(dataset.size());
  std::ofstream images(dir + "/" + prefix + "-images-idx3-ubyte", std::ios::binary);
  std::ofstream labels(dir + "/" + prefix + "-labels-idx1-ubyte", std::ios::binary);
  be32(images, 0x00000803);
  be32(images, n);
  const data::Example first = *dataset.Load(0);
  be32(images, first.image.height);
  be32(images, first.image.width);
  be32(labels, 0x00000801);
  be32(labels, n);
  for (int i = 0; i < n; ++i) {
    const data::Example e = *dataset.Load(i);
    images.write(reinterpret_cast<const char*>(e.image.pixels.data()), e.image.pixels.size());
    const char label = static_cast<char>(e.label);
    labels.write(&label, 1);
  }
  return static_cast<bool>(images) && static_cast<bool>(labels);
}

}  // namespace ijepa::eval::testing
