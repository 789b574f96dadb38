#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

#include "ijepa/data/dataset.h"

namespace ijepa::training {

// Generated grey images for tests: a dark, slightly noisy background with one bright rectangle
// whose position and size depend on the index, so neighbouring patches predict each other and an
// I-JEPA loss can fall within a few dozen steps. Label = index % num_classes. Deterministic.
class SyntheticDataset : public data::Dataset {
 public:
  SyntheticDataset(int64_t size, int side, int num_classes = 4);
  int64_t size() const override { return size_; }
  absl::StatusOr<data::Example> Load(int64_t index) const override;
  int64_t num_classes() const override { return num_classes_; }
  const std::vector<int64_t>& labels() const override { return labels_; }

 private:
  int64_t size_;
  int side_;
  int num_classes_;
  std::vector<int64_t> labels_;
};

// Writes the first `count` images of SyntheticDataset(count, side) as raw (not gzipped)
// MNIST-style IDX files `train-images-idx3-ubyte` / `train-labels-idx1-ubyte` in `folder`
// (created), so a binary opens them as it opens Fashion-MNIST.
absl::Status WriteSyntheticIdx(const std::string& folder, int count, int side);

}  // namespace ijepa::training
